"""The one hub behind every WebSocket path: spot `/ws` and `/stream`, the WebSocket API
`/ws-api/v3`, and USD-M `/fstream/market|public|private/...`.

Every connection has a namespace (e.g. "spot", "fstream-market"), a bounded send queue drained
by its own task, and the streams it is subscribed to; a client too slow to keep up (queue full)
is disconnected, as Binance does, instead of growing memory. Market stream connections answer
SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / GET_PROPERTY / SET_PROPERTY and are closed when
they send more than 5 messages a second; other paths (the WebSocket API) bring their own text
handler. `/_sim/ws/drop` and `/_sim/stats` see every connection through `drop` and `counts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

log = logging.getLogger("simulator.core.streams")
DEFAULT_QUEUE_SIZE = 1000
MAX_STREAMS_PER_CONNECTION = 1024
INBOUND_MESSAGES_PER_SECOND = 5
HEARTBEAT_S = 20.0
MAX_MESSAGE_BYTES = 65536
_CLOSE = None  # queued after the last message of a connection that is to be closed


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    namespace: str
    path: str
    combined: bool
    queue: asyncio.Queue[str | None]
    streams: set[str] = field(default_factory=set)
    sender: asyncio.Task[None] | None = None
    inbound: list[float] = field(default_factory=list)
    dropped: bool = False


# (connection, text received) -> the reply to send, or None
TextHandler = Callable[[Connection, str], dict[str, Any] | None]
CloseHandler = Callable[[Connection], None]


class StreamHub:
    def __init__(
        self,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        inbound_per_second: int = INBOUND_MESSAGES_PER_SECOND,
    ) -> None:
        self.queue_size = queue_size
        self.inbound_per_second = inbound_per_second
        self.connections: set[Connection] = set()
        self._subs: dict[tuple[str, str], set[Connection]] = {}
        self.validators: dict[str, Callable[[str], bool]] = {}
        self.messages_sent = 0
        self.slow_drops = 0
        self._refusing: dict[str, float] = {}  # path prefix -> monotonic time it takes again

    # ---- publishing ---------------------------------------------------------------------
    def subscribed(self, namespace: str) -> list[str]:
        return [name for (ns, name), conns in self._subs.items() if ns == namespace and conns]

    def publish(self, namespace: str, name: str, payload: Any) -> int:
        conns = self._subs.get((namespace, name))
        if not conns:
            return 0
        raw: str | None = None
        wrapped: str | None = None
        for conn in list(conns):
            if conn.combined:
                if wrapped is None:
                    wrapped = orjson.dumps({"stream": name, "data": payload}).decode()
                self._enqueue(conn, wrapped)
            else:
                if raw is None:
                    raw = orjson.dumps(payload).decode()
                self._enqueue(conn, raw)
        return len(conns)

    def send(self, conn: Connection, message: Any) -> None:
        """One message to one connection (a WebSocket API reply or event)."""
        self._enqueue(conn, orjson.dumps(message).decode())

    def close_stream(self, namespace: str, name: str) -> int:
        """Close every connection on a stream once it has sent what is queued (an expired
        listen key: its last event still arrives)."""
        conns = list(self._subs.get((namespace, name), ()))
        for conn in conns:
            self._unsubscribe(conn, list(conn.streams))
            if not conn.dropped:
                with contextlib.suppress(asyncio.QueueFull):
                    conn.queue.put_nowait(_CLOSE)
        return len(conns)

    def _enqueue(self, conn: Connection, text: str) -> None:
        if conn.dropped:
            return
        try:
            conn.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.slow_drops += 1
            log.info("dropping slow stream client on %s (send queue full)", conn.path)
            self._drop(conn)

    # ---- serving ------------------------------------------------------------------------
    def raw_handler(self, namespace: str) -> Callable[[web.Request], Any]:
        """`.../ws/<a>/<b>`: market streams named in the path, payloads unwrapped."""

        async def handle(request: web.Request) -> web.StreamResponse:
            names = [s for s in request.match_info.get("streams", "").split("/") if s]
            return await self._serve_market(request, namespace, names, combined=False)

        return handle

    def combined_handler(self, namespace: str) -> Callable[[web.Request], Any]:
        """`.../stream?streams=a/b`: payloads wrapped as {"stream", "data"}."""

        async def handle(request: web.Request) -> web.StreamResponse:
            names = [s for s in request.query.get("streams", "").split("/") if s]
            return await self._serve_market(request, namespace, names, combined=True)

        return handle

    async def _serve_market(
        self, request: web.Request, namespace: str, names: list[str], combined: bool
    ) -> web.StreamResponse:
        invalid = [n for n in names if not self._valid(namespace, n)]
        if invalid or len(names) > MAX_STREAMS_PER_CONNECTION:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        return await self.serve(request, namespace, names, combined, self._market_text)

    async def serve(
        self,
        request: web.Request,
        namespace: str,
        names: Iterable[str] = (),
        combined: bool = False,
        on_text: TextHandler | None = None,
        on_close: CloseHandler | None = None,
    ) -> web.WebSocketResponse:
        """Upgrade `request`, subscribe the connection to `names`, answer its messages with
        `on_text` until it closes."""
        if self._refused(request.path):
            return web.json_response(  # type: ignore[return-value]
                {"code": -1001, "msg": "Internal error; the stream is not available."}, status=503
            )
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE_BYTES)
        await ws.prepare(request)
        conn = Connection(ws, namespace, request.path, combined, asyncio.Queue(self.queue_size))
        self.connections.add(conn)
        self._subscribe(conn, list(names))
        conn.sender = asyncio.create_task(self._send_loop(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and on_text is not None:
                    reply = on_text(conn, msg.data)
                    if reply is not None:
                        self.send(conn, reply)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if on_close is not None:
                on_close(conn)
            await self._close(conn)
        return ws

    async def _send_loop(self, conn: Connection) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError, RuntimeError):
            while not conn.ws.closed:
                text = await conn.queue.get()
                if text is _CLOSE:
                    await conn.ws.close()
                    return
                await conn.ws.send_str(text)
                self.messages_sent += 1

    def _valid(self, namespace: str, name: str) -> bool:
        validator = self.validators.get(namespace)
        return validator(name) if validator else True

    def _subscribe(self, conn: Connection, names: list[str]) -> None:
        for name in names:
            conn.streams.add(name)
            self._subs.setdefault((conn.namespace, name), set()).add(conn)

    def _unsubscribe(self, conn: Connection, names: list[str]) -> None:
        for name in names:
            conn.streams.discard(name)
            subscribers = self._subs.get((conn.namespace, name))
            if subscribers is not None:
                subscribers.discard(conn)
                if not subscribers:
                    del self._subs[(conn.namespace, name)]

    # ---- control messages on market stream connections ----------------------------------
    def _too_chatty(self, conn: Connection) -> bool:
        now = time.monotonic()
        conn.inbound = [t for t in conn.inbound if now - t < 1.0]
        conn.inbound.append(now)
        return len(conn.inbound) > self.inbound_per_second

    def _market_text(self, conn: Connection, text: str) -> dict[str, Any] | None:
        if self._too_chatty(conn):
            log.info("closing %s: more than %d messages/s", conn.path, self.inbound_per_second)
            self._drop(conn)
            return None
        return self.control_reply(conn, text)

    def control_reply(self, conn: Connection, text: str) -> dict[str, Any] | None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            return {"error": {"code": 3, "msg": "Invalid JSON: expected a JSON object"}}
        request_id = message.get("id")
        if not _valid_id(request_id):
            return {"error": {"code": 2, "msg": "Invalid request: invalid id"}, "id": None}
        method, params = message.get("method"), message.get("params", [])
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return self._change_subscriptions(conn, method, params, request_id)
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(conn.streams), "id": request_id}
        if method == "GET_PROPERTY" and params == ["combined"]:
            return {"result": conn.combined, "id": request_id}
        if method == "SET_PROPERTY" and isinstance(params, list) and len(params) == 2:
            return _set_property(conn, params, request_id)
        return _bad(request_id, "Invalid request: unknown method")

    def _change_subscriptions(
        self, conn: Connection, method: str, params: Any, request_id: Any
    ) -> dict[str, Any]:
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return _bad(request_id, "Invalid request: 'params' must be a list of streams")
        if not all(self._valid(conn.namespace, p) for p in params):
            return _bad(request_id, "Invalid request: invalid stream name")
        if method == "SUBSCRIBE":
            if len(conn.streams | set(params)) > MAX_STREAMS_PER_CONNECTION:
                return _bad(request_id, "Invalid request: too many streams")
            self._subscribe(conn, params)
        else:
            self._unsubscribe(conn, params)
        return {"result": None, "id": request_id}

    # ---- closing ------------------------------------------------------------------------
    def _drop(self, conn: Connection) -> None:
        if conn.dropped:
            return
        conn.dropped = True
        self._unsubscribe(conn, list(conn.streams))
        if conn.sender is not None:
            conn.sender.cancel()
        asyncio.get_running_loop().create_task(conn.ws.close())

    async def _close(self, conn: Connection) -> None:
        self._unsubscribe(conn, list(conn.streams))
        self.connections.discard(conn)
        conn.dropped = True
        if conn.sender is not None:
            conn.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.sender
        if not conn.ws.closed:
            await conn.ws.close()

    def drop(self, path_prefix: str = "", refuse_ms: int = 0) -> int:
        """Closes every connection whose path starts with `path_prefix` (a fault); for
        `refuse_ms` after, a new connection there is refused with a 503 (an outage)."""
        if refuse_ms:
            self._refusing[path_prefix] = time.monotonic() + refuse_ms / 1000
        chosen = [c for c in self.connections if c.path.startswith(path_prefix)]
        for conn in chosen:
            self._drop(conn)
        return len(chosen)

    def _refused(self, path: str) -> bool:
        now = time.monotonic()
        for prefix, until in list(self._refusing.items()):
            if now >= until:
                del self._refusing[prefix]
            elif path.startswith(prefix):
                return True
        return False

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await self._close(conn)

    def counts(self) -> dict[str, int]:
        """Open connections by namespace."""
        return dict(Counter(c.namespace for c in self.connections))


def _set_property(conn: Connection, params: list[Any], request_id: Any) -> dict[str, Any]:
    if params[0] == "combined" and isinstance(params[1], bool):
        conn.combined = params[1]
        return {"result": None, "id": request_id}
    return {"error": {"code": 1, "msg": "Invalid value type: expected Boolean"}, "id": request_id}


def _valid_id(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and 0 < len(value) <= 36 and value.replace("-", "").isalnum()


def _bad(request_id: Any, msg: str) -> dict[str, Any]:
    return {"error": {"code": 2, "msg": msg}, "id": request_id}
