"""Spot OCO orders: a take-profit limit and a stop-loss as one list, sent once.

1. Checks before anything is sent: the symbol, both prices against the last price on the side
   Binance wants them (SELL: take-profit above the market, stop below; BUY: the reverse), each
   leg against the symbol's filters, the risk rules and the funds (locked once for both legs).
2. Write-ahead: both legs are journaled (fsync) with the list's client id, then their rows are
   queued, as for a single order.
3. One `POST /api/v3/orderList/oco`. A lost answer leaves both legs UNKNOWN and the list is
   resolved by asking for it by its client id, never by sending it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from engine.binance.errors import ExchangeError, NotFound, TemporaryError
from engine.binance.params import OcoRequest
from engine.binance.rest import BinanceRest, ListAnswer
from engine.clock import now_ms
from engine.commands import PlaceOrder, Reply
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import OrderStatus, OrderType, Refusal, Side, TradingPair
from engine.orders.checks import check_filters, check_symbol
from engine.orders.commands import PlaceOco, oco_price_rule
from engine.orders.ids import new_client_order_id
from engine.orders.recorder import OrderRecorder
from engine.orders.words import exchange_refusal, local_refusal, num
from engine.store import trading

RESOLVE_WAIT_FOR_REPLY_S = 5.0
RESOLVE_DEADLINE_S = 120.0

Check = Callable[[PlaceOrder], Awaitable[Refusal | None]]


def legs(command: PlaceOco) -> tuple[PlaceOrder, PlaceOrder]:
    """The OCO's two orders as single orders: (take-profit limit maker, stop)."""
    common = {"actor": command.actor, "market": command.market, "symbol": command.symbol,
              "side": command.side, "quantity": command.quantity}  # fmt: skip
    take_profit = PlaceOrder(**common, order_type=OrderType.LIMIT, post_only=True,
                             price=command.take_profit_price)  # fmt: skip
    limit = command.stop_limit_price
    stop = PlaceOrder(
        **common, order_type=OrderType.STOP_LIMIT if limit else OrderType.STOP_MARKET,
        stop_price=command.stop_price, price=limit, stop_loss=None,
    )  # fmt: skip
    return take_profit, stop


def risk_leg(command: PlaceOco) -> PlaceOrder:
    """The leg the risk rules see: the dearer one (a SELL's take-profit, a BUY's stop), as only
    one executes. Neither leg protects a position, so no stop-loss goes with it."""
    take_profit, stop = legs(command)
    return stop if command.side is Side.BUY else take_profit


def check_oco_prices(command: PlaceOco, last: Decimal | None) -> Refusal | None:
    """Binance's OCO rule against the last price: a price on the wrong side would trade or
    trigger at once (Binance refuses it), so say which price to move and where."""
    if last is None:
        return Refusal("no_price", f"No recent price for {command.symbol}; try again in a moment.")
    sell = command.side is Side.SELL
    for name, price, above in (
        ("take-profit", command.take_profit_price, sell),
        ("stop", command.stop_price, not sell),
    ):
        if (price > last) != above or price == last:
            where, move = ("above", "raise") if above else ("below", "lower")
            return Refusal(
                "oco_prices",
                f"{oco_price_rule(command.side)}. The {name} {num(price)} is not {where} the "
                f"last price {num(last)}: {move} it {where} {num(last)}.",
            )
    return None


def pre_trade(command: PlaceOco, pair: TradingPair | None, unavailable: str | None,
              last: Decimal | None) -> Refusal | None:  # fmt: skip
    """Symbol, prices against the market, then each leg against the symbol's filters."""
    refusal = check_symbol(command, pair, unavailable)
    if refusal is not None:
        return refusal
    assert pair is not None
    refusal = check_oco_prices(command, last)
    for leg in legs(command) if refusal is None else ():
        refusal = check_filters(leg, pair, last)
        if refusal is not None:
            kind = "take-profit" if leg.order_type is OrderType.LIMIT else "stop"
            return Refusal(refusal.code, f"The {kind} leg: {refusal.reason}")
    return refusal


def request(command: PlaceOco) -> OcoRequest:
    """The OCO with fresh client ids for the list and each leg."""
    return OcoRequest(
        symbol=command.symbol, side=command.side, quantity=command.quantity,
        take_profit_price=command.take_profit_price, stop_price=command.stop_price,
        stop_limit_price=command.stop_limit_price, list_client_id=new_client_order_id(),
        take_profit_client_id=new_client_order_id(), stop_client_id=new_client_order_id(),
    )  # fmt: skip


def pending_rows(command: PlaceOco, oco: OcoRequest) -> list[dict[str, Any]]:
    """The write-ahead rows of both legs, each carrying the list's client id."""
    stamp = now_ms()
    take_profit, stop = legs(command)
    return [
        {**trading.pending_order_row(leg, cid, command.actor, stamp),
         "list_client_id": oco.list_client_id}
        for leg, cid in ((take_profit, oco.take_profit_client_id), (stop, oco.stop_client_id))
    ]  # fmt: skip


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


def describe_oco(command: PlaceOco) -> str:
    stop = f"stop {num(command.stop_price)}"
    if command.stop_limit_price is not None:
        stop += f" (limit {num(command.stop_limit_price)})"
    return (f"OCO {command.side.value} {num(command.quantity)} {command.symbol}: take-profit "
            f"{num(command.take_profit_price)}, {stop}")  # fmt: skip


