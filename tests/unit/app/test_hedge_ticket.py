"""The futures ticket in hedge mode: the side a closing order is on sizes it, and it takes no
margin (pure: no Streamlit run, no engine)."""

from __future__ import annotations

from decimal import Decimal as D

from app.order_preview import Ticket, closes_side, preview
from app.order_sizing import Funds, max_size, shortfall
from engine.models import MarketType, OrderType, PositionSide, Side
from tests.unit.app.test_amounts_and_sizing import pair


def hedged(side: Side, position_side: PositionSide, qty: str = "0.02") -> Ticket:
    return Ticket(market=MarketType.FUTURES, symbol="BTCUSDT", side=side,
                  order_type=OrderType.MARKET, quantity=D(qty), leverage=5,
                  position_side=position_side)  # fmt: skip


def test_a_sell_on_long_closes_the_long_and_needs_no_margin() -> None:
    closing = hedged(Side.SELL, PositionSide.LONG)
    assert closes_side(closing) and not closes_side(hedged(Side.SELL, PositionSide.SHORT))
    no_margin = Funds(quote_free=D(0), position=D("0.02"))
    assert shortfall(closing, pair(MarketType.FUTURES), D("60000"), no_margin) == ""
    assert max_size(closing, pair(MarketType.FUTURES), D("60000"), no_margin).quantity == D("0.02")
    result = preview(closing, pair(MarketType.FUTURES), D("60000"))
    assert result.margin is None and result.command is not None
    assert result.command.position_side is PositionSide.LONG and not result.command.reduce_only


def test_an_opening_order_on_a_side_takes_margin() -> None:
    opening = hedged(Side.SELL, PositionSide.SHORT, qty="1")
    short = shortfall(opening, pair(MarketType.FUTURES), D("60000"), Funds(quote_free=D(100)))
    assert "USDT is free" in short
    assert preview(opening, pair(MarketType.FUTURES), D("60000")).margin == D("12000")
