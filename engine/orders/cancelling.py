"""Cancelling, and checking at the exchange that what should be gone is gone.

After a cancel-all (and for the kill switch) the exchange is asked for the symbol's open
orders, plain and conditional; whatever is still open is cancelled one by one, and what stays
open after that is named in the reply, so "cancelled" is only said when it is true.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.account.state import AccountReader
from engine.binance.errors import ExchangeError, NotFound
from engine.binance.rest import BinanceRest
from engine.commands import CancelAllOrders, CancelOrder, Reply
from engine.models import MarketType, OrderUpdate
from engine.orders.recorder import OrderRecorder
from engine.orders.words import describe_cancelled, describe_open, exchange_refusal

CANCEL_ROUNDS = 3


@dataclass(frozen=True)
class Leftovers:
    """What the exchange still holds open after a cancel; `verified` False when not asked."""

    open: list[OrderUpdate]
    verified: bool = True
    problem: str = ""


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class Cancelling:
    def __init__(self, rest: BinanceRest, account: AccountReader, recorder: OrderRecorder) -> None:
        self.rest = rest
        self.account = account
        self.recorder = recorder

    async def cancel(self, command: CancelOrder) -> Reply:
        cid, symbol, market = command.client_order_id, command.symbol, command.market
        list_id = self._list_of(cid)
        if list_id:
            return await self.cancel_list(command, list_id)
        order_type = self._order_type(cid)
        conditional = self.recorder.is_conditional(market, cid, order_type)
        try:
            update = await self.rest.cancel_order(market, symbol, cid, conditional=conditional)
        except NotFound as exc:
            await self._refresh(market, symbol, cid, conditional)
            return _reply(
                command, False,
                f"The exchange has no open order to cancel there: {exc.reason}",
                f"binance.{exc.code}",
            )  # fmt: skip
        except ExchangeError as exc:
            code, message = exchange_refusal(exc, "the cancel")
            return _reply(command, False, message, code)
        self.recorder.record(update)
        return _reply(command, True, describe_cancelled(update), status=update.status.value)

    async def cancel_list(self, command: CancelOrder, list_client_id: str) -> Reply:
        """A leg of an OCO: Binance cancels the whole list with it, so cancel the list and
        say so (both legs are recorded from the answer)."""
        try:
            answer = await self.rest.cancel_order_list(command.symbol, list_client_id)
        except ExchangeError as exc:
            if isinstance(exc, NotFound):
                await self._refresh(command.market, command.symbol, command.client_order_id, False)
            code, message = exchange_refusal(exc, "the cancel of the OCO")
            return _reply(command, False, message, code)
        for leg in answer.legs:
            self.recorder.record(leg.model_copy(
                update={"order_list_id": answer.order_list.order_list_id}))  # fmt: skip
        legs = "; ".join(describe_cancelled(u) for u in answer.legs)
        return _reply(command, True, f"Cancelled the OCO, both legs: {legs}",
                      status="CANCELED")  # fmt: skip

    def _list_of(self, client_id: str) -> str:
        known = next(
            (o for o in self.account.state().open_orders if o.client_order_id == client_id), None
        )
        return (known.list_client_id if known else "") or self.recorder.list_of(client_id)

    def _order_type(self, client_id: str) -> str | None:
        known = next(
            (o for o in self.account.state().open_orders if o.client_order_id == client_id), None
        )
        return known.order_type if known else None

    async def _refresh(self, market: MarketType, symbol: str, cid: str, conditional: bool) -> None:
        try:
            update = await self.rest.query_order(market, symbol, cid, conditional=conditional)
        except ExchangeError:
            return
        self.recorder.record(update)

    async def cancel_all(self, command: CancelAllOrders) -> Reply:
        """Cancel every open order of the symbol, then make sure the exchange holds none.

        When the exchange refuses the bulk cancel, each order it still lists is cancelled on its
        own; either way the answer is what the exchange shows afterwards.
        """
        market, symbol = command.market, command.symbol
        bulk_refused = ""
        try:
            for update in await self.rest.cancel_all(market, symbol):
                self.recorder.record(update)
        except NotFound:
            pass  # nothing was open there
        except ExchangeError as exc:
            bulk_refused = exchange_refusal(exc, "the cancel-all")[1]
        left = await self.cancel_leftovers(market, symbol)
        note = f" ({bulk_refused} Each order was cancelled on its own.)" if bulk_refused else ""
        if not left.verified:
            return _reply(
                command, False,
                f"Cancel-all was sent, but the exchange could not be asked whether {symbol} "
                f"still has open {market} orders ({left.problem}). Look at the open orders "
                f"before trading on.{note}",
                "desk.unverified",
            )  # fmt: skip
        if left.open:
            names = "; ".join(describe_open(u) for u in left.open)
            return _reply(
                command, False,
                f"Still open at the exchange after cancelling: {names}. Cancel them one by one, "
                f"or on the exchange itself.{note}",
                "desk.still_open", still_open=[describe_open(u) for u in left.open],
            )  # fmt: skip
        return _reply(
            command, True, f"Cancel-all done: the exchange shows no open {market} orders on "
            f"{symbol}.{note}",
        )  # fmt: skip

    async def cancel_leftovers(self, market: MarketType, symbol: str | None) -> Leftovers:
        """Ask the exchange what is still open; cancel it one by one; return what stays open."""
        for _ in range(CANCEL_ROUNDS):
            try:
                left = await self.rest.open_orders(market, symbol)
            except ExchangeError as exc:
                return Leftovers([], verified=False, problem=exc.reason)
            for update in left:
                self.recorder.record(update)
            if not left:
                return Leftovers([])
            for update in left:
                await self._cancel_one(update)
        try:
            return Leftovers(await self.rest.open_orders(market, symbol))
        except ExchangeError as exc:
            return Leftovers([], verified=False, problem=exc.reason)

    async def _cancel_one(self, update: OrderUpdate) -> None:
        try:
            cancelled = await self.rest.cancel_order(
                update.market, update.symbol, update.client_order_id, conditional=update.is_algo
            )
        except ExchangeError:
            return
        self.recorder.record(cancelled)

    async def cancel_reduce_only(self, actor: str, symbol: str) -> int:
        """Cancel the symbol's reduce-only futures orders (before a close); return how many."""
        orders = [
            o for o in self.account.state().open_orders
            if o.market is MarketType.FUTURES and o.symbol == symbol and o.reduce_only
        ]  # fmt: skip
        cancelled = 0
        for order in orders:
            conditional = self.recorder.is_conditional(
                MarketType.FUTURES, order.client_order_id, order.order_type
            )
            try:
                update = await self.rest.cancel_order(
                    MarketType.FUTURES, symbol, order.client_order_id, conditional=conditional
                )
            except ExchangeError:
                continue
            self.recorder.record(update)
            cancelled += 1
        return cancelled

    async def position_left(self, symbol: str, side: str = "BOTH") -> Decimal:
        """The futures position the exchange still shows for `symbol` on `side` (0 when flat)."""
        try:
            positions = await self.rest.futures_positions()
        except ExchangeError:
            return Decimal(0)
        return next(
            (p.amount for p in positions
             if p.symbol == symbol and p.position_side == side and p.amount),
            Decimal(0),
        )  # fmt: skip
