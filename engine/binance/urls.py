"""Base URLs per environment, as data.

One code path serves live, testnet and the local simulator: only these URLs differ. The client
module subclasses python-binance's `Client`/`AsyncClient` and `BinanceSocketManager` with the
class attributes from `client_attributes()` and `socket_manager_attributes()`. They contain no
`{}`, so python-binance's `.format(tld)` in `__init__` leaves them as they are.

Outside `live`, no URL points at a production Binance host, including the ones we do not use
(margin, COIN-M, options, portfolio margin), so a stray call cannot reach the real exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.models import Environment


@dataclass(frozen=True)
class Endpoints:
    """Where each Binance service lives for one environment.

    `*_root` values are scheme + host (+ port), without a trailing slash.
    """

    environment: Environment
    spot_rest_root: str  # REST paths are <root>/api/v3/...
    spot_stream_root: str  # <root>/ws/<stream>, <root>/stream?streams=a/b
    spot_ws_api: str  # full URL of the spot WebSocket API (user data subscription)
    futures_rest_root: str  # REST paths are <root>/fapi/v1|v2|v3/...
    futures_stream_root: str  # <root>/market/..., <root>/public/..., <root>/private/...
    futures_ws_api: str  # full URL of the USD-M WebSocket API
    # Services we do not use (margin, COIN-M, options, portfolio margin). Outside live they are
    # pointed at the same environment so nothing leaks to production; None keeps
    # python-binance's own (production) defaults, which is right only for live.
    other_rest_root: str | None
    other_stream_root: str | None

    @property
    def spot_rest(self) -> str:
        return f"{self.spot_rest_root}/api"

    @property
    def spot_ws_raw(self) -> str:
        return f"{self.spot_stream_root}/ws"

    @property
    def spot_ws_combined(self) -> str:
        return f"{self.spot_stream_root}/stream"

    @property
    def futures_rest(self) -> str:
        return f"{self.futures_rest_root}/fapi"

    @property
    def futures_ws_market(self) -> str:
        """Klines, tickers, mark price, aggTrades (Binance's `/market` route since 2026-04-23)."""
        return f"{self.futures_stream_root}/market"

    @property
    def futures_ws_public(self) -> str:
        """Book data: bookTicker and depth."""
        return f"{self.futures_stream_root}/public"

    @property
    def futures_ws_private(self) -> str:
        """User data: `<this>/ws?listenKey=...`."""
        return f"{self.futures_stream_root}/private"

    def client_attributes(self) -> dict[str, str]:
        """Class attributes for a python-binance `Client`/`AsyncClient` subclass.

        Build the client with `testnet=False, demo=False`: otherwise python-binance's own
        testnet/demo URLs win over these.
        """
        used = {
            "API_URL": self.spot_rest,
            "FUTURES_URL": self.futures_rest,
            "FUTURES_DATA_URL": f"{self.futures_rest_root}/futures/data",
            "WS_API_URL": self.spot_ws_api,
            "WS_FUTURES_URL": self.futures_ws_api,
        }
        if self.other_rest_root is None:
            return used
        root = self.other_rest_root
        unused = {
            "MARGIN_API_URL": f"{root}/sapi",
            "FUTURES_COIN_URL": f"{root}/dapi",
            "FUTURES_COIN_DATA_URL": f"{root}/futures/data",
            "OPTIONS_URL": f"{root}/eapi",
            "PAPI_URL": f"{root}/papi",
        }
        return used | unused

    def socket_manager_attributes(self) -> dict[str, str]:
        """Class attributes for a python-binance `BinanceSocketManager` subclass.

        python-binance builds `STREAM_URL + "ws/" + stream` and `FSTREAM_URL + "market/" ...`,
        so each ends with a slash.
        """
        used = {
            "STREAM_URL": f"{self.spot_stream_root}/",
            "FSTREAM_URL": f"{self.futures_stream_root}/",
        }
        if self.other_stream_root is None:
            return used
        return used | {"DSTREAM_URL": f"{self.other_stream_root}/"}


LIVE = Endpoints(
    environment=Environment.LIVE,
    spot_rest_root="https://api.binance.com",
    spot_stream_root="wss://stream.binance.com:9443",
    spot_ws_api="wss://ws-api.binance.com:443/ws-api/v3",
    futures_rest_root="https://fapi.binance.com",
    futures_stream_root="wss://fstream.binance.com",
    futures_ws_api="wss://ws-fapi.binance.com/ws-fapi/v1",
    other_rest_root=None,
    other_stream_root=None,
)

# The USD-M testnet REST host is demo-fapi.binance.com in the current docs (older clients use
# testnet.binancefuture.com, which python-binance still has).
TESTNET = Endpoints(
    environment=Environment.TESTNET,
    spot_rest_root="https://testnet.binance.vision",
    spot_stream_root="wss://stream.testnet.binance.vision",
    spot_ws_api="wss://ws-api.testnet.binance.vision/ws-api/v3",
    futures_rest_root="https://demo-fapi.binance.com",
    futures_stream_root="wss://fstream.binancefuture.com",
    futures_ws_api="wss://testnet.binancefuture.com/ws-fapi/v1",
    other_rest_root="https://testnet.binance.vision",
    other_stream_root="wss://dstream.binancefuture.com",
)

_BY_ENVIRONMENT = {Environment.LIVE: LIVE, Environment.TESTNET: TESTNET}


def endpoints_for(environment: Environment) -> Endpoints:
    """Binance's own endpoints for live or testnet; the simulator's come from `sim_endpoints`."""
    if environment is Environment.SIM:
        raise ValueError("sim endpoints depend on the simulator's address: use sim_endpoints()")
    return _BY_ENVIRONMENT[environment]


def sim_endpoints(rest_base: str, ws_base: str | None = None) -> Endpoints:
    """Endpoints of a simulator serving every path on one host:port.

    `rest_base` is like "http://127.0.0.1:8765"; `ws_base` ("ws://127.0.0.1:8765") defaults to
    the same host with http(s) turned into ws(s).
    """
    rest_root = rest_base.rstrip("/")
    ws_root = (ws_base or rest_root.replace("http", "ws", 1)).rstrip("/")
    return Endpoints(
        environment=Environment.SIM,
        spot_rest_root=rest_root,
        spot_stream_root=ws_root,
        spot_ws_api=f"{ws_root}/ws-api/v3",
        futures_rest_root=rest_root,
        futures_stream_root=f"{ws_root}/fstream",
        futures_ws_api=f"{ws_root}/ws-fapi/v1",
        other_rest_root=rest_root,
        other_stream_root=f"{ws_root}/dstream",
    )
