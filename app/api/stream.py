"""WS /api/v1/stream: order updates, fills, positions, alerts and the kill switch, pushed.

The client sends `Authorization: Bearer <token>` with the handshake (any role may listen). Each
message is JSON: `{"type": "order" | "fill" | "position" | "alert" | "kill_switch", "data": ...}`
(the same bodies as the REST answers), after a first `{"type": "hello", ...}`. The stream reads
the desk's DuckDB every `POLL_S` for what changed since its last look, so it never touches the
engine's loop; a token revoked or a user disabled ends it (close code 4401).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app import db
from app.api import reads
from app.api.auth import socket_caller
from app.api.errors import ApiError
from app.api.hosts import allowed_host
from app.api.reads import FILL_COLUMNS, ORDER_COLUMNS, positions
from app.api.schemas import FillOut, Order
from engine.clock import now_ms

router = APIRouter()
POLL_S = 0.25
RECHECK_S = 5.0
EVENT_KINDS = ("alert.opened", "alert.resolved", "kill_switch.tripped", "kill_switch.reset",
               "kill_switch.leftover")  # fmt: skip


class Since:
    """Rows newer than the last look, by a time column: rows at the last time seen are told
    apart by `key`, so two rows in one millisecond are both sent, and once."""

    def __init__(self, at_ms: int, column: str, key: Callable[[dict[str, Any]], Hashable]) -> None:
        self.at_ms, self.column, self.key = at_ms, column, key
        self.seen: set[Hashable] = set()

    def newer(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = [r for r in found if self.key(r) not in self.seen]
        if found:
            newest = max(r[self.column] for r in found)
            if newest > self.at_ms:
                self.at_ms, self.seen = newest, set()
            self.seen |= {self.key(r) for r in found if r[self.column] == self.at_ms}
        return fresh


class Cursor:
    """Where this stream has read up to, per table."""

    def __init__(self) -> None:
        start = now_ms()
        self.orders = Since(start, "updated_ms", lambda r: (r["client_order_id"], r["status"],
                                                            r["executed_qty"]))  # fmt: skip
        self.fills = Since(start, "time", lambda r: (r["market"], r["symbol"], r["trade_id"]))
        with db.store().reader() as cur:
            row = cur.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
        self.event_id = int(row[0]) if row else 0
        self.positions: dict[str, str] = {}

    def news(self) -> list[dict[str, Any]]:
        return [*self._orders(), *self._fills(), *self._positions(), *self._events()]

    def _orders(self) -> list[dict[str, Any]]:
        sql = f"SELECT {ORDER_COLUMNS} FROM orders WHERE updated_ms >= ? ORDER BY updated_ms"
        found = self.orders.newer(reads.rows(sql, [self.orders.at_ms]))
        return [{"type": "order", "data": Order(**r).model_dump(mode="json")} for r in found]

    def _fills(self) -> list[dict[str, Any]]:
        sql = f"SELECT {FILL_COLUMNS} FROM fills WHERE time >= ? ORDER BY time, trade_id"
        found = self.fills.newer(reads.rows(sql, [self.fills.at_ms]))
        return [{"type": "fill", "data": FillOut(**r).model_dump(mode="json")} for r in found]

    def _positions(self) -> list[dict[str, Any]]:
        now = {p.symbol + ":" + p.position_side: p.model_dump_json() for p in positions()}
        changed = [k for k, v in now.items() if self.positions.get(k) != v]
        closed = [k for k in self.positions if k not in now]
        self.positions = now
        out = [{"type": "position", "data": _loads(now[k])} for k in changed]
        for key in closed:
            symbol, side = key.split(":")
            out.append({"type": "position", "data": {"symbol": symbol, "position_side": side,
                                                     "amount": "0"}})  # fmt: skip
        return out

    def _events(self) -> list[dict[str, Any]]:
        rows = reads.rows(
            "SELECT id, time, level, kind, message FROM events WHERE id > ? AND kind IN "
            "(SELECT unnest(?)) ORDER BY id",
            [self.event_id, list(EVENT_KINDS)],
        )
        if rows:
            self.event_id = max(r["id"] for r in rows)
        kind = {"alert": "alert", "kill_switch": "kill_switch"}
        return [{"type": kind[r["kind"].split(".")[0]], "data": r} for r in rows]


def _loads(text: str) -> Any:
    return json.loads(text)


@router.websocket("/stream")
async def stream(socket: WebSocket) -> None:
    try:
        if not allowed_host(socket.headers.get("host")):
            raise ApiError(400, "http.host", "This host name is not allowed.")
        who = socket_caller(socket)
    except ApiError as exc:
        await socket.close(code=4401, reason=exc.message[:120])
        return
    await socket.accept()
    cursor = await asyncio.to_thread(Cursor)
    cursor.positions = {p.symbol + ":" + p.position_side: p.model_dump_json()
                        for p in await asyncio.to_thread(positions)}  # fmt: skip
    hello = {"user": who.principal.username, "role": str(who.principal.role)}
    await socket.send_json({"type": "hello", "data": hello})
    reader = asyncio.create_task(_drain(socket))
    checked = time.monotonic()
    try:
        while not reader.done():
            for message in await asyncio.to_thread(cursor.news):
                await socket.send_json(message)
            if time.monotonic() - checked > RECHECK_S:
                checked = time.monotonic()
                if not await asyncio.to_thread(_still_valid, socket):
                    await socket.close(code=4401, reason="token revoked or expired")
                    return
            await asyncio.sleep(POLL_S)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _drain(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()


def _still_valid(socket: WebSocket) -> bool:
    try:
        socket_caller(socket)
    except ApiError as exc:
        return exc.code != "auth.unauthorized"  # a rate limit is not a revocation
    return True
