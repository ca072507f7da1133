"""A strategy's books from its fills: fees in either asset, dust below a step is flat."""

from decimal import Decimal as D

from engine.models import Side
from engine.strategies.api import StrategyFill
from engine.strategies.ledger import Ledger


def fill(side: str, price: str, qty: str, fee: str, asset: str, time: int) -> StrategyFill:
    return StrategyFill(client_order_id="x", side=Side(side), price=D(price), qty=D(qty),
                        commission=D(fee), commission_asset=asset, time=time)  # fmt: skip


def test_a_round_trip_with_binance_fees_leaves_dust_and_a_closed_trade():
    books = Ledger("BTC", "USDT", step_size=D("0.00001"), cash=D(1000))
    books.apply(fill("BUY", "100", "0.00213", "0.00000213", "BTC", 1))
    assert books.position().quantity == D("0.00212")  # on the step grid, fee off the holding
    books.apply(fill("SELL", "110", "0.00212", "0.0002332", "USDT", 2))
    assert books.is_flat and books.holding == D("0.00000787")
    [trade] = books.trades
    assert trade.closed == 2 and trade.pnl == D("0.2332") - D("0.2130") - D("0.0002332") - D(
        "0.000213"
    )
    assert (
        books.equity(D(110))
        == D(1000) - D("0.213") + D("0.2332") - D("0.0002332") + D("0.00000787") * 110
    )


def test_realized_pnl_uses_the_average_entry():
    books = Ledger("ETH", "USDT")
    books.apply(fill("BUY", "10", "1", "0", "USDT", 1))
    books.apply(fill("BUY", "20", "1", "0", "USDT", 2))
    assert books.entry_price == D(15)
    books.apply(fill("SELL", "30", "2", "0", "USDT", 3))
    assert books.realized == D(30) and books.is_flat and books.position().entry_price is None
