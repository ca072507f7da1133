"""The simulator server: builds the shared context, installs the venues, serves on loopback.

    sim = Simulator(SimConfig(clock="virtual"))      # inside a running loop
    await sim.start(); ...; await sim.stop()

    with SimulatorThread(SimConfig()) as sim:        # from synchronous code (the app, tests)
        sim.urls.api_url, sim.api_key.key, sim.control_token   # the token: for /_sim/...

The server builds the shared context (simulator.core) on a market (simulator.feeds) and
installs the two venues, spot (simulator.spot) and USD-M futures (simulator.futures); the venue
seam is described in simulator.core.context. Its secrets are in the data dir's keys.json
(core/keyfile.py), the control plane is guarded (core/control_guard.py), and connections are
bounded in number and idle time (core/connections.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web, web_app

from simulator.core.auth import ApiKey, KeyStore
from simulator.core.clock import Clock
from simulator.core.connections import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_PER_IP,
    ConnectionLimits,
    LimitedSite,
)
from simulator.core.context import SimContext
from simulator.core.control import ControlPlane
from simulator.core.control_guard import control_guard
from simulator.core.faults import FaultBook
from simulator.core.keyfile import KEYS_FILE, SimSecrets, load_or_create, private_dir
from simulator.core.ratelimit import RateLimiter
from simulator.core.store import StateStore
from simulator.core.streams import DEFAULT_QUEUE_SIZE, StreamHub
from simulator.feeds.factory import make_feed
from simulator.feeds.market import Market
from simulator.futures.venue import FuturesVenue
from simulator.spot.symbols import DEFAULT_SYMBOLS, SymbolSpec, SymbolTable
from simulator.spot.venue import SpotVenue

log = logging.getLogger("simulator")
# Longer than aiohttp's client keep-alive (15 s, python-binance's AsyncClient), so a pooled client
# connection is always retired by the client first; short enough that idle and half-open sockets
# cannot pile up (aiohttp's default keeps them for an hour).
KEEPALIVE_TIMEOUT_S = 20.0


class Venue(Protocol):
    name: str

    def install(self, ctx: SimContext, app: web.Application) -> None: ...
    async def start(self, ctx: SimContext) -> None: ...
    async def stop(self, ctx: SimContext) -> None: ...


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None
    feed: str = "synthetic"
    seed: int = 1
    clock: str = "wall"
    start_ms: int | None = None
    api_key: str | None = None
    api_secret: str | None = field(default=None, repr=False)
    keys_file: Path | None = None  # default: data_dir/keys.json (in memory without a data dir)
    balances: dict[str, Decimal] = field(default_factory=lambda: {"USDT": Decimal(10000)})
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    step_ms: int = 1000
    weight_limit: int = 6000
    orders_per_10s: int = 50
    futures_weight_limit: int = 2400
    futures_orders_per_10s: int = 300
    send_queue_size: int = DEFAULT_QUEUE_SIZE
    symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS
    keepalive_timeout_s: float = KEEPALIVE_TIMEOUT_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_ip: int = DEFAULT_MAX_PER_IP


@dataclass(frozen=True, slots=True)
class SimUrls:
    base_url: str  # http://127.0.0.1:PORT
    api_url: str  # python-binance API_URL
    fapi_url: str  # python-binance FUTURES_URL
    ws_url: str  # BinanceSocketManager.STREAM_URL (trailing slash)
    fstream_url: str  # BinanceSocketManager.FSTREAM_URL (trailing slash)
    ws_api_url: str  # python-binance WS_API_URL

    @property
    def ws_base(self) -> str:
        """ws://127.0.0.1:PORT (no trailing slash)."""
        return self.ws_url.rstrip("/")

    @property
    def sapi_url(self) -> str:
        """python-binance MARGIN_API_URL; ccxt's `sapi` is this plus /v1."""
        return f"{self.base_url}/sapi"

    @property
    def dapi_url(self) -> str:
        """python-binance FUTURES_COIN_URL: coin-M, answered as for an account without it."""
        return f"{self.base_url}/dapi"

    @property
    def futures_data_url(self) -> str:
        """python-binance FUTURES_DATA_URL."""
        return f"{self.base_url}/futures/data"

    @property
    def fstream_public_url(self) -> str:
        """USD-M book data (depth, bookTicker): `<this>/ws/<stream>` or `<this>/stream?...`."""
        return f"{self.fstream_url}public"

    @classmethod
    def for_port(cls, host: str, port: int) -> SimUrls:
        http, ws = f"http://{host}:{port}", f"ws://{host}:{port}"
        return cls(
            http, f"{http}/api", f"{http}/fapi", f"{ws}/", f"{ws}/fstream/", f"{ws}/ws-api/v3"
        )


