"""Keep orders, fills, balances and positions in DuckDB equal to the exchange's.

Two paths, both supervised by the engine:
- user-data streams: spot through the WebSocket API subscription
  (`userDataStream.subscribe.signature`), USD-M through a listenKey with keepalive;
- reconciliation against REST: at start, after every stream (re)connect (it covers the time the
  stream was down), and periodically.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
import websockets

from engine import ledger
from engine.binance import schemas
from engine.binance.errors import ExchangeError
from engine.commands import Reconcile, Reply, TestConnection
from engine.models import MarketType, OrderUpdate

if TYPE_CHECKING:
    from engine.engine import Engine

RECONCILE_EVERY_S = 60.0
LISTEN_KEY_KEEPALIVE_S = 30 * 60.0
STREAM_SILENCE_S = 3 * 60.0  # Binance pings every few minutes; silence this long is a dead link
MAX_FRAME_BYTES = 1 << 20
WS_API_SUBSCRIBE_WEIGHT = 2
DEFAULT_RETRY_AFTER_S = 10.0
SPOT_PERMISSION_FIELDS = ("canTrade", "canWithdraw", "canDeposit", "accountType", "permissions")


def _connect(url: str) -> Any:
    # A short close timeout: a stream whose reader has stopped (as at shutdown) has unread
    # frames queued, the exchange's close frame waits behind them, and the default 10 s
    # closing handshake would hold the engine's stop for that long.
    return websockets.connect(url, max_size=MAX_FRAME_BYTES, open_timeout=10, close_timeout=2)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AccountSync:
    """User-data streams and reconciliation for both markets."""

    name = "account"

    def __init__(self, reconcile_every_s: float = RECONCILE_EVERY_S) -> None:
        self.engine: Engine | None = None
        self.reconcile_every_s = reconcile_every_s
        self.reconciliations = 0
        self.stream_state: dict[str, str] = {}
        self.last_event_ms: dict[str, int] = {}
        self._position_changed_at: dict[str, float] = {}  # symbol -> monotonic time of the event
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)

    async def start(self, engine: Engine) -> None:
        self.engine = engine
        engine.account = self
        engine.register_handler(Reconcile, self._on_reconcile)
        engine.register_handler(TestConnection, self._on_test_connection)
        await self.reconcile("start")
        if engine.exchange.client.credentials is None:
            engine.record_event("warning", "no_keys", "No API keys: account data is not synced.")
            return
        engine.supervise("user-stream-spot", self._spot_stream)
        if MarketType.FUTURES not in engine.exchange.unavailable:
            engine.supervise("user-stream-futures", self._futures_stream)
        engine.supervise("reconcile", self._reconcile_periodically)

    async def stop(self) -> None:
        self.engine = None

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("Account sync is not running.")
        return self.engine

    def status(self) -> dict[str, Any]:
        now = _now_ms()
        return {
            "user_streams": {
                market: {
                    "state": state,
                    "last_event_age_s": _age_s(self.last_event_ms, market, now),
                }
                for market, state in self.stream_state.items()
            },
            "reconciliations": self.reconciliations,
        }

    # --- commands -------------------------------------------------------------------------------

    async def _on_reconcile(self, command: Reconcile) -> Reply:
        try:
            await self.reconcile(f"asked by {command.actor}")
        except ExchangeError as exc:
            return Reply(command_id=command.command_id, ok=False, message=exc.reason)
        return Reply(command_id=command.command_id, ok=True, message="Account reconciled.")

    async def _on_test_connection(self, command: TestConnection) -> Reply:
        """What the keys may do, as the exchange reports it (never the keys themselves)."""
        exchange = self._engine.exchange
        creds = exchange.client.credentials
        data: dict[str, Any] = {
            "environment": str(exchange.endpoints.environment),
            "key": creds.masked_key if creds else None,
            "time_offset_ms": exchange.client.metrics.time_offset_ms,
        }
        if creds is None:
            return Reply(command_id=command.command_id, ok=False, message="No API keys.", data=data)
        try:
            spot = await exchange.client.read(lambda c: c.get_account())
            data["spot"] = {k: spot.get(k) for k in SPOT_PERMISSION_FIELDS}
            if MarketType.FUTURES not in exchange.unavailable:
                futures = await exchange.client.read(lambda c: c.futures_account())
                data["futures"] = {
                    "canTrade": futures.get("canTrade", True),
                    "totalWalletBalance": futures.get("totalWalletBalance"),
                }
        except ExchangeError as exc:
            return Reply(command_id=command.command_id, ok=False, message=exc.reason, data=data)
        return Reply(command_id=command.command_id, ok=True, message="Connected.", data=data)

    # --- reconciliation -------------------------------------------------------------------------

    async def _reconcile_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_every_s)
            await self.reconcile("periodic")

    async def reconcile(self, why: str) -> None:
        """Bring every trading table in line with the exchange's REST answers."""
        engine = self._engine
        if engine.exchange.client.credentials is None:
            return
        async with self._lock:
            await self._reconcile_spot()
            if MarketType.FUTURES not in engine.exchange.unavailable:
                await self._reconcile_futures()
            self.reconciliations += 1
        if why != "periodic":
            engine.record_event("info", "reconciled", f"Account reconciled with REST ({why}).")

    async def _reconcile_spot(self) -> None:
        client = self._engine.exchange.client
        account = await client.read(lambda c: c.get_account())
        balances = schemas.balances_from_spot_account(account)
        open_orders = await client.read(lambda c: c.get_open_orders())
        updates = [schemas.order_from_spot_response(o) for o in open_orders]
        await self._write(
            lambda con: ledger.upsert_spot_balances(con, balances, _now_ms(), replace_all=True)
        )
        await self._settle_orders(MarketType.SPOT, updates)
        await self._sync_fills(MarketType.SPOT)

    async def _reconcile_futures(self) -> None:
        client = self._engine.exchange.client
        asked_at = time.monotonic()
        wallet = await client.read(lambda c: c.futures_account_balance())
        positions = await client.read(lambda c: c.futures_position_information())
        regular = await client.read(lambda c: c.futures_get_open_orders())
        algo = await client.read(lambda c: c.futures_get_open_orders(conditional=True))
        updates = [schemas.order_from_futures_response(o) for o in regular]
        updates += [schemas.order_from_futures_algo_response(o) for o in _algo_rows(algo)]
        margin = schemas.margin_balances_from_futures_balance(wallet)
        parsed = schemas.positions_from_position_risk(positions)
        streamed = self.positions_changed_since(asked_at)

        def work(con: Any) -> None:
            ledger.upsert_futures_balances(con, margin, _now_ms())
            ledger.upsert_positions(con, parsed, _now_ms(), replace_all=True, keep=streamed)

        await self._write(work)
        await self._settle_orders(MarketType.FUTURES, updates)
        await self._sync_fills(MarketType.FUTURES)

    def positions_changed_since(self, moment: float) -> frozenset[str]:
        """Symbols whose position the stream changed at or after `moment` (monotonic seconds)."""
        changed = self._position_changed_at.items()
        return frozenset(symbol for symbol, at in changed if at >= moment)

    async def _settle_orders(self, market: MarketType, open_now: list[OrderUpdate]) -> None:
        """Record the exchange's open orders; query every order we think open that is not."""
        trading = self._engine.trading
        for update in open_now:
            await trading.record(update, [], actor=None)
        still_open = {u.client_order_id for u in open_now}
        for symbol, client_id in self._locally_open(market):
            if client_id not in still_open:
                await trading.resolve(market, symbol, client_id)

    def _locally_open(self, market: MarketType) -> list[tuple[str, str]]:
        with self._reader() as cur:
            return cur.execute(
                "SELECT symbol, client_order_id FROM orders WHERE market = ? AND status IN "
                "('PENDING_NEW', 'UNKNOWN', 'NEW', 'PARTIALLY_FILLED')",
                [market.value],
            ).fetchall()

    async def _sync_fills(self, market: MarketType) -> None:
        """Fetch trades of every symbol we have orders on, from the last fill we hold."""
        client = self._engine.exchange.client
        for symbol, since in await asyncio.to_thread(self._fill_cursors, market):
            if market is MarketType.SPOT:
                rows = await client.read(
                    lambda c, s=symbol, t=since: c.get_my_trades(symbol=s, startTime=t)
                )
                make: Callable[..., Any] = schemas.fill_from_spot_trade
            else:
                rows = await client.read(
                    lambda c, s=symbol, t=since: c.futures_account_trades(symbol=s, startTime=t)
                )
                make = schemas.fill_from_futures_trade
            if not rows:
                continue
            ids = self._client_ids(market, symbol, [str(r["orderId"]) for r in rows])
            fills = [make(r, ids.get(str(r["orderId"]), "")) for r in rows]
            await self._write(lambda con, f=fills: ledger.upsert_fills(con, f))

    def _fill_cursors(self, market: MarketType) -> list[tuple[str, int]]:
        """Per symbol we ordered on: the last fill we hold, else the first order's time.

        (Aggregated per table before joining: a join of orders with fills by symbol grows as
        their product and stalled the engine for a minute on a year of history.)
        """
        with self._reader() as cur:
            rows = cur.execute(
                "WITH o AS (SELECT symbol, min(created_ms) AS first_order FROM orders "
                "           WHERE market = ? AND exchange_order_id IS NOT NULL GROUP BY symbol), "
                "f AS (SELECT symbol, max(time) AS last_fill FROM fills WHERE market = ? "
                "      GROUP BY symbol) "
                "SELECT o.symbol, coalesce(f.last_fill, o.first_order) FROM o "
                "LEFT JOIN f USING (symbol)",
                [market.value, market.value],
            ).fetchall()
        return [(symbol, int(since)) for symbol, since in rows]

    def _client_ids(self, market: MarketType, symbol: str, order_ids: list[str]) -> dict[str, str]:
        with self._reader() as cur:
            return dict(
                cur.execute(
                    "SELECT exchange_order_id, client_order_id FROM orders WHERE market = ? "
                    "AND symbol = ? AND exchange_order_id IN (SELECT unnest(?))",
                    [market.value, symbol, order_ids],
                ).fetchall()
            )

    # --- streams --------------------------------------------------------------------------------

    async def _spot_stream(self) -> None:
        engine = self._engine
        gate = engine.exchange.client.gate
        # The WebSocket API spends from the same IP weight budget as REST, and obeys its 429s.
        await gate.admit("spot", WS_API_SUBSCRIBE_WEIGHT)
        url = engine.exchange.endpoints.spot_ws_api
        async with _connect(url) as ws:
            await ws.send(orjson.dumps(self._subscribe_request()).decode())
            async with asyncio.timeout(10):
                answer = orjson.loads(await ws.recv())
            status = answer.get("status")
            if status in (429, 418):
                gate.close_for(_retry_after_s(answer), "The exchange asked us to slow down.")
            if status != 200:
                raise ConnectionError(f"user-data subscription refused: {answer.get('error')}")
            await self._stream_live("spot", ws, self._on_spot_event)

    def _subscribe_request(self) -> dict[str, Any]:
        client = self._engine.exchange.client
        creds = client.credentials
        assert creds is not None
        params = {"apiKey": creds.api_key, "timestamp": _now_ms() + client.raw.timestamp_offset}
        payload = urlencode(sorted(params.items()))
        params["signature"] = hmac.new(
            creds.api_secret.encode(), payload.encode(), hashlib.sha256
        ).hexdigest()
        return {
            "id": next(self._ids),
            "method": "userDataStream.subscribe.signature",
            "params": params,
        }

    async def _futures_stream(self) -> None:
        engine = self._engine
        client = engine.exchange.client
        key = await client.read(lambda c: c.futures_stream_get_listen_key())
        url = f"{engine.exchange.endpoints.futures_ws_private}/ws?listenKey={key}"
        async with _connect(url) as ws:
            keepalive = asyncio.create_task(self._keep_listen_key_alive(key))
            try:
                await self._stream_live("futures", ws, self._on_futures_event)
            finally:
                keepalive.cancel()

    async def _keep_listen_key_alive(self, key: str) -> None:
        client = self._engine.exchange.client
        while True:
            await asyncio.sleep(LISTEN_KEY_KEEPALIVE_S)
            await client.read(lambda c: c.futures_stream_keepalive(listenKey=key))

    async def _stream_live(
        self, market: str, ws: Any, handle: Callable[[dict[str, Any]], Any]
    ) -> None:
        """Reconcile (the stream was down until now), then apply events until it drops."""
        self.stream_state[market] = "connected"
        try:
            await self.reconcile(f"{market} user stream connected")
            while True:
                async with asyncio.timeout(STREAM_SILENCE_S):
                    raw = await ws.recv()
                self.last_event_ms[market] = _now_ms()
                await handle(orjson.loads(raw))
        finally:
            self.stream_state[market] = "reconnecting"

    async def _on_spot_event(self, message: dict[str, Any]) -> None:
        event = message.get("event", message)
        kind = event.get("e")
        if kind == "executionReport":
            update = schemas.order_from_execution_report(event)
            fill = schemas.fill_from_execution_report(event)
            await self._engine.trading.record(update, [fill] if fill else [], actor=None)
        elif kind == "outboundAccountPosition":
            balances = schemas.balances_from_account_position(event)
            await self._write(
                lambda con: ledger.upsert_spot_balances(con, balances, _now_ms(), replace_all=False)
            )
        elif kind == "eventStreamTerminated":
            raise ConnectionError("the exchange ended the user-data subscription")

    async def _on_futures_event(self, event: dict[str, Any]) -> None:
        kind = event.get("e")
        if kind == "ORDER_TRADE_UPDATE":
            update = schemas.order_from_order_trade_update(event)
            fill = schemas.fill_from_order_trade_update(event)
            await self._engine.trading.record(update, [fill] if fill else [], actor=None)
        elif kind == "ALGO_UPDATE":
            await self._engine.trading.record(schemas.order_from_algo_update(event), [], actor=None)
        elif kind == "ACCOUNT_UPDATE":
            margin = schemas.margin_balances_from_account_update(event)
            positions = schemas.positions_from_account_update(event)
            for position in positions:
                self._position_changed_at[position.symbol] = time.monotonic()

            def work(con: Any) -> None:
                ledger.upsert_futures_balances(con, margin, _now_ms())
                ledger.upsert_positions(con, positions, _now_ms(), replace_all=False)

            await self._write(work)
        elif kind == "listenKeyExpired":
            raise ConnectionError("the listen key expired")

    # --- plumbing -------------------------------------------------------------------------------

    async def _write(self, work: Callable[[Any], Any]) -> Any:
        store = self._engine.store
        assert store is not None
        result = await store.write(work)
        self._engine.trading.account_changed()  # balances or positions may have moved
        return result

    def _reader(self) -> Any:
        store = self._engine.store
        assert store is not None
        return store.reader()


def _age_s(last: dict[str, int], market: str, now_ms: int) -> float | None:
    return round((now_ms - last[market]) / 1000, 1) if market in last else None


def _retry_after_s(answer: dict[str, Any]) -> float:
    """WS API errors carry `data.retryAfter` (epoch ms) on 429/418; else wait a safe while."""
    data = (answer.get("error") or {}).get("data") or {}
    retry_at = data.get("retryAfter")
    if isinstance(retry_at, int | float):
        return max(1.0, retry_at / 1000 - time.time())
    return DEFAULT_RETRY_AFTER_S


def _algo_rows(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        return list(payload.get("orders", []))
    return list(payload or [])
