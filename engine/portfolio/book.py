"""The P&L book: one ledger per symbol and market, built from fills and funding payments.

Fills arrive twice (the order's answer and the user-data event) and again from reconciliation;
each trade id is applied once. The book is rebuilt from the database at start, off the event
loop; what arrives meanwhile is applied after the rebuild, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from engine.models import Fill, FundingPayment, MarketType, TradingPair
from engine.portfolio import pnl
from engine.portfolio.valuation import ZERO

PairLookup = Callable[[MarketType, str], TradingPair | None]


@dataclass
class PnlBook:
    spot: dict[str, pnl.SpotLedger] = field(default_factory=dict)
    futures: dict[str, pnl.FuturesLedger] = field(default_factory=dict)
    _applied: set[tuple[str, str, int]] = field(default_factory=set)
    _funded: set[int] = field(default_factory=set)

    def apply_fill(self, fill: Fill, pair: PairLookup) -> None:
        key = (fill.market.value, fill.symbol, fill.trade_id)
        if key in self._applied:
            return
        self._applied.add(key)
        if fill.market is MarketType.SPOT:
            spot_pair = pair(MarketType.SPOT, fill.symbol)
            if spot_pair is None:
                return
            ledger = self.spot.get(fill.symbol) or pnl.SpotLedger(
                fill.symbol, spot_pair.base, spot_pair.quote
            )
            self.spot[fill.symbol] = pnl.apply_spot_fill(ledger, fill)
        else:
            ledger = self.futures.get(fill.symbol) or pnl.FuturesLedger(fill.symbol)
            self.futures[fill.symbol] = pnl.apply_futures_fill(ledger, fill)

    def apply_funding(self, payment: FundingPayment) -> bool:
        """Book one funding payment; False when it was booked already."""
        if payment.tran_id in self._funded:
            return False
        self._funded.add(payment.tran_id)
        ledger = self.futures.get(payment.symbol) or pnl.FuturesLedger(payment.symbol)
        self.futures[payment.symbol] = pnl.apply_funding(ledger, payment.amount)
        return True

    def realized_usdt(self, quote_prices: Mapping[str, Decimal | None]) -> Decimal:
        """Spot realized in USDT plus futures net of fees and funding (0 if a quote is unpriced)."""
        try:
            return pnl.realized_in_usdt(self.spot.values(), self.futures.values(), quote_prices)
        except KeyError:
            return ZERO

    def funding_total(self) -> Decimal:
        return sum((ledger.funding for ledger in self.futures.values()), ZERO)

    def quotes(self) -> set[str]:
        return {ledger.quote for ledger in self.spot.values()}


def rebuild(cur: duckdb.DuckDBPyConnection, pair: PairLookup) -> PnlBook:
    """The book from every stored fill and funding payment, oldest first."""
    book = PnlBook()
    symbols = cur.execute("SELECT DISTINCT market, symbol FROM fills").fetchall()
    for market, symbol in symbols:
        for fill in pnl.read_fills(cur, MarketType(market), symbol):
            book.apply_fill(fill, pair)
    for payment in read_funding(cur):
        book.apply_funding(payment)
    return book


def read_funding(cur: duckdb.DuckDBPyConnection) -> Iterable[FundingPayment]:
    rows = cur.execute(
        "SELECT symbol, time, asset, amount, tran_id FROM funding ORDER BY time"
    ).fetchall()
    return [
        FundingPayment(symbol=s, time=int(t), asset=a, amount=Decimal(v), tran_id=int(tid))
        for s, t, a, v, tid in rows
    ]
