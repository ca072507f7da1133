"""The host names the API answers to: Streamlit's own `server.allowedHosts` (DNS rebinding)."""

from __future__ import annotations

from streamlit import config as st_config


def allowed_host(host: str | None) -> bool:
    """True for a Host header naming an allowed host (every host when the list is empty)."""
    allowed = st_config.get_option("server.allowedHosts") or []
    if not allowed:
        return True
    if not host:
        return False
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    return name in allowed
