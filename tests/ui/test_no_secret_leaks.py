"""After keys are stored and used (a connection test, and the desk running live on them), no
file of the data dir, no row of the database, no log record and no rendered element of any page
holds a key or a secret. The browser version (websocket frames) is tests/e2e/test_access.py."""

import logging
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app import environment
from app.runtime import get_engine
from engine.access.roles import Role
from engine.models import Environment
from engine.store.schema import TABLES
from tests.ui.conftest import PASSWORD, open_app, principal, store_key
from tests.ui.desk_fixtures import db

TESTNET_KEY, TESTNET_SECRET = "leakkey" + "t" * 57, "leaksecret" + "u" * 54
PAGES = ["app_pages/orders.py", "app_pages/pairs.py", "app_pages/portfolio.py",
         "app_pages/risk.py", "app_pages/status.py", "app_pages/settings.py",
         "app_pages/explore.py"]  # fmt: skip


def rendered(at: AppTest) -> str:
    return "\n".join(str(node.proto) for node in at._tree if getattr(node, "proto", None))


def files_text(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def database_text() -> str:
    return "\n".join(str(db(f"SELECT * FROM {table}")) for table in TABLES)


def test_no_key_or_secret_anywhere_after_storing_and_using_them(live_sim, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [TESTNET_KEY, TESTNET_SECRET, live_sim.api_key.key, live_sim.api_key.secret]
    at = open_app("app_pages/settings.py")
    store_key(at, "testnet", TESTNET_KEY, TESTNET_SECRET)
    store_key(at, "live", live_sim.api_key.key, live_sim.api_key.secret)
    at.selectbox(key="conn_env").select("live")
    at.button(key="conn_test").click().run()
    assert any(s.value == "Connected." for s in at.success), [e.value for e in at.error]
    pages = [rendered(at)]
    admin = principal(Role.ADMIN)
    assert environment.switch(admin, Environment.LIVE, PASSWORD, "TRADE LIVE") is None
    used = get_engine().component("venue").rest.credentials
    assert used is not None and used.api_key == live_sim.api_key.key  # live runs on it
    live = open_app()
    for page in PAGES:
        live.switch_page(page).run()
        assert not live.exception, page
        pages.append(rendered(live))
    data_dir = get_engine().settings.data_dir
    assert environment.switch(admin, Environment.SIM, PASSWORD) is None  # flushes the database
    haystacks = {
        "data dir": files_text(data_dir),
        "database": database_text().encode(),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records).encode(),
        "pages": "\n".join(pages).encode(),
    }
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret.encode() not in text, f"a key or secret in the {where}"
    assert b"vault.json" not in haystacks["database"]  # and the vault stays out of DuckDB
    assert (data_dir / "vault.json").exists()
