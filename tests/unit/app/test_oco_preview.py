"""The OCO ticket's preview and what goes on the wire (pure: no Streamlit run, no engine)."""

from __future__ import annotations

from decimal import Decimal as D

from app.oco_preview import OcoTicket, preview_oco
from engine.binance.params import OcoRequest, oco_params
from engine.binance.schemas.order_lists import order_list_from_list_status
from engine.models import Side
from tests.unit.app.test_amounts_and_sizing import pair

LAST = D("60000")


def oco(side: Side, tp: str, stop: str, qty: str = "0.01", limit: str | None = None) -> OcoTicket:
    return OcoTicket("BTCUSDT", side, D(qty), D(tp), D(stop), D(limit) if limit else None)


def test_a_sell_oco_rounds_to_the_grid_and_shows_both_legs() -> None:
    result = preview_oco(oco(Side.SELL, "63000.004", "57000", qty="0.010009"), pair(), LAST)
    assert result.ok, result.problems
    take_profit, stop = result.legs
    assert (take_profit.order_type, take_profit.price) == ("LIMIT_MAKER", D("63000.00"))
    assert (stop.order_type, stop.price, stop.trigger) == ("STOP_LOSS", None, D("57000"))
    assert take_profit.quantity == stop.quantity == D("0.01000")
    assert any("take-profit price 63000.004 → 63000" in n for n in result.adjustments)
    assert result.fee == D("0.01000") * D("63000.00") * D("0.001")  # the dearer leg, once


def test_prices_on_the_wrong_side_say_which_to_move() -> None:
    (problem,) = preview_oco(oco(Side.SELL, "59000", "57000"), pair(), LAST).problems
    assert "take-profit 59,000 is not above the last price 60,000: raise it" in problem
    (problem,) = preview_oco(oco(Side.BUY, "57000", "59000"), pair(), LAST).problems
    assert "stop 59,000 is not above the last price 60,000: raise it" in problem
    crossed = preview_oco(oco(Side.SELL, "57000", "63000"), pair(), LAST)
    assert crossed.command is None
    assert "the take-profit price must be above the stop price" in crossed.problems[0]


def test_a_leg_below_the_minimum_value_is_named() -> None:
    result = preview_oco(oco(Side.SELL, "63000", "57000", qty="0.00005"), pair(), LAST)
    assert any(p.startswith("Take-profit:") for p in result.problems), result.problems
    assert any(p.startswith("Stop-loss:") for p in result.problems), result.problems


def test_nothing_typed_asks_for_what_is_missing() -> None:
    empty = OcoTicket("BTCUSDT", Side.BUY, None, None, D("1"))
    assert preview_oco(empty, pair(), LAST).problems == ("Enter a quantity, a take-profit price.",)


def test_the_wire_puts_each_leg_above_or_below_by_side() -> None:
    def request(side: Side, limit: D | None) -> OcoRequest:
        return OcoRequest("BTCUSDT", side, D("0.01"), D("63000"), D("57000"), limit,
                          "list", "tp", "sl")  # fmt: skip

    sell = oco_params(request(Side.SELL, None))
    assert (sell["aboveType"], sell["abovePrice"], sell["aboveClientOrderId"]) == (
        "LIMIT_MAKER", "63000", "tp")  # fmt: skip
    assert (sell["belowType"], sell["belowStopPrice"]) == ("STOP_LOSS", "57000")
    assert "belowPrice" not in sell and sell["listClientOrderId"] == "list"
    buy = oco_params(request(Side.BUY, D("57100")))
    assert (buy["belowType"], buy["belowPrice"]) == ("LIMIT_MAKER", "63000")
    assert (buy["aboveType"], buy["aboveStopPrice"], buy["abovePrice"]) == (
        "STOP_LOSS_LIMIT", "57000", "57100")  # fmt: skip
    assert buy["aboveTimeInForce"] == "GTC"


def test_a_list_status_event_becomes_ours() -> None:
    event = {
        "e": "listStatus",
        "E": 2,
        "s": "BTCUSDT",
        "g": 7,
        "c": "OCO",
        "l": "ALL_DONE",
        "L": "ALL_DONE",
        "r": "NONE",
        "C": "list",
        "T": 1,
        "O": [{"s": "BTCUSDT", "i": 11, "c": "sl"}, {"s": "BTCUSDT", "i": 12, "c": "tp"}],
    }
    update = order_list_from_list_status(event)  # fmt: skip
    assert (update.order_list_id, update.list_client_id, update.done) == ("7", "list", True)
    assert update.legs == (("sl", "11"), ("tp", "12"))
