"""The futures exchange on a virtual clock: driven price paths, funding periods, algo triggers."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures.funding import FUNDING_INTERVAL_MS
from simulator.futures.marks import MarkPrices
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.symbols import listed

START = 1_700_000_000_000 - 1_700_000_000_000 % FUNDING_INTERVAL_MS + 1_000  # just after 00:00


def exchange(btc: str = "50000", balance: str = "1000") -> tuple[FuturesMatchingEngine, list[dict]]:
    start = {"BTCUSDT": D(btc), "ETHUSDT": D(3000), "XRPUSDT": D("0.6")}
    ex = FuturesMatchingEngine(listed(start), MarkPrices(start, START), START)
    events: list[dict] = []
    ex.listener = events.append
    ex.deposit(D(balance))
    return ex, events


def order(ex: FuturesMatchingEngine, **params: str) -> dict:
    return ex.orders.place(Params(params))


def isolated_long(ex: FuturesMatchingEngine) -> D:
    ex.change_margin_type("BTCUSDT", "ISOLATED")
    order(ex, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1")
    return ex.account.liquidation_price("BTCUSDT", ex.state.marks())


def test_a_path_that_crosses_the_liquidation_price_liquidates() -> None:
    ex, events = exchange()
    lp = isolated_long(ex)
    assert lp.quantize(D("0.01")) == D("47690.76")
    ex.prices.script(
        "BTCUSDT",
        [(START + 60_000, D(49000)), (START + 120_000, D(47600)), (START + 180_000, D(50500))],
    )
    ex.advance_to(START + 300_000)
    assert ex.account.position("BTCUSDT").amount == 0
    liq = [e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "CALCULATED"]
    assert len(liq) == 1
    assert liq[0]["c"].startswith("autoclose-") and liq[0]["o"] == "LIQUIDATION"
    assert D(liq[0]["L"]).quantize(D("0.01")) == D("47690.76")
    assert liq[0]["X"] == "FILLED" and liq[0]["S"] == "SELL"


def test_a_path_that_stops_short_does_not_liquidate() -> None:
    ex, events = exchange()
    lp = isolated_long(ex)
    ex.prices.script("BTCUSDT", [(START + 60_000, lp + D("0.10")), (START + 120_000, D(50000))])
    ex.advance_to(START + 300_000)
    assert ex.account.position("BTCUSDT").amount == D("0.1")
    assert not [e for e in events if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "CALCULATED"]


def test_funding_over_several_periods_moves_the_wallet_by_their_sum() -> None:
    ex, events = exchange(balance="10000")
    order(ex, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
    order(ex, symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1.5")
    first = ex.funding.next_time()
    ex.funding.scheduled["BTCUSDT"][first + FUNDING_INTERVAL_MS] = D("-0.00025")
    ex.prices.script("ETHUSDT", [(first + 2 * FUNDING_INTERVAL_MS - 5_000, D("3123.45"))])
    wallet_before = ex.account.wallet_balance
    ex.advance_to(first + 3 * FUNDING_INTERVAL_MS + 10)
    payments = [i for i in ex.account.incomes if i.income_type == "FUNDING_FEE"]
    assert len(payments) == 8  # 4 funding times (the start sits just after 00:00) x 2 positions
    expected = [
        -D("0.05") * 50000 * D("0.0001"),  # BTC long pays 0.25 at each positive rate
        D("1.5") * 3000 * D("0.0001"),  # ETH short receives
        D("0.05") * 50000 * D("0.00025"),  # negative rate: the long receives
        D("1.5") * 3000 * D("0.0001"),
        -D("0.05") * 50000 * D("0.0001"),
        D("1.5") * D("3123.45") * D("0.0001"),
        -D("0.05") * 50000 * D("0.0001"),
        D("1.5") * D("3123.45") * D("0.0001"),
    ]
    assert sorted(p.income for p in payments) == sorted(e.quantize(D("1E-8")) for e in expected)
    assert ex.account.wallet_balance - wallet_before == sum(p.income for p in payments)
    funding_events = [
        e for e in events if e["e"] == "ACCOUNT_UPDATE" and e["a"]["m"] == "FUNDING_FEE"
    ]
    assert len(funding_events) == 8


def test_stop_market_triggers_on_the_path_and_closes_the_position() -> None:
    ex, events = exchange(balance="5000")
    order(ex, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.02")
    algo = ex.algos.place(
        Params(
            {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "algoType": "CONDITIONAL",
             "triggerPrice": "49000", "closePosition": "true"}
        )
    )  # fmt: skip
    assert algo["algoStatus"] == "NEW"
    ex.prices.script("BTCUSDT", [(START + 1_000, D(49500)), (START + 2_000, D("48990"))])
    ex.advance_to(START + 3_000)
    assert ex.account.position("BTCUSDT").amount == 0
    statuses = [e["o"]["X"] for e in events if e["e"] == "ALGO_UPDATE"]
    assert statuses == ["NEW", "TRIGGERED", "FINISHED"]


def test_refusals_carry_binances_codes() -> None:
    ex, _ = exchange(balance="100")
    cases = [
        ({"type": "STOP_MARKET", "quantity": "0.01", "stopPrice": "1"}, -4120),
        ({"type": "MARKET", "quantity": "0.1"}, -2019),  # 5000 notional at 20x needs 250
        ({"type": "MARKET", "quantity": "0.002", "reduceOnly": "true"}, -2022),
        ({"type": "MARKET", "quantity": "0.0015"}, -4023),
        ({"type": "MARKET", "quantity": "0.001"}, -4164),  # 50 < 100 USDT min notional
        ({"type": "LIMIT", "quantity": "0.01", "price": "60000", "timeInForce": "GTC"}, -4016),
        ({"type": "LIMIT", "quantity": "0.01", "price": "50000.05", "timeInForce": "GTC"}, -4014),
        ({"type": "LIMIT", "quantity": "0.01", "price": "50100", "timeInForce": "GTX"}, -5022),
        ({"type": "LIMIT", "quantity": "0.01", "price": "49000", "timeInForce": "FOK"}, -5021),
        ({"type": "MARKET", "quantity": "0.01", "positionSide": "LONG"}, -4061),
    ]
    for params, code in cases:
        with pytest.raises(ApiError) as err:
            order(ex, symbol="BTCUSDT", side="BUY", **params)
        assert err.value.code == code, params


def test_resting_limit_fills_as_maker_when_the_path_reaches_it() -> None:
    ex, events = exchange(balance="5000")
    placed = order(ex, symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.01",
                   price="49500", timeInForce="GTC")  # fmt: skip
    assert placed["status"] == "NEW"
    ex.prices.script("BTCUSDT", [(START + 5_000, D(49400))])
    ex.advance_to(START + 6_000)
    trade = [e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "TRADE"]
    assert trade[-1]["m"] is True and trade[-1]["L"] == "49500"
    assert trade[-1]["n"] == "0.09900000"  # 495 * 0.02%
    assert ex.account.position("BTCUSDT").entry_price == D(49500)


def test_state_survives_a_restart() -> None:
    ex, _ = exchange(balance="5000")
    order(ex, symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.5", price="2900",
          timeInForce="GTC")  # fmt: skip
    order(ex, symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
    saved = json.loads(json.dumps(ex.to_state()))  # as the state store writes and reads it
    again, _ = exchange(balance="0")
    again.load_state(saved)
    assert json.dumps(again.to_state()) == json.dumps(ex.to_state())
    assert again.orders.open_orders("ETHUSDT")[0]["price"] == "2900"
