"""Order lifecycle: check, write ahead, send once, resolve unknown outcomes, never duplicate.

1. Checks that need no exchange round trip (symbol, filters, risk, balance or margin) refuse
   with a reason; nothing is sent. They read memory only: live prices and the account reading.
2. The order is journaled (fsync) before it is sent, and its DuckDB row is queued, so a crash
   can never lose an order the exchange may have accepted.
3. It is sent exactly once. A refusal is recorded with the exchange's reason. A timeout, 5xx or
   dropped connection leaves it UNKNOWN, and it is resolved by querying that client order id,
   never by sending again.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from engine.account.state import AccountReader
from engine.binance.errors import ExchangeError, TemporaryError
from engine.binance.rest import BinanceRest
from engine.clock import now_ms
from engine.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    PlaceOrder,
    Reply,
    SetLeverage,
    SetMarginType,
)
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.market.prices import LivePrices
from engine.models import MarketType, OrderStatus, Refusal, TradingPair
from engine.orders import oco, position_mode
from engine.orders.cancelling import Cancelling
from engine.orders.checks import (
    AccountView,
    check_filters,
    check_futures_margin,
    check_position_side,
    check_spot_balance,
    check_symbol,
)
from engine.orders.client_ids import ClientIds
from engine.orders.closing import closed_reply, closing_order, position_to_close
from engine.orders.commands import PlaceOco, SetPositionMode
from engine.orders.futures_settings import FuturesSettings, Restore
from engine.orders.ids import new_client_order_id
from engine.orders.recorder import OrderRecorder
from engine.orders.recovery import Recovery, compact_journal
from engine.orders.words import describe_placed, exchange_refusal, local_refusal
from engine.risk.component import Risk
from engine.store import trading
from engine.store.journal import OrderJournal
from engine.venue import Venue

log = logging.getLogger(__name__)

RESOLVE_WAIT_FOR_REPLY_S = 5.0
PRICE_MAX_AGE_S = 5.0
SPOT_TAKER_FEE = Decimal("0.001")
FUTURES_TAKER_FEE = Decimal("0.0005")
JOURNAL_COMPACTION_S = 60.0


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class Orders:
    """Handles the trading commands and keeps the orders table true."""

    name = "orders"

    def __init__(
        self,
        venue: Venue,
        prices: LivePrices,
        account: AccountReader,
        risk: Risk,
        recorder: OrderRecorder,
    ) -> None:
        self.venue = venue
        self.prices = prices
        self.account = account
        self.risk = risk
        self.recorder = recorder
        self.recovery = Recovery(venue.rest, recorder)
        self.cancelling = Cancelling(venue.rest, account, recorder)
        self.futures = FuturesSettings(venue.rest, account, risk, recorder)
        self.oco = oco.OcoSender(venue.rest, recorder)
        self.journal: OrderJournal | None = None
        self.in_flight: set[str] = set()
        self.client_ids = ClientIds()
        self._ctx: EngineContext | None = None

    @property
    def rest(self) -> BinanceRest:
        return self.venue.rest

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self.futures.ctx = ctx
        self.recorder.attach(ctx)
        for command_type, handler in (
            (PlaceOrder, self.place),
            (CancelOrder, self.cancel),
            (CancelAllOrders, self.cancel_all),
            (SetLeverage, self.futures.set_leverage),
            (SetMarginType, self.futures.set_margin_type),
            (ClosePosition, self.close_position),
            (PlaceOco, self.place_oco),
            (SetPositionMode, self.set_position_mode),
        ):
            ctx.register_handler(command_type, handler)
        self.journal = OrderJournal(ctx.settings.db_path.with_suffix(".journal"))
        await self.recovery.replay_journal(ctx, self.journal)
        self.recovery.resume_unknown(ctx)
        ctx.supervise("journal-compaction", self._compact_journal_periodically)

    async def stop(self) -> None:
        if self._batcher_ready():
            await self.recorder.batcher.flush()
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self._ctx = None

    def _batcher_ready(self) -> bool:
        return self._ctx is not None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The order component is not running.")
        return self._ctx

    def status(self) -> dict[str, Any]:
        batcher = self.recorder.batcher if self._ctx else None
        return {
            "in_flight": len(self.in_flight),
            "resolving": len(self.recovery.resolving),
            "writes_pending": batcher.pending() if batcher else 0,
        }

    # --- place ----------------------------------------------------------------------------------

    async def place(self, command: PlaceOrder) -> Reply:
        if command.client_order_id is None:
            return await self._place(command, new_client_order_id())
        repeat = self.client_ids.repeat(command, self._context.store)  # before any await
        if repeat is not None:
            return repeat
        try:
            return await self._place(command, command.client_order_id)
        finally:
            self.client_ids.release(command.client_order_id)

    async def _place(self, command: PlaceOrder, client_id: str) -> Reply:
        refusal = await self._pre_trade(command)
        if refusal is not None:
            return self._refused_locally(command, refusal)
        restore = await self.futures.apply(command)
        if isinstance(restore, Reply):
            return restore
        self.in_flight.add(client_id)
        try:
            self._write_ahead(command, client_id)
            self.client_ids.used(client_id)
            reply = await self._send(command, client_id)
            self.client_ids.used(client_id, str(reply.data.get("status", "PENDING")))
        finally:
            self.in_flight.discard(client_id)
        if restore != Restore() and reply.data.get("status") == OrderStatus.REJECTED.value:
            await self.futures.restore(command.symbol, restore)
        return reply

    def _refused_locally(self, command: PlaceOrder, refusal: Refusal) -> Reply:
        code, message = local_refusal(refusal)
        self._context.record(
            Level.WARNING, EventKind.ORDER_REFUSED,
            f"{command.side} {command.symbol}: {message}",
            {"actor": command.actor, "code": code, "symbol": command.symbol,
             "market": str(command.market)},
        )  # fmt: skip
        return _reply(command, False, message, code, status=OrderStatus.REJECTED.value, sent=False)

    async def _pre_trade(self, command: PlaceOrder) -> Refusal | None:
        pair = self.venue.pair(command.market, command.symbol)
        refusal = check_symbol(command, pair, self.venue.unavailable.get(command.market))
        if refusal is None:
            refusal = check_position_side(command, self.account.state().hedge_mode)
        if refusal is not None:
            return refusal
        assert pair is not None
        last = await self.last_price(command.market, command.symbol)
        refusal = check_filters(command, pair, last)
        if refusal is None and command.leverage is not None:
            refusal = self.risk.check_leverage(command.symbol, command.leverage)
        if refusal is None:
            refusal = self.risk.check(command, command.stop_loss)
        if refusal is not None:
            return refusal
        return await self._funds(command, pair, last)

    async def _funds(
        self, command: PlaceOrder, pair: TradingPair, last: Decimal | None
    ) -> Refusal | None:
        refusal = self._check_funds(command, pair, last)
        if refusal is not None and self.account.refreshing():
            # A fill or transfer may have just landed: decide on the reading that has it.
            await self.account.refreshed()
            refusal = self._check_funds(command, pair, last)
        return refusal

    def _check_funds(
        self, command: PlaceOrder, pair: TradingPair, last: Decimal | None
    ) -> Refusal | None:
        account = self._account_view(command)
        if command.market is MarketType.SPOT:
            return check_spot_balance(command, pair, account, last)
        return check_futures_margin(command, account, last)

    async def last_price(self, market: MarketType, symbol: str) -> Decimal | None:
        """The freshest price: the live feed's, else one REST read (estimates only: the
        exchange checks again)."""
        price = self.prices.get(market, symbol, PRICE_MAX_AGE_S)
        if price is not None:
            return price
        try:
            price = await self.rest.last_price(market, symbol)
        except ExchangeError:
            return self.prices.get(market, symbol)
        self.prices.set(market, symbol, price)
        return price

    def _account_view(self, command: PlaceOrder) -> AccountView:
        state = self.account.state()
        side = command.position_side.value if command.position_side else None
        position = state.position(command.symbol, side)
        return AccountView(
            spot_free=state.spot_free(),
            futures_available=state.futures_available(),
            futures_position=position.amount if position else Decimal(0),
            leverage=command.leverage or self.futures.leverage(command.symbol),
            taker_fee=SPOT_TAKER_FEE if command.market is MarketType.SPOT else FUTURES_TAKER_FEE,
        )

    def _write_ahead(self, command: PlaceOrder, client_id: str) -> None:
        """Journal the order durably, then queue its DuckDB row (written before any update)."""
        row = trading.pending_order_row(command, client_id, command.actor, now_ms())
        assert self.journal is not None
        self.journal.append(row)
        if self.recorder.is_conditional(command.market, client_id, command.order_type.value):
            self.recorder.conditional_ids.add(client_id)
        self.recorder.pending(row)

    async def _send(self, command: PlaceOrder, client_id: str) -> Reply:
        try:
            submitted = await self.rest.submit_order(command, client_id)
        except TemporaryError as exc:
            if exc.outcome_unknown:
                return await self._outcome_unknown(command, client_id, exc)
            return self._refused(command, client_id, exc)
        except ExchangeError as exc:
            return self._refused(command, client_id, exc)
        update = submitted.update
        self.recorder.record(update, submitted.fills, actor=command.actor)
        return _reply(
            command, True, describe_placed(update),
            client_order_id=client_id, exchange_order_id=update.exchange_order_id,
            status=update.status.value, executed_qty=str(update.executed_qty),
            avg_price=str(update.avg_price) if update.avg_price is not None else None,
        )  # fmt: skip

    def _refused(self, command: PlaceOrder, client_id: str, exc: ExchangeError) -> Reply:
        self.recorder.set_status(client_id, OrderStatus.REJECTED, exc.reason)
        if exc.code == -4061:  # the mode was changed elsewhere: read it for the next order
            self._context.spawn(position_mode.read_mode(self.rest, self.recorder), "read-mode")
        code, message = exchange_refusal(exc, "the order")
        self._context.record(
            Level.WARNING, EventKind.ORDER_REJECTED, f"{command.side} {command.symbol}: {message}",
            {"actor": command.actor, "client_order_id": client_id, "code": code,
             "symbol": command.symbol, "market": str(command.market)},
        )  # fmt: skip
        return _reply(
            command, False, message, code,
            client_order_id=client_id, status=OrderStatus.REJECTED.value, sent=True,
        )  # fmt: skip

    async def _outcome_unknown(
        self, command: PlaceOrder, client_id: str, exc: ExchangeError
    ) -> Reply:
        self.recorder.set_status(client_id, OrderStatus.UNKNOWN, exc.reason)
        self._context.record(
            Level.WARNING, EventKind.ORDER_UNKNOWN,
            f"{command.symbol}: no answer from the exchange ({exc.binance_message}); "
            "querying the order by its id, not sending it again.",
            {"client_order_id": client_id},
        )  # fmt: skip
        task = self._context.spawn(
            self.recovery.resolve(
                command.market, command.symbol, client_id, command.order_type.value
            ),
            f"resolve-{client_id}",
        )
        try:
            async with asyncio.timeout(RESOLVE_WAIT_FOR_REPLY_S):
                status = await asyncio.shield(task)
        except TimeoutError:
            return _reply(
                command, False,
                "The exchange has not confirmed this order yet. It was sent once and is being "
                "checked; see its status in the open orders before placing it again.",
                "unknown", client_order_id=client_id, status=OrderStatus.UNKNOWN.value,
            )  # fmt: skip
        ok = status is not None and status is not OrderStatus.REJECTED
        message = f"Confirmed after a lost answer: {status}" if ok else "The order was not placed."
        return _reply(
            command, ok, message, None if ok else "not_placed",
            client_order_id=client_id, status=(status or OrderStatus.REJECTED).value,
        )  # fmt: skip

    # --- cancel ---------------------------------------------------------------------------------

    async def cancel(self, command: CancelOrder) -> Reply:
        return await self.cancelling.cancel(command)

    async def cancel_all(self, command: CancelAllOrders) -> Reply:
        return await self.cancelling.cancel_all(command)

    # --- futures settings and positions ---------------------------------------------------------

    async def close_position(self, command: ClosePosition) -> Reply:
        # Not the hot path: read the position with every write so far (a fill may have just
        # opened it).
        state = await self.account.refreshed()
        position, why = position_to_close(command, state.open_sides(command.symbol))
        if position is None:
            return _reply(command, False, why, "desk.no_position")
        cancelled = 0
        if command.cancel_reduce_only:
            cancelled = await self.cancelling.cancel_reduce_only(command.actor, command.symbol)
        reply = await self.place(closing_order(position, command.actor))
        if not reply.ok:
            return reply
        left = await self.cancelling.position_left(command.symbol, position.position_side)
        return closed_reply(command, reply, position, cancelled, left)

    # --- OCO and the position mode --------------------------------------------------------------

    async def place_oco(self, command: PlaceOco) -> Reply:
        """Check both legs, write both ahead, send the list once (engine/orders/oco.py)."""
        refusal = await self._oco_pre_trade(command)
        if refusal is not None:
            return self.oco.refused_locally(self._context, command, refusal)
        request = oco.request(command)
        ids = (request.take_profit_client_id, request.stop_client_id)
        self.in_flight.update(ids)
        try:
            for row in oco.pending_rows(command, request):
                assert self.journal is not None
                self.journal.append(row)
                self.recorder.pending(row)
            return await self.oco.send(self._context, command, request)
        finally:
            self.in_flight.difference_update(ids)

    async def _oco_pre_trade(self, command: PlaceOco) -> Refusal | None:
        pair = self.venue.pair(command.market, command.symbol)
        last = await self.last_price(command.market, command.symbol)
        unavailable = self.venue.unavailable.get(command.market)
        refusal = oco.pre_trade(command, pair, unavailable, last)
        if refusal is not None:
            return refusal
        assert pair is not None
        refusal = self.risk.check(oco.risk_leg(command))
        for leg in oco.legs(command):
            refusal = refusal or await self._funds(leg, pair, last)
        return refusal

    async def set_position_mode(self, command: SetPositionMode) -> Reply:
        return await position_mode.set_position_mode(self.rest, self.recorder, command)

    async def _compact_journal_periodically(self) -> None:
        while True:
            await asyncio.sleep(JOURNAL_COMPACTION_S)
            await self.compact_journal()

    async def compact_journal(self) -> bool:
        """Truncate the journal when no order is in flight and DuckDB holds every entry."""
        if self.journal is None:
            return False
        return await compact_journal(self._context, self.journal, self.recorder, self.in_flight)
