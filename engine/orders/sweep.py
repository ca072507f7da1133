"""The kill switch's work at the exchange: cancel every open order, flatten, then look again.

One round:
1. Each market is asked for every open order, plain and conditional; each is cancelled on its
   own, except the orders the desk let through since the trip (while the switch is on only
   reducing orders pass the pre-trade checks: they are left to work).
2. For `flatten`: every futures position the exchange shows is closed with a market order
   (reduce-only in one-way mode; on its side in hedge mode, each side on its own), and every
   spot holding with a USDT pair is market-sold, rounded down to the pair's step. Dust below
   the pair's minimum order cannot be sold and is left.
3. The exchange is asked again (open orders; for `flatten` positions and spot holdings). What it
   still shows is the round's answer, in words a trader reads, with the reason a close or sale
   was refused when it was.

Nothing is taken from the desk's own tables: the exchange is the only witness.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from decimal import Decimal

from engine.binance.errors import ExchangeError, NotFound
from engine.commands import PlaceOrder
from engine.models import Balance, MarketType, OrderType, OrderUpdate, Side
from engine.orders.closing import closing_order
from engine.orders.component import Orders
from engine.orders.filters import validate_order
from engine.orders.grid import RoundingMode, round_quantity
from engine.orders.words import describe_open, num
from engine.portfolio.valuation import STABLECOINS
from engine.risk.config import KillSwitchAction

CANCEL_PASSES = 3  # cancel what is listed, ask again, at most this often per round
READING_WAIT_S = 3.0  # for the account reading to show what the cancels unlocked
READING_WAIT_STEPS = 30


class Sweep:
    """Cancels and closes at the exchange for the kill switch, and says what is left."""

    def __init__(self, orders: Orders) -> None:
        self.orders = orders

    @property
    def _markets(self) -> list[MarketType]:
        return [m for m in MarketType if self.orders.venue.serves(m)]

    async def run(
        self, action: KillSwitchAction, actor: str, allowed: Collection[str] = ()
    ) -> list[str]:
        """One round of `action`; return what the exchange still shows, in words (empty: done).

        `allowed`: client ids of orders placed through the desk since the trip (left alone).
        """
        problems: list[str] = []
        for market in self._markets:
            problems += await self._cancel_open(market, allowed)
        refused: dict[str, str] = {}
        if action is KillSwitchAction.FLATTEN:
            refused = await self._flatten(actor)
        left = [*problems]
        for market in self._markets:
            left += await self._open_left(market, allowed)
        if action is KillSwitchAction.FLATTEN:
            left += await self._holdings_left(refused)
        return list(dict.fromkeys(left))  # once each, in order

    # --- orders ---------------------------------------------------------------------------------

    async def _cancel_open(self, market: MarketType, allowed: Collection[str]) -> list[str]:
        for _ in range(CANCEL_PASSES):
            try:
                listed = await self.orders.rest.open_orders(market)
            except ExchangeError as exc:
                return [f"{market} open orders: the exchange could not be asked ({exc.reason})"]
            targets = [u for u in listed if u.client_order_id not in allowed]
            for update in listed:
                self.orders.recorder.record(update)
            if not targets:
                return []
            for update in targets:
                await self._cancel_one(update)
        return []

    async def _cancel_one(self, update: OrderUpdate) -> None:
        try:
            cancelled = await self.orders.rest.cancel_order(
                update.market, update.symbol, update.client_order_id, conditional=update.is_algo
            )
        except NotFound:
            return  # filled or gone meanwhile: the next look says which
        except ExchangeError:
            return  # still listed on the next look, and named there
        self.orders.recorder.record(cancelled)

    async def _open_left(self, market: MarketType, allowed: Collection[str]) -> list[str]:
        try:
            listed = await self.orders.rest.open_orders(market)
        except ExchangeError as exc:
            return [f"{market} open orders: the exchange could not be asked ({exc.reason})"]
        return [
            f"{describe_open(u)} (still open)" for u in listed if u.client_order_id not in allowed
        ]

    # --- flatten --------------------------------------------------------------------------------

    async def _flatten(self, actor: str) -> dict[str, str]:
        """Close and sell; return the refusal of each close or sale that failed, by key."""
        refused: dict[str, str] = {}
        if MarketType.FUTURES in self._markets:
            refused.update(await self._close_positions(actor))
        if MarketType.SPOT in self._markets:
            refused.update(await self._sell_holdings(actor))
        return refused

    async def _close_positions(self, actor: str) -> dict[str, str]:
        refused: dict[str, str] = {}
        try:
            positions = await self.orders.rest.futures_positions()
        except ExchangeError:
            positions = []  # the look afterwards says so
        for position in (p for p in positions if p.amount):
            reply = await self.orders.place(closing_order(position, actor))
            if not reply.ok:
                refused[f"futures:{position.symbol}"] = reply.message
        return refused

    async def _sell_holdings(self, actor: str) -> dict[str, str]:
        refused: dict[str, str] = {}
        try:
            balances = await self.orders.rest.spot_balances()
        except ExchangeError:
            balances = []
        if balances:
            await self._reading_caught_up(balances)
        free_here = self.orders.account.state().spot_free()
        for balance in balances:
            # The desk's own balance check reads the account as the user stream reported it;
            # sell no more than both it and the exchange show (a round later sells the rest).
            free = min(balance.free, free_here.get(balance.asset, balance.free))
            order = self._sale(balance.model_copy(update={"free": free}), actor)
            if order is None:
                continue
            reply = await self.orders.place(order)
            if not reply.ok:
                refused[f"spot:{balance.asset}"] = reply.message
        return refused

    async def _reading_caught_up(self, balances: list[Balance]) -> None:
        """Wait (briefly) until the account reading shows the free balances the exchange does:
        the cancels just unlocked them, and the user stream reports that a moment later."""
        wanted = {b.asset: b.free for b in balances if b.asset not in STABLECOINS and b.free > 0}
        for _ in range(READING_WAIT_STEPS):
            free = self.orders.account.state().spot_free()
            if all(free.get(asset, Decimal(0)) >= amount for asset, amount in wanted.items()):
                return
            await asyncio.sleep(READING_WAIT_S / READING_WAIT_STEPS)

    def _sale(self, balance: Balance, actor: str) -> PlaceOrder | None:
        """A market sale of the free `balance` that passes the pair's filters, else None."""
        if balance.asset in STABLECOINS or balance.free <= 0:
            return None
        pair = self.orders.venue.pair(MarketType.SPOT, f"{balance.asset}USDT")
        if pair is None:
            return None  # no USDT pair to sell into: left as it is
        quantity = round_quantity(pair.rules, balance.free, RoundingMode.DOWN, market=True)
        if quantity <= 0:
            return None
        order = PlaceOrder(
            actor=actor, market=MarketType.SPOT, symbol=pair.symbol, side=Side.SELL,
            order_type=OrderType.MARKET, quantity=quantity,
        )  # fmt: skip
        price = self.orders.prices.get(MarketType.SPOT, pair.symbol)
        if validate_order(pair.rules, order, price):
            return None  # dust: below the pair's minimum order, cannot be sold
        return order

    async def _holdings_left(self, refused: dict[str, str]) -> list[str]:
        left: list[str] = []
        if MarketType.FUTURES in self._markets:
            try:
                positions = await self.orders.rest.futures_positions()
            except ExchangeError as exc:
                left.append(f"futures positions: the exchange could not be asked ({exc.reason})")
                positions = []
            for p in (p for p in positions if p.amount):
                side = "long" if p.amount > 0 else "short"
                why = refused.get(f"futures:{p.symbol}")
                left.append(f"futures {p.symbol} {side} position of {num(abs(p.amount))} (still "
                            f"open{': ' + why if why else ''})")  # fmt: skip
        if MarketType.SPOT in self._markets:
            try:
                balances = await self.orders.rest.spot_balances()
            except ExchangeError as exc:
                left.append(f"spot balances: the exchange could not be asked ({exc.reason})")
                balances = []
            for b in balances:
                if self._sale(b, "kill-switch-check") is None:
                    continue
                why = refused.get(f"spot:{b.asset}")
                left.append(f"spot {num(b.free)} {b.asset} (still held"
                            f"{': ' + why if why else ''})")  # fmt: skip
        return left
