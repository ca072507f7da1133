"""Spot user data over the WebSocket API (`/ws-api/v3`), as Binance serves it since 2026.

A client sends `userDataStream.subscribe.signature` (apiKey, timestamp, signature over the
sorted params) and gets `{"subscriptionId": n}`; from then on every executionReport,
outboundAccountPosition and balanceUpdate of the paper account arrives as
`{"subscriptionId": n, "event": {...}}`. Also answers `ping`, `time`,
`userDataStream.unsubscribe` and `session.subscriptions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from simulator.core import errors
from simulator.core.auth import KeyStore, check_timestamp, verify_ws_signature
from simulator.core.clock import Clock
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.core.ratelimit import RateLimiter
from simulator.core.streams import Connection, StreamHub

NAMESPACE = "ws-api"


@dataclass(eq=False)
class ApiSession:
    conn: Connection
    subscriptions: set[int] = field(default_factory=set)
    next_subscription: int = 0


class UserDataApi:
    def __init__(self, keys: KeyStore, clock: Clock, limiter: RateLimiter, hub: StreamHub) -> None:
        self.keys = keys
        self.clock = clock
        self.limiter = limiter
        self.hub = hub
        self.sessions: dict[Connection, ApiSession] = {}
        self.events_sent = 0

    # ---- events from the exchange -------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        for session in list(self.sessions.values()):
            for sub_id in sorted(session.subscriptions):
                self.hub.send(session.conn, {"subscriptionId": sub_id, "event": event})
                self.events_sent += 1

    # ---- connections --------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ip = request.remote or "?"

        def on_text(conn: Connection, text: str) -> dict[str, Any]:
            session = self.sessions.setdefault(conn, ApiSession(conn))
            return self.reply(session, text, ip)

        return await self.hub.serve(
            request, NAMESPACE, on_text=on_text, on_close=lambda c: self.sessions.pop(c, None)
        )

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


def _error(
    request_id: Any, e: ApiError, limits: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": request_id, "status": e.status, "error": e.body()}
    if limits is not None:
        reply["rateLimits"] = limits
    return reply
