"""A desk server for the API tests: its own simulator (so a test can ask the exchange), users
and API tokens seeded before the server starts, and clients for both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import requests
from binance import Client

from engine.access.roles import Role
from engine.access.tokens import TOKENS_FILE, TokenStore
from simulator.server import SimConfig, SimulatorThread
from tests.e2e.conftest import ADMIN, VIEWER, Server, launch


@dataclass
class ApiDesk:
    server: Server
    sim: SimulatorThread
    tokens: dict[str, str]  # name -> token text
    store: TokenStore

    @property
    def api(self) -> str:
        return f"{self.server.url}/api/v1"

    def call(self, method: str, path: str, token: str = "admin", **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[token]}"} if token else {}
        return requests.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kw)

    def exchange(self) -> Client:
        urls = {"API_URL": self.sim.urls.api_url, "FUTURES_URL": self.sim.urls.fapi_url}
        c = type("SimClient", (Client,), urls)(self.sim.api_key.key, self.sim.api_key.secret,
                                               ping=False)  # fmt: skip
        c.timestamp_offset = c.get_server_time()["serverTime"] - int(time.time() * 1000)
        return c


def seed_tokens(data_dir: Path) -> tuple[TokenStore, dict[str, str]]:
    store = TokenStore(data_dir / TOKENS_FILE)
    made = {
        "admin": store.create(ADMIN, Role.ADMIN, "bot", 30, ADMIN)[1],
        "trader": store.create(ADMIN, Role.TRADER, "trading bot", 30, ADMIN)[1],
        "viewer": store.create(VIEWER, Role.VIEWER, "dashboard", 30, ADMIN)[1],
        "revoked": store.create(ADMIN, Role.TRADER, "old bot", 30, ADMIN)[1],
        "burst": store.create(ADMIN, Role.VIEWER, "hammer", 30, ADMIN)[1],
    }
    for token in store.tokens():
        if token.label == "old bot":
            store.revoke(token.id)
    return store, made


@contextmanager
def api_desk(root: Path) -> Iterator[ApiDesk]:
    config = SimConfig(data_dir=root / "sim",
                       balances={"USDT": Decimal(100_000), "BTC": Decimal(1)})  # fmt: skip
    sim = SimulatorThread(config).start()
    server = log = None
    try:
        store, tokens = seed_tokens(root / "data")
        server, log = launch(
            root / "data", root / "server.log",
            TRADEDESK_SIM_REST_URL=sim.urls.base_url, TRADEDESK_SIM_API_KEY=sim.api_key.key,
            TRADEDESK_SIM_API_SECRET=sim.api_key.secret,
        )  # fmt: skip
        yield ApiDesk(server, sim, tokens, store)
    finally:
        if server is not None:
            server.stop()
        if log is not None:
            log.close()
        sim.stop()
