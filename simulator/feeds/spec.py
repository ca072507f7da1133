"""Feed specs as the command line and settings write them: durations, ``replay:`` and ``live:``.

replay:PATH[,PATH...][?history=7d]
live:REST_URL[?history=1d][|WS_URL]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from simulator.feeds.candles import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS

LIVE_HISTORY_MS = DAY_MS

# Binance REST hosts whose streams live elsewhere
_WS_HOSTS = {
    "api.binance.com": "wss://stream.binance.com:9443",
    "api1.binance.com": "wss://stream.binance.com:9443",
    "api2.binance.com": "wss://stream.binance.com:9443",
    "api3.binance.com": "wss://stream.binance.com:9443",
    "api4.binance.com": "wss://stream.binance.com:9443",
    "api-gcp.binance.com": "wss://stream.binance.com:9443",
    "data-api.binance.vision": "wss://data-stream.binance.vision",
    "testnet.binance.vision": "wss://stream.testnet.binance.vision",
}


def parse_duration_ms(text: str) -> int:
    """``90s``, ``15m``, ``12h``, ``7d`` -> milliseconds."""
    units = {"s": SECOND_MS, "m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise ValueError(f"bad duration {text!r}: expected a number and s, m, h or d, e.g. 7d")
    return int(number) * units[unit]


def history_option(options: str, kind: str) -> int | None:
    """The ``history=`` of an ``a=b&c=d`` option string (the only option there is), in ms."""
    history_ms = None
    for option in filter(None, options.split("&")):
        name, _, value = option.partition("=")
        if name != "history":
            raise ValueError(f"unknown {kind} option {name!r} (known: history)")
        history_ms = parse_duration_ms(value)
    return history_ms


def parse_replay_spec(argument: str) -> tuple[list[Path], int | None]:
    """``PATH[,PATH...][?history=7d]`` -> the paths and the history length (None: default)."""
    paths, _, options = argument.partition("?")
    return [Path(p) for p in paths.split(",") if p], history_option(options, "replay")


@dataclass(frozen=True, slots=True)
class UpstreamUrls:
    rest: str  # base URL, e.g. https://api.binance.com (no /api/v3)
    ws: str  # base URL, e.g. wss://stream.binance.com:9443


def _strip_api_path(url: str) -> str:
    url = url.rstrip("/")
    for suffix in ("/api/v3", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def derive_ws_url(rest_url: str) -> str:
    """The stream base URL for a REST base URL: Binance's own hosts by name, others alike."""
    parts = urlsplit(_strip_api_path(rest_url))
    if parts.hostname in _WS_HOSTS:
        return _WS_HOSTS[parts.hostname]
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"live feed URL must be http(s)://..., got {rest_url!r}")
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


def parse_live_spec(argument: str) -> tuple[UpstreamUrls, int]:
    """``REST_URL[?history=1d][|WS_URL]`` -> URLs and the history length in ms."""
    rest_part, _, ws_url = argument.partition("|")
    rest_url, _, options = rest_part.partition("?")
    history_ms = history_option(options, "live")
    if not urlsplit(rest_url).netloc:
        raise ValueError(f"live feed needs a URL: live:https://api.binance.com, got {argument!r}")
    ws = ws_url.strip().rstrip("/") if ws_url else derive_ws_url(rest_url)
    if urlsplit(ws).scheme not in ("ws", "wss"):
        raise ValueError(f"stream URL must be ws(s)://..., got {ws!r}")
    urls = UpstreamUrls(_strip_api_path(rest_url.strip()), ws)
    return urls, LIVE_HISTORY_MS if history_ms is None else history_ms
