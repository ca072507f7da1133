"""Who is calling: a bearer token, checked on every call, and the calls it may still make.

A call without a usable token is a 401 (and an `audit.login` record, at most one per address
and 10 s); a token over its rate is a 429 with Retry-After. The caller acts as the token's user
with the lesser of the token's role and the user's role now (engine.access.tokens).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from fastapi import Request, WebSocket

from app.acting import Principal, principal_of, submit_quietly
from app.api.errors import ApiError
from app.api.rate import RateLimiter, retry_after
from app.runtime import get_runtime
from engine.access.roles import Role
from engine.access.tokens import ApiToken, effective_role
from engine.commands import USER_UNKNOWN, RecordLogin

UNAUTHORIZED = "auth.unauthorized"
FORBIDDEN = "desk.forbidden"
RATE_LIMITED = "auth.rate_limited"
FAILURE_RECORD_EVERY_S = 10.0
_limiters: dict[tuple[float, int], RateLimiter] = {}
_failures: dict[str, float] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Caller:
    principal: Principal  # role: what this token may do now
    token: ApiToken
    address: str | None


def _limiter() -> RateLimiter:
    settings = get_runtime().engine.settings
    key = (settings.api_requests_per_s, settings.api_burst)
    with _lock:
        if key not in _limiters:
            _limiters[key] = RateLimiter(*key)
        return _limiters[key]


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(authorization: str | None, address: str | None) -> Caller:
    """The caller of a request with this Authorization header, or an ApiError (401/429)."""
    runtime = get_runtime()
    text = bearer(authorization)
    token = runtime.tokens.verify(text) if text else None
    principal = principal_of(runtime.users, token.username) if token else None
    role = effective_role(token, principal.role if principal else None) if token else None
    if token is None or principal is None or role is None:
        _record_failure(address, token.username if token else USER_UNKNOWN)
        raise ApiError(
            401, UNAUTHORIZED,
            "No valid API token: send 'Authorization: Bearer <token>' with a token made on "
            "Settings (unknown, revoked and expired tokens, and tokens of disabled users, are "
            "refused).", {"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    wait = _limiter().take(token.id)
    if wait:
        raise ApiError(
            429, RATE_LIMITED,
            f"Over this token's rate ({runtime.engine.settings.api_requests_per_s:g} calls a "
            f"second): wait {retry_after(wait)} s.", {"Retry-After": retry_after(wait)},
        )  # fmt: skip
    return Caller(Principal(principal.username, principal.name, role), token, address)


def _record_failure(address: str | None, actor: str) -> None:
    key = address or "?"
    now = time.monotonic()
    with _lock:
        if now - _failures.get(key, -FAILURE_RECORD_EVERY_S) < FAILURE_RECORD_EVERY_S:
            return
        _failures[key] = now
    record = RecordLogin(actor=actor, outcome="failed", method="token", address=address)
    submit_quietly(get_runtime().engine, record)


def caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller."""
    peer = request.client.host if request.client else None
    return identify(request.headers.get("Authorization"), peer)


def socket_caller(socket: WebSocket) -> Caller:
    peer = socket.client.host if socket.client else None
    return identify(socket.headers.get("Authorization"), peer)


def require(found: Caller, role: Role) -> None:
    if not found.principal.role.includes(role):
        raise ApiError(
            403, FORBIDDEN,
            f"This token acts as a {found.principal.role}; this call takes the {role} role.",
        )  # fmt: skip