def resolve_secrets(config: SimConfig) -> SimSecrets:
    """The API key and control token: given keys win, else the data dir's, else fresh ones."""
    if bool(config.api_key) != bool(config.api_secret):
        raise ValueError("give both the API key and its secret, or neither")
    given = None
    if config.api_key and config.api_secret:
        given = ApiKey(config.api_key, config.api_secret)
    path = config.keys_file or (config.data_dir / KEYS_FILE if config.data_dir else None)
    if config.data_dir is not None:
        private_dir(config.data_dir)
    return load_or_create(path, given)


class Simulator:
    """The server on the current asyncio loop."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.ctx: SimContext | None = None
        self.urls: SimUrls | None = None
        self.venues: list[Venue] = []
        self._runner: web.AppRunner | None = None
        self._stepper: asyncio.Task[None] | None = None
        self.secrets: SimSecrets | None = None

    @property
    def api_key(self) -> ApiKey:
        assert self.secrets is not None, "start() first"
        return self.secrets.api_key

    @property
    def control_token(self) -> str:
        """What a caller of /_sim/... sends in X-SIM-TOKEN."""
        assert self.secrets is not None, "start() first"
        return self.secrets.control_token

    def build(self) -> web.Application:
        cfg = self.config
        clock = Clock(cfg.clock, cfg.start_ms)
        symbols = SymbolTable(cfg.symbols)
        feed_symbols = [s.feed_symbol() for s in symbols.specs.values()]
        market = Market(
            make_feed(cfg.feed, feed_symbols, cfg.seed, clock.market_ms()), feed_symbols
        )
        self.secrets = resolve_secrets(cfg)
        key = self.secrets.api_key
        self.ctx = ctx = SimContext(
            clock=clock,
            market=market,
            keys=KeyStore([key]),
            limiter=RateLimiter(cfg.weight_limit, cfg.orders_per_10s),
            futures_limiter=RateLimiter(cfg.futures_weight_limit, cfg.futures_orders_per_10s),
            faults=FaultBook(cfg.seed),
            hub=StreamHub(cfg.send_queue_size),
            store=StateStore(cfg.data_dir),
        )
        guard = control_guard(self.secrets.control_token, cfg.host)
        app = web.Application(client_max_size=1024 * 1024, middlewares=[guard])
        self.venues = [
            SpotVenue(symbols, cfg.balances, cfg.maker_fee, cfg.taker_fee),
            FuturesVenue(),
        ]
        for venue in self.venues:
            venue.install(ctx, app)
        ControlPlane(ctx).install(app)
        return app

    async def start(self) -> SimUrls:
        app = self.build()
        assert self.ctx is not None
        for venue in self.venues:
            await venue.start(self.ctx)
        cfg = self.config
        self._runner = web.AppRunner(
            app, shutdown_timeout=1.0, access_log=None, keepalive_timeout=cfg.keepalive_timeout_s
        )
        await self._runner.setup()
        limits = ConnectionLimits(cfg.max_connections, cfg.max_connections_per_ip)
        self.ctx.stats_sources["connections_refused"] = lambda: limits.refused
        site = LimitedSite(self._runner, cfg.host, cfg.port, limits)
        await site.start()
        port = self._runner.addresses[0][1]
        self.urls = SimUrls.for_port(self.config.host, port)
        self.ctx.sync_market()
        if not self.ctx.clock.is_virtual:
            self._stepper = asyncio.create_task(self._step_forever())
        return self.urls

    async def _step_forever(self) -> None:
        assert self.ctx is not None
        interval = self.config.step_ms / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                self.ctx.sync_market()
            except Exception:
                log.exception("market step failed")

    async def stop(self) -> None:
        if self._runner is None:
            return
        if self._stepper is not None:
            self._stepper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stepper
        assert self.ctx is not None
        self.ctx.cancel_held()
        await self.ctx.hub.close_all()
        for venue in reversed(self.venues):
            await venue.stop(self.ctx)
        self.ctx.store.flush()
        await self.ctx.market.close()  # a live feed runs its own thread; stop it with the server
        runner, self._runner = self._runner, None
        await runner.cleanup()
        _forget_handlers()


def _forget_handlers() -> None:
    """aiohttp caches each handler's middleware chain in a module-level lru_cache (up to 1024
    entries), which keeps a stopped simulator's bound handlers, and through them its whole
    market (~250 MB of history), alive: a test run that starts many simulators grew by that
    much per simulator. Nothing else is cached there that a running server needs."""
    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


class SimulatorThread:
    """The simulator on its own thread and loop. start() returns once it serves; stop() is
    idempotent and leaves no thread, task or socket behind."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.sim = Simulator(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def urls(self) -> SimUrls:
        assert self.sim.urls is not None, "start() first"
        return self.sim.urls

    @property
    def api_key(self) -> ApiKey:
        return self.sim.api_key

    @property
    def control_token(self) -> str:
        return self.sim.control_token

    def start(self, timeout: float = 15.0) -> SimulatorThread:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the simulator did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("the simulator failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.sim.start())
        except BaseException as e:
            self._error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.sim.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Runs `fn` on the simulator's loop (its state is not thread-safe); returns the result."""
        assert self._loop is not None

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