class OcoSender:
    """Sends checked OCOs once and keeps both legs' rows true."""

    def __init__(self, rest: BinanceRest, recorder: OrderRecorder) -> None:
        self.rest = rest
        self.recorder = recorder
        self.resolving: set[str] = set()

    def refused_locally(self, ctx: EngineContext, command: PlaceOco, refusal: Refusal) -> Reply:
        code, message = local_refusal(refusal)
        ctx.record(Level.WARNING, EventKind.ORDER_REFUSED, f"{describe_oco(command)}: {message}",
                   {"actor": command.actor, "code": code, "symbol": command.symbol,
                    "market": "spot"})  # fmt: skip
        return _reply(command, False, message, code, status=OrderStatus.REJECTED.value, sent=False)

    async def send(self, ctx: EngineContext, command: PlaceOco, oco: OcoRequest) -> Reply:
        ids = {"list_client_id": oco.list_client_id,
               "client_order_ids": [oco.take_profit_client_id, oco.stop_client_id]}  # fmt: skip
        try:
            answer = await self.rest.submit_oco(oco)
        except TemporaryError as exc:
            if exc.outcome_unknown:
                return await self._outcome_unknown(ctx, command, oco, exc, ids)
            return self._refused(ctx, command, oco, exc, ids)
        except ExchangeError as exc:
            return self._refused(ctx, command, oco, exc, ids)
        self.record(answer, actor=command.actor)
        return _reply(command, True, f"Placed: {describe_oco(command)} (both legs open; when "
                      "one executes the exchange expires the other).",
                      order_list_id=answer.order_list.order_list_id,
                      status=OrderStatus.NEW.value, **ids)  # fmt: skip

    def record(self, answer: ListAnswer, actor: str | None = None) -> None:
        list_id = answer.order_list.order_list_id
        for leg in answer.legs:
            self.recorder.record(leg.model_copy(update={"order_list_id": list_id}), actor=actor)

    def _legs_status(self, oco: OcoRequest, status: OrderStatus, reason: str) -> None:
        for cid in (oco.take_profit_client_id, oco.stop_client_id):
            self.recorder.set_status(cid, status, reason)

    def _refused(self, ctx: EngineContext, command: PlaceOco, oco: OcoRequest,
                 exc: ExchangeError, ids: dict[str, Any]) -> Reply:  # fmt: skip
        self._legs_status(oco, OrderStatus.REJECTED, exc.reason)
        code, message = exchange_refusal(exc, "the OCO")
        ctx.record(Level.WARNING, EventKind.ORDER_REJECTED, f"{describe_oco(command)}: {message}",
                   {"actor": command.actor, "code": code, "symbol": command.symbol,
                    "market": "spot", **ids})  # fmt: skip
        return _reply(command, False, message, code, status=OrderStatus.REJECTED.value,
                      sent=True, **ids)  # fmt: skip

    async def _outcome_unknown(self, ctx: EngineContext, command: PlaceOco, oco: OcoRequest,
                               exc: ExchangeError, ids: dict[str, Any]) -> Reply:  # fmt: skip
        self._legs_status(oco, OrderStatus.UNKNOWN, exc.reason)
        ctx.record(Level.WARNING, EventKind.ORDER_UNKNOWN,
                   f"{command.symbol}: no answer from the exchange for an OCO "
                   f"({exc.binance_message}); asking for the list by its id, not sending it "
                   "again.", ids)  # fmt: skip
        task = ctx.spawn(self.resolve(command.symbol, oco), f"resolve-{oco.list_client_id}")
        try:
            async with asyncio.timeout(RESOLVE_WAIT_FOR_REPLY_S):
                placed = await asyncio.shield(task)
        except TimeoutError:
            return _reply(command, False, "The exchange has not confirmed this OCO yet. It was "
                          "sent once and is being checked; see both legs in the open orders "
                          "before placing it again.", "unknown",
                          status=OrderStatus.UNKNOWN.value, **ids)  # fmt: skip
        if placed:
            return _reply(command, True, f"Confirmed after a lost answer: {describe_oco(command)}.",
                          status=OrderStatus.NEW.value, **ids)  # fmt: skip
        return _reply(command, False, "The OCO was not placed.", "not_placed",
                      status=OrderStatus.REJECTED.value, **ids)  # fmt: skip

    async def resolve(self, symbol: str, oco: OcoRequest) -> bool | None:
        """Ask for the list by its client id until the exchange knows it (True), or a few misses
        over several seconds say it never arrived (False); None past the deadline."""
        if oco.list_client_id in self.resolving:
            return None
        self.resolving.add(oco.list_client_id)
        try:
            return await self._resolve_loop(symbol, oco)
        finally:
            self.resolving.discard(oco.list_client_id)

    async def _resolve_loop(self, symbol: str, oco: OcoRequest) -> bool | None:
        deadline, delay, misses = time.monotonic() + RESOLVE_DEADLINE_S, 0.2, 0
        while time.monotonic() < deadline:
            try:
                answer = await self.rest.query_order_list(symbol, oco.list_client_id)
            except NotFound:
                misses += 1
                if misses >= 3 and delay >= 0.8:
                    lost = "Never reached the exchange (the request was lost)."
                    self._legs_status(oco, OrderStatus.REJECTED, lost)
                    return False
            except ExchangeError:
                pass  # the exchange is still unwell; keep asking
            else:
                self.record(answer)
                return True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        return None
