"""Who may use the control plane (`/_sim/...`): a caller on this host that knows the token.

Every `/_sim/` request must name this server as its Host (127.0.0.1, localhost or [::1] with
this port, or the configured host), carry no Origin but this server's (no DNS rebinding, no
cross-site page in the trader's browser), send the simulator's own token in `X-SIM-TOKEN`, and
send any body as `Content-Type: application/json` (a cross-site "simple" request cannot). A
refusal is a Binance-style `{"code", "msg"}` body and changes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.core.control_bodies import BAD_BODY, error_response
from simulator.core.errors import ApiError

TOKEN_HEADER = "X-SIM-TOKEN"
CONTROL_PREFIX = "/_sim/"
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def forbidden(msg: str) -> ApiError:
    return ApiError(-1002, f"You are not authorized to execute this request: {msg}", status=403)


def control_guard(token: str, host: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    """An aiohttp middleware guarding `/_sim/` with `token`; `host` is the address served on."""
    names = {*LOCAL_NAMES, f"[{host}]" if ":" in host else host}

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        refusal = _refusal(request, token, names)
        if refusal is not None:
            return error_response(refusal)
        return await handler(request)

    return guard


def _refusal(request: web.Request, token: str, names: set[str]) -> ApiError | None:
    own = _own_hosts(request, names)
    if request.headers.get("Host", "") not in own:
        return forbidden("the Host is not this simulator's")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in {f"http://{h}" for h in own}:
        return forbidden("a cross-origin request")
    given = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        return ApiError(-2015, f"The control plane needs the simulator's {TOKEN_HEADER}.", 401)
    if request.body_exists and request.content_type != "application/json":
        return ApiError(BAD_BODY, "A control body must be sent as application/json.", 415)
    return None


def _own_hosts(request: web.Request, names: set[str]) -> set[str]:
    """`name:port` for every name this server answers to, on the port the request came in on."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return set()
    return {f"{name}:{sockname[1]}" for name in names}
