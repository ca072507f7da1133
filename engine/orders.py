"""Order lifecycle: check, write ahead, send once, resolve unknown outcomes, never duplicate.

1. Checks that need no exchange round trip (symbol, filters, risk, balance or margin) refuse
   with a reason; nothing is sent.
2. The order is written to DuckDB with our client order id before it is sent, so a crash can
   never lose an order the exchange may have accepted.
3. It is sent exactly once. A refusal is recorded with the exchange's reason. A timeout, 5xx or
   dropped connection leaves it UNKNOWN, and it is resolved by querying that client order id,
   never by sending again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine import ledger
from engine.binance import schemas
from engine.binance.errors import ExchangeError, NotFound, NothingToChange, TemporaryError
from engine.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    PlaceOrder,
    Reply,
    SetLeverage,
    SetMarginType,
)
from engine.journal import OrderJournal
from engine.models import MarketType, OrderStatus, OrderType, OrderUpdate, Side
from engine.order_checks import (
    AccountView,
    Refusal,
    check_filters,
    check_futures_margin,
    check_spot_balance,
    check_symbol,
)
from engine.risk import check_leverage_setting

if TYPE_CHECKING:
    from engine.engine import Engine

log = logging.getLogger(__name__)

CLIENT_ID_PREFIX = "td-"
FUTURES_ALGO_ORDER_TYPES = frozenset(
    t.value
    for t in (
        OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_MARKET,
        OrderType.TAKE_PROFIT_LIMIT, OrderType.TRAILING_STOP_MARKET,
    )
)  # fmt: skip
RESOLVE_DEADLINE_S = 120.0
PRICE_MAX_AGE_S = 1.0
RESOLVE_WAIT_FOR_REPLY_S = 5.0
SPOT_TAKER_FEE = Decimal("0.001")
FUTURES_TAKER_FEE = Decimal("0.0005")

RiskCheck = Callable[[PlaceOrder], Awaitable[Refusal | None]]


def new_client_order_id() -> str:
    """Ours, unique, within Binance's 36 characters of [.A-Z:/a-z0-9_-]."""
    return f"{CLIENT_ID_PREFIX}{int(time.time() * 1000):x}-{secrets.token_hex(8)}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class TradingComponent:
    """Handles the trading commands and keeps the orders table true."""

    name = "trading"

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.risk_check: RiskCheck | None = None
        self.resolving: set[str] = set()
        self.leverage: dict[str, int] = {}
        self.on_fills: Callable[[list[Any]], Awaitable[None]] | None = None
        self.journal: OrderJournal | None = None
        self.in_flight: set[str] = set()
        self.algo_ids: set[str] = set()
        self._price_cache: dict[tuple[MarketType, str], tuple[float, Decimal]] = {}
        self._account_cache: (
            tuple[dict[str, Decimal], Decimal, dict[str, tuple[Any, Any]]] | None
        ) = None

    async def start(self, engine: Engine) -> None:
        self.engine = engine
        engine.trading = self
        for command_type, handler in (
            (PlaceOrder, self.place),
            (CancelOrder, self.cancel),
            (CancelAllOrders, self.cancel_all),
            (SetLeverage, self.set_leverage),
            (SetMarginType, self.set_margin_type),
            (ClosePosition, self.close_position),
        ):
            engine.register_handler(command_type, handler)
        self.journal = OrderJournal(engine.settings.db_path.with_suffix(".journal"))
        await self._replay_journal()
        await self._resume_unknown_orders()
        engine.supervise("journal-compaction", self._compact_journal_periodically)

    async def stop(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self.engine = None

    # --- helpers --------------------------------------------------------------------------------

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("The trading component is not running.")
        return self.engine

    async def _write(self, work: Callable[[Any], Any]) -> Any:
        store = self._engine.store
        assert store is not None
        return await store.write(work)

    def _read(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        store = self._engine.store
        assert store is not None
        with store.reader() as cur:
            return cur.execute(sql, params).fetchall()

    # --- place ----------------------------------------------------------------------------------

    async def place(self, command: PlaceOrder) -> Reply:
        refusal = await self._pre_trade(command)
        if refusal is not None:
            self._engine.record_event(
                "warning", "order_refused", f"{command.symbol} {command.side}: {refusal.reason}",
                {"actor": command.actor, "code": refusal.code},
            )  # fmt: skip
            return _reply(command, False, refusal.reason, refusal.code)
        client_id = new_client_order_id()
        self.in_flight.add(client_id)
        try:
            self._write_ahead(command, client_id)
            return await self._send(command, client_id)
        finally:
            self.in_flight.discard(client_id)

    async def _pre_trade(self, command: PlaceOrder) -> Refusal | None:
        exchange = self._engine.exchange
        pair = exchange.pair(command.market, command.symbol)
        refusal = check_symbol(command, pair, exchange.unavailable.get(command.market))
        if refusal is not None:
            return refusal
        assert pair is not None
        last = await self.last_price(command.market, command.symbol)
        refusal = check_filters(command, pair, last)
        if refusal is None and self.risk_check is not None:
            refusal = await self.risk_check(command)
        if refusal is not None:
            return refusal
        account = self._account_view(command)
        if command.market is MarketType.SPOT:
            return check_spot_balance(command, pair, account, last)
        return check_futures_margin(command, account, last)

    async def last_price(self, market: MarketType, symbol: str) -> Decimal | None:
        """The freshest price we hold (reused for up to a second): the ticker stream, else REST.

        It only feeds estimates and the percent-price filter; the exchange checks again.
        """
        cached = self._price_cache.get((market, symbol))
        if cached is not None and time.monotonic() - cached[0] < PRICE_MAX_AGE_S:
            return cached[1]
        price = await self._read_price(market, symbol)
        self._price_cache[(market, symbol)] = (time.monotonic(), price)
        return price

    async def _read_price(self, market: MarketType, symbol: str) -> Decimal:
        table = "tickers" if market is MarketType.SPOT else "mark_prices"
        column = "last_price" if market is MarketType.SPOT else "mark_price"
        where = "market = ? AND symbol = ?" if market is MarketType.SPOT else "symbol = ?"
        params = [market.value, symbol] if market is MarketType.SPOT else [symbol]
        rows = self._read(f"SELECT {column} FROM {table} WHERE {where}", params)
        if rows and rows[0][0]:
            return Decimal(str(rows[0][0]))
        client = self._engine.exchange.client
        if market is MarketType.SPOT:
            ticker = await client.read(lambda c: c.get_symbol_ticker(symbol=symbol))
            return Decimal(ticker["price"])
        mark = await client.read(lambda c: c.futures_mark_price(symbol=symbol))
        return Decimal(mark["markPrice"])

    def account_changed(self) -> None:
        """Balances or positions were rewritten: the next check reads them again."""
        self._account_cache = None

    def _account_rows(self) -> tuple[dict[str, Decimal], Decimal, dict[str, tuple[Any, Any]]]:
        if self._account_cache is None:
            balances = self._read("SELECT market, asset, free FROM balances", [])
            positions = self._read("SELECT symbol, amount, leverage FROM positions", [])
            spot = {a: Decimal(f) for m, a, f in balances if m == "spot"}
            futures = next(
                (Decimal(f) for m, a, f in balances if m == "futures" and a == "USDT"), Decimal(0)
            )
            self._account_cache = (spot, futures, {s: (a, lev) for s, a, lev in positions})
        return self._account_cache

    def _account_view(self, command: PlaceOrder) -> AccountView:
        spot, futures, positions = self._account_rows()
        amount, leverage = positions.get(command.symbol, (Decimal(0), None))
        return AccountView(
            spot_free=spot,
            futures_available=futures,
            futures_position=Decimal(amount),
            leverage=int(leverage or self.leverage.get(command.symbol, 1)),
            taker_fee=SPOT_TAKER_FEE if command.market is MarketType.SPOT else FUTURES_TAKER_FEE,
        )

    def _write_ahead(self, command: PlaceOrder, client_id: str) -> None:
        """Journal the order durably, then queue its DuckDB row (written before any update)."""
        row = ledger.pending_order_row(
            client_order_id=client_id, market=command.market, symbol=command.symbol,
            side=command.side.value, order_type=command.order_type.value,
            quantity=command.quantity, quote_quantity=command.quote_quantity,
            price=command.price, stop_price=command.stop_price,
            time_in_force=command.time_in_force.value if command.time_in_force else None,
            reduce_only=command.reduce_only, post_only=command.post_only,
            actor=command.actor, now_ms=_now_ms(),
        )  # fmt: skip
        assert self.journal is not None and self._engine.store is not None
        self.journal.append(row)
        if command.market is MarketType.FUTURES and row["order_type"] in FUTURES_ALGO_ORDER_TYPES:
            self.algo_ids.add(client_id)  # known before its DuckDB row lands
        # Queued, not awaited: the single database thread runs writes in submission order.
        written = self._engine.store.submit(lambda con: ledger.upsert_orders(con, [row]))
        written.add_done_callback(_log_failed_write)

    async def _send(self, command: PlaceOrder, client_id: str) -> Reply:
        client = self._engine.exchange.client
        try:
            if command.market is MarketType.SPOT:
                params = schemas.spot_order_params(command, client_id)
                response = await client.signed(lambda c: c.create_order(**params))
                update = schemas.order_from_spot_response(response)
                fills = schemas.fills_from_spot_response(response)
            else:
                params = schemas.futures_order_params(command, client_id)
                response = await client.signed(lambda c: c.futures_create_order(**params))
                update = _futures_update(response)
                fills = []
        except TemporaryError as exc:
            if exc.outcome_unknown:
                return await self._outcome_unknown(command, client_id, exc)
            return await self._refused(command, client_id, exc)
        except ExchangeError as exc:
            return await self._refused(command, client_id, exc)
        # The journal already holds the order; DuckDB follows on its own thread, in order, and
        # the trader gets the exchange's answer without waiting for a database commit.
        written = self.record_nowait(update, fills, actor=command.actor)
        self._engine.spawn(self._recorded(written, fills), f"record-{client_id}")
        return _reply(
            command, True, f"{update.status} {update.side} {update.orig_qty} {update.symbol}",
            client_order_id=client_id, exchange_order_id=update.exchange_order_id,
            status=update.status.value, executed_qty=str(update.executed_qty),
            avg_price=str(update.avg_price) if update.avg_price is not None else None,
        )  # fmt: skip

    async def _refused(self, command: PlaceOrder, client_id: str, exc: ExchangeError) -> Reply:
        await self._write(
            lambda con: ledger.set_order_status(
                con, client_id, OrderStatus.REJECTED, exc.reason, _now_ms()
            )
        )
        self._engine.record_event(
            "warning", "order_rejected", f"{command.symbol}: {exc}",
            {"actor": command.actor, "client_order_id": client_id, "code": exc.code},
        )  # fmt: skip
        return _reply(command, False, exc.reason, f"binance.{exc.code}", client_order_id=client_id)

    async def _outcome_unknown(
        self, command: PlaceOrder, client_id: str, exc: ExchangeError
    ) -> Reply:
        await self._write(
            lambda con: ledger.set_order_status(
                con, client_id, OrderStatus.UNKNOWN, exc.reason, _now_ms()
            )
        )
        self._engine.record_event(
            "warning", "order_unknown",
            f"{command.symbol}: no answer from the exchange ({exc.binance_message}); "
            "querying the order by its id, not sending it again.",
            {"client_order_id": client_id},
        )  # fmt: skip
        task = self._engine.spawn(
            self.resolve(command.market, command.symbol, client_id), f"resolve-{client_id}"
        )
        try:
            async with asyncio.timeout(RESOLVE_WAIT_FOR_REPLY_S):
                status = await asyncio.shield(task)
        except TimeoutError:
            return _reply(
                command, False,
                "The exchange did not confirm this order yet. It was sent once and is being "
                "checked; see its status in the open orders before placing it again.",
                "unknown", client_order_id=client_id, status=OrderStatus.UNKNOWN.value,
            )  # fmt: skip
        ok = status is not None and status is not OrderStatus.REJECTED
        message = f"Confirmed after a lost answer: {status}" if ok else "The order was not placed."
        return _reply(
            command, ok, message, None if ok else "not_placed",
            client_order_id=client_id, status=(status or OrderStatus.REJECTED).value,
        )  # fmt: skip

    async def resolve(self, market: MarketType, symbol: str, client_id: str) -> OrderStatus | None:
        """Query an order of unknown outcome by its client id until the exchange knows it."""
        if client_id in self.resolving:
            return None
        self.resolving.add(client_id)
        try:
            return await self._resolve_loop(market, symbol, client_id)
        finally:
            self.resolving.discard(client_id)

    async def _resolve_loop(
        self, market: MarketType, symbol: str, client_id: str
    ) -> OrderStatus | None:
        deadline = time.monotonic() + RESOLVE_DEADLINE_S
        delay = 0.2
        not_found = 0
        while time.monotonic() < deadline:
            try:
                update = await self._query_order(market, symbol, client_id)
            except NotFound:
                not_found += 1
                # Binance may take a moment to show an order it accepted; a few misses in a row
                # across more than a few seconds mean it never arrived.
                if not_found >= 3 and delay >= 0.8:
                    await self._write(
                        lambda con: ledger.set_order_status(
                            con,
                            client_id,
                            OrderStatus.REJECTED,
                            "Never reached the exchange (the request was lost).",
                            _now_ms(),
                        )
                    )
                    return OrderStatus.REJECTED
            except ExchangeError:
                pass  # the exchange is still unwell; keep asking
            else:
                await self.record(update, [], actor=None)
                return update.status
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        return None

    async def _query_order(self, market: MarketType, symbol: str, client_id: str) -> OrderUpdate:
        client = self._engine.exchange.client
        if market is MarketType.SPOT:
            raw = await client.signed(
                lambda c: c.get_order(symbol=symbol, origClientOrderId=client_id)
            )
            return schemas.order_from_spot_response(raw)
        if self._is_algo(client_id):
            raw = await client.signed(
                lambda c: c.futures_get_order(symbol=symbol, clientAlgoId=client_id)
            )
            return schemas.order_from_futures_algo_response(raw)
        raw = await client.signed(
            lambda c: c.futures_get_order(symbol=symbol, origClientOrderId=client_id)
        )
        return schemas.order_from_futures_response(raw)

    def _is_algo(self, client_id: str) -> bool:
        """USD-M conditional orders live in Binance's algo service, under `clientAlgoId`."""
        if client_id in self.algo_ids:
            return True
        rows = self._read("SELECT order_type FROM orders WHERE client_order_id = ?", [client_id])
        return bool(rows) and rows[0][0] in FUTURES_ALGO_ORDER_TYPES

    async def _replay_journal(self) -> None:
        """Orders journaled before a crash but missing from DuckDB are put back, then resolved."""
        assert self.journal is not None
        entries = {e["client_order_id"]: e for e in self.journal.entries()}
        if entries:
            known = {
                cid
                for (cid,) in self._read(
                    "SELECT client_order_id FROM orders WHERE client_order_id IN "
                    "(SELECT unnest(?))",
                    [list(entries)],
                )
            }
            missing = [_journal_row(e) for cid, e in entries.items() if cid not in known]
            if missing:
                await self._write(lambda con: ledger.upsert_orders(con, missing))
                self._engine.record_event(
                    "warning", "journal_replayed",
                    f"{len(missing)} journaled orders were missing from the database after a "
                    "stop; they are being resolved with the exchange.",
                )  # fmt: skip
        self.journal.truncate()

    async def _compact_journal_periodically(self, every_s: float = 60.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            await self.compact_journal()

    async def compact_journal(self) -> bool:
        """Truncate the journal when no order is in flight and DuckDB holds every entry."""
        if self.journal is None or self.in_flight:
            return False
        ids = [e["client_order_id"] for e in self.journal.entries()]
        await self._write(lambda con: None)  # every queued write has landed after this
        rows = self._read(
            "SELECT count(*) FROM orders WHERE client_order_id IN (SELECT unnest(?))", [ids]
        )
        if self.in_flight or rows[0][0] != len(set(ids)):
            return False
        self.journal.truncate()
        return True

    async def _resume_unknown_orders(self) -> None:
        """After a restart: orders left PENDING_NEW or UNKNOWN are resolved, never re-sent."""
        rows = self._read(
            "SELECT market, symbol, client_order_id FROM orders "
            "WHERE status IN ('PENDING_NEW', 'UNKNOWN')",
            [],
        )
        for market, symbol, client_id in rows:
            self._engine.spawn(
                self.resolve(MarketType(market), symbol, client_id), f"resolve-{client_id}"
            )

    async def record(self, update: OrderUpdate, fills: list[Any], actor: str | None) -> None:
        """Write an order update (and its fills) from any source: response, event or query."""
        await self._recorded(self.record_nowait(update, fills, actor), fills)

    def record_nowait(self, update: OrderUpdate, fills: list[Any], actor: str | None) -> Any:
        """Queue the write and return its future (the reply path does not wait for DuckDB)."""
        row = ledger.order_row(update, actor=actor, created_ms=update.update_time)

        def work(con: Any) -> None:
            ledger.upsert_orders(con, [row])
            ledger.upsert_fills(con, fills)

        assert self._engine.store is not None
        return self._engine.store.submit(work)

    async def _recorded(self, written: Any, fills: list[Any]) -> None:
        await asyncio.wrap_future(written)
        if fills:
            self.account_changed()
        if fills and self.on_fills is not None:
            await self.on_fills(fills)

    # --- cancel ---------------------------------------------------------------------------------

    async def cancel(self, command: CancelOrder) -> Reply:
        client = self._engine.exchange.client
        cid, symbol = command.client_order_id, command.symbol
        try:
            if command.market is MarketType.SPOT:
                raw = await client.signed(
                    lambda c: c.cancel_order(symbol=symbol, origClientOrderId=cid)
                )
                update = schemas.order_from_spot_response(raw)
            elif self._is_algo(cid):
                # Binance answers an algo cancel with ids and a code only: ask for the order.
                await client.signed(
                    lambda c: c.futures_cancel_order(symbol=symbol, clientAlgoId=cid)
                )
                update = await self._query_order(command.market, symbol, cid)
            else:
                raw = await client.signed(
                    lambda c: c.futures_cancel_order(symbol=symbol, origClientOrderId=cid)
                )
                update = _futures_update(raw)
        except NotFound as exc:
            await self._refresh_after_failed_cancel(command)
            return _reply(command, False, exc.reason, f"binance.{exc.code}")
        except ExchangeError as exc:
            return _reply(command, False, exc.reason, f"binance.{exc.code}")
        await self.record(update, [], actor=None)
        return _reply(command, True, f"Cancelled {cid}.", status=update.status.value)

    async def _refresh_after_failed_cancel(self, command: CancelOrder) -> None:
        try:
            update = await self._query_order(
                command.market, command.symbol, command.client_order_id
            )
        except ExchangeError:
            return
        await self.record(update, [], actor=None)

    async def cancel_all(self, command: CancelAllOrders) -> Reply:
        client = self._engine.exchange.client
        symbol = command.symbol
        try:
            if command.market is MarketType.SPOT:
                raw = await client.signed(lambda c: c.cancel_all_open_orders(symbol=symbol))
                updates = [schemas.order_from_spot_response(o) for o in raw if "orderId" in o]
            else:
                await client.signed(lambda c: c.futures_cancel_all_open_orders(symbol=symbol))
                await client.signed(lambda c: c.futures_cancel_all_algo_open_orders(symbol=symbol))
                updates = []
        except NotFound:
            return _reply(command, True, f"No open {command.market} orders on {symbol}.")
        except ExchangeError as exc:
            return _reply(command, False, exc.reason, f"binance.{exc.code}")
        for update in updates:
            await self.record(update, [], actor=None)
        if command.market is MarketType.FUTURES:
            await self._mark_cancelled_locally(command)
        return _reply(command, True, f"Cancelled the open {command.market} orders on {symbol}.")

    async def _mark_cancelled_locally(self, command: CancelAllOrders) -> None:
        # USD-M answers cancel-all with a bare {"code": 200}; the user stream confirms each order.
        open_ids = self._read(
            "SELECT client_order_id FROM orders WHERE market = ? AND symbol = ? "
            "AND status IN ('NEW', 'PARTIALLY_FILLED')",
            [command.market.value, command.symbol],
        )
        for (cid,) in open_ids:
            try:
                update = await self._query_order(command.market, command.symbol, cid)
            except ExchangeError:
                continue
            await self.record(update, [], actor=None)

    # --- futures settings -----------------------------------------------------------------------

    async def set_leverage(self, command: SetLeverage) -> Reply:
        risk = getattr(self._engine, "risk", None)
        if risk is not None:
            decision = check_leverage_setting(risk.risk, command.symbol, command.leverage)
            if not decision.allowed:
                return _reply(command, False, decision.reason, f"risk.{decision.rule}")
        client = self._engine.exchange.client
        try:
            raw = await client.signed(
                lambda c: c.futures_change_leverage(
                    symbol=command.symbol, leverage=command.leverage
                )
            )
        except ExchangeError as exc:
            return _reply(command, False, exc.reason, f"binance.{exc.code}")
        leverage = int(raw["leverage"])
        self.leverage[command.symbol] = leverage

        def work(con: Any) -> None:
            ledger.set_symbol_setting(con, command.symbol, _now_ms(), leverage=leverage)
            con.execute(
                "UPDATE positions SET leverage = ? WHERE symbol = ?", [leverage, command.symbol]
            )

        await self._write(work)
        self.account_changed()
        return _reply(command, True, f"{command.symbol} leverage is {raw['leverage']}x.", **raw)

    async def set_margin_type(self, command: SetMarginType) -> Reply:
        client = self._engine.exchange.client
        try:
            await client.signed(
                lambda c: c.futures_change_margin_type(
                    symbol=command.symbol, marginType=command.margin_type.value
                )
            )
        except NothingToChange:
            pass
        except ExchangeError as exc:
            return _reply(command, False, exc.reason, f"binance.{exc.code}")
        margin = command.margin_type.value
        await self._write(
            lambda con: ledger.set_symbol_setting(
                con, command.symbol, _now_ms(), margin_type=margin
            )
        )
        return _reply(command, True, f"{command.symbol} margin is {command.margin_type}.")

    async def close_position(self, command: ClosePosition) -> Reply:
        rows = self._read("SELECT amount FROM positions WHERE symbol = ?", [command.symbol])
        amount = Decimal(rows[0][0]) if rows else Decimal(0)
        if amount == 0:
            return _reply(
                command, False, f"There is no open {command.symbol} position.", "no_position"
            )
        order = PlaceOrder(
            actor=command.actor, market=MarketType.FUTURES, symbol=command.symbol,
            side=Side.SELL if amount > 0 else Side.BUY, order_type=OrderType.MARKET,
            quantity=abs(amount), reduce_only=True,
        )  # fmt: skip
        return await self.place(order)


def _log_failed_write(future: Any) -> None:
    # The journal still holds the order: the next start puts it back and resolves it.
    if future.exception() is not None:
        log.error("Writing a journaled order to DuckDB failed: %s", future.exception())


def _journal_row(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal line back into an `orders` row (decimals were written as strings)."""
    decimals = ("quantity", "quote_quantity", "price", "stop_price", "executed_qty")
    return {k: (Decimal(v) if k in decimals and v is not None else v) for k, v in entry.items()}


def _futures_update(payload: dict[str, Any]) -> OrderUpdate:
    if "algoId" in payload:
        return schemas.order_from_futures_algo_response(payload)
    return schemas.order_from_futures_response(payload)
