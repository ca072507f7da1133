"""Spot user data over the WebSocket API (`/ws-api/v3`), as Binance serves it since 2026.

A client sends `userDataStream.subscribe.signature` (apiKey, timestamp, signature over the
sorted params) and gets `{"subscriptionId": n}`; from then on every executionReport,
outboundAccountPosition and balanceUpdate of the paper account arrives as
`{"subscriptionId": n, "event": {...}}`. Also answers `ping`, `time`,
`userDataStream.unsubscribe` and `session.subscriptions`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from simulator import errors
from simulator.auth import KeyStore, check_timestamp, verify_ws_signature
from simulator.clock import Clock
from simulator.errors import ApiError
from simulator.params import Params
from simulator.ratelimit import RateLimiter
from simulator.streams import DEFAULT_QUEUE_SIZE, HEARTBEAT_S

log = logging.getLogger("simulator.userdata")


@dataclass(eq=False)
class ApiSession:
    ws: web.WebSocketResponse
    path: str
    queue: asyncio.Queue[str]
    subscriptions: set[int] = field(default_factory=set)
    next_subscription: int = 0
    sender: asyncio.Task[None] | None = None
    dropped: bool = False


class UserDataApi:
    def __init__(
        self,
        keys: KeyStore,
        clock: Clock,
        limiter: RateLimiter,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.limiter = limiter
        self.queue_size = queue_size
        self.sessions: set[ApiSession] = set()
        self.events_sent = 0

    # ---- events from the exchange -------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        for session in list(self.sessions):
            for sub_id in sorted(session.subscriptions):
                self._send(session, {"subscriptionId": sub_id, "event": event})

    def _send(self, session: ApiSession, message: dict[str, Any]) -> None:
        if session.dropped:
            return
        try:
            session.queue.put_nowait(orjson.dumps(message).decode())
        except asyncio.QueueFull:
            log.info("dropping slow WebSocket API client (send queue full)")
            self._drop(session)

    # ---- connections --------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=65536)
        await ws.prepare(request)
        session = ApiSession(ws, request.path, asyncio.Queue(self.queue_size))
        session.sender = asyncio.create_task(self._send_loop(session))
        self.sessions.add(session)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._send(session, self.reply(session, msg.data, request.remote or "?"))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            await self._close(session)
        return ws

    async def _send_loop(self, session: ApiSession) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError, RuntimeError):
            while not session.ws.closed:
                await session.ws.send_str(await session.queue.get())
                self.events_sent += 1

    def reply(self, session: ApiSession, text: str, ip: str) -> dict[str, Any]:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            return _error(None, ApiError(-1000, "Malformed request: expected a JSON object."))
        request_id = message.get("id")
        try:
            params = message.get("params", {})
            if not isinstance(params, dict):
                raise errors.invalid_value("params")
            result = self._dispatch(session, str(message.get("method")), params, ip)
        except ApiError as e:
            return _error(request_id, e, self._limits(ip))
        return {"id": request_id, "status": 200, "result": result, "rateLimits": self._limits(ip)}

    def _dispatch(self, session: ApiSession, method: str, params: dict[str, Any], ip: str) -> Any:
        now = self.clock.now_ms()
        self.limiter.check(ip, 2, now)
        self.limiter.add(ip, 2 if method.startswith("userDataStream") else 1, now)
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": now}
        if method == "userDataStream.subscribe.signature":
            return self._subscribe(session, params, now)
        if method == "userDataStream.unsubscribe":
            return self._unsubscribe(session, params)
        if method == "session.subscriptions":
            return [{"subscriptionId": s} for s in sorted(session.subscriptions)]
        raise ApiError(-1020, "This operation is not supported.")

    def _subscribe(self, session: ApiSession, params: dict[str, Any], now: int) -> dict[str, int]:
        api_key = params.get("apiKey")
        key = self.keys.lookup(api_key if isinstance(api_key, str) else None)
        verify_ws_signature(key, params)
        check_timestamp(Params({k: str(v) for k, v in params.items()}), now)
        if session.subscriptions:
            raise ApiError(-2035, "User Data Stream subscription already active.")
        sub_id = session.next_subscription
        session.next_subscription += 1
        session.subscriptions.add(sub_id)
        return {"subscriptionId": sub_id}

    def _unsubscribe(self, session: ApiSession, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("subscriptionId")
        if wanted is None:
            session.subscriptions.clear()
            return {}
        if not isinstance(wanted, int) or wanted not in session.subscriptions:
            raise ApiError(-2036, "User Data Stream subscription not active.")
        session.subscriptions.discard(wanted)
        return {}

    def _limits(self, ip: str) -> list[dict[str, Any]]:
        used = self.limiter.used_weight(ip, self.clock.now_ms())
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.limiter.weight_limit,
                "count": used,
            }
        ]

    def _drop(self, session: ApiSession) -> None:
        if session.dropped:
            return
        session.dropped = True
        session.subscriptions.clear()
        if session.sender is not None:
            session.sender.cancel()
        asyncio.get_running_loop().create_task(session.ws.close())

    async def _close(self, session: ApiSession) -> None:
        self.sessions.discard(session)
        session.dropped = True
        if session.sender is not None:
            session.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await session.sender
        if not session.ws.closed:
            await session.ws.close()

    def drop(self, path_prefix: str = "") -> int:
        chosen = [s for s in self.sessions if s.path.startswith(path_prefix)]
        for session in chosen:
            self._drop(session)
        return len(chosen)

    async def close_all(self) -> None:
        for session in list(self.sessions):
            await self._close(session)


def _error(
    request_id: Any, e: ApiError, limits: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": request_id, "status": e.status, "error": e.body()}
    if limits is not None:
        reply["rateLimits"] = limits
    return reply
