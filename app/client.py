"""Where this browser session's request comes from, as Streamlit knows it.

`st.context.ip_address` is None both for a loopback client and when there is no client at all,
so the address is read from the session's client context (`remote_ip`, the websocket's peer).
A request counts as local only when all of these hold: the peer is 127.0.0.1 or ::1, the request
names the desk by a loopback host name (Host, and Origin when sent), and it carries no
forwarding header. Behind a reverse proxy on the same machine the peer is 127.0.0.1 for every
visitor, but the proxy's Host or X-Forwarded-For gives it away. Anything unknown is not local.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip", "Forwarded", "Via")


@dataclass(frozen=True)
class ClientAddress:
    remote: str | None  # the websocket's peer address; None when Streamlit gives none
    forwarded_for: str | None  # what a proxy says (any client can send it: shown, not trusted)
    host: str | None
    origin: str | None


def client_address() -> ClientAddress:
    headers = _headers()
    forwarded = headers.get("X-Forwarded-For") or headers.get("Forwarded")
    return ClientAddress(
        _remote_ip(), forwarded[:200] if forwarded else None, headers.get("Host"),
        headers.get("Origin"),
    )  # fmt: skip


def is_local_request(address: ClientAddress | None = None) -> bool:
    """True only for a browser on this machine that reached the desk directly."""
    address = address or client_address()
    if address.remote not in LOOPBACK_ADDRESSES or address.forwarded_for:
        return False
    if any(name in _headers() for name in FORWARDING_HEADERS):
        return False
    if _hostname(address.host) not in LOOPBACK_NAMES:
        return False
    return address.origin is None or _hostname(urlsplit(address.origin).netloc) in LOOPBACK_NAMES


def _hostname(host: str | None) -> str | None:
    if not host:
        return None
    return urlsplit(f"//{host}").hostname


def _headers() -> dict[str, str]:
    try:
        headers = st.context.headers.to_dict()
    except Exception:  # outside a session (AppTest, bare mode): no headers
        return {}
    return {k: v for k, v in headers.items() if isinstance(k, str) and isinstance(v, str)}


def _remote_ip() -> str | None:
    try:
        from streamlit.runtime.context import _get_client_context
    except ImportError:  # a Streamlit without it: no address, so nothing is local
        return None
    try:
        context = _get_client_context()
    except Exception:
        return None
    remote = getattr(context, "remote_ip", None)
    return remote if isinstance(remote, str) else None  # under AppTest it is a mock
