"""A real `streamlit run` server and Debian's Chromium driven by Playwright.

The server's data dir starts with two users (ada, an admin; val, a viewer) and a master
passphrase; every test logs in through the login form first. Without Chromium these tests
skip, except under CI (CI=true), where they fail: CI installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from app.api.server import STOPPED_LINE
from engine.access import passwords
from engine.access.roles import Role
from engine.access.users import USERS_FILE, UserStore
from tests.conftest import REPO_ROOT
from tests.helpers import eventually

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = REPO_ROOT / "artifacts" / "screenshots"
RUN_FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PASSWORD = "correct horse battery"
PASSPHRASE = "the e2e desk's master passphrase"
ADMIN, VIEWER = "ada", "val"


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must have it.")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def stop(self) -> int:
        """SIGTERM, then wait; 0 when the server stopped cleanly: uvicorn shuts down (the
        lifespan stops the engine and says so), then exits by the signal it was sent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        code = self.process.returncode
        log = self.data_dir.parent / "server.log"
        if code == -signal.SIGTERM and log.exists() and STOPPED_LINE in log.read_text():
            return 0
        return code


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def seed_users(data_dir: Path) -> None:
    """An admin and a viewer, before the server starts (bcrypt at 4 rounds: not under test)."""
    rounds, passwords.ROUNDS = passwords.ROUNDS, 4
    try:
        users = UserStore(data_dir / USERS_FILE)
        users.create_first_admin(ADMIN, "Ada Admin", PASSWORD)
        users.add(VIEWER, "Val Viewer", Role.VIEWER, PASSWORD)
    finally:
        passwords.ROUNDS = rounds


StartServer = Callable[..., Server]


def launch(data_dir: Path, log_path: Path, **env: str) -> tuple[Server, IO[bytes]]:
    """`streamlit run streamlit_app.py` on a free port over `data_dir` (seeded first), up and
    answering its health check; the caller stops it and closes the log."""
    port = free_port()
    seed_users(data_dir)
    variables = {**os.environ, "TRADEDESK_DATA_DIR": str(data_dir),
                 "TRADEDESK_MASTER_KEY": PASSPHRASE, **env}  # fmt: skip
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
         "--server.port", str(port)],  # the rest comes from .streamlit/config.toml
        cwd=REPO_ROOT, env=variables, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, data_dir)
    eventually(lambda: process.poll() is not None or _healthy(server.url), timeout=60)
    assert process.poll() is None, log_path.read_text()
    return server, log


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `streamlit run` on a seeded data dir; `env` adds or overrides variables."""
    started: list[tuple[Server, IO[bytes]]] = []

    def start(**env: str) -> Server:
        started.append(launch(tmp_path / "data", tmp_path / "server.log", **env))
        return started[-1][0]

    try:
        yield start
    finally:
        for server, log in started:
            server.stop()
            log.close()


@pytest.fixture
def streamlit_server(start_server: StartServer) -> Server:
    return start_server()


@pytest.fixture
def browser_page():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Until Streamlit has finished the current run: the app's own "script not running" state
    (the first run of a fresh server starts the engine, so it may take a while)."""
    page.wait_for_selector(RUN_FINISHED, state="attached")


def log_in(page, username: str = ADMIN, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Log in through the login form on whatever page URL the browser is on."""
    from playwright.sync_api import expect

    wait_idle(page)
    user = page.get_by_label("User name")
    expect(user).to_be_visible(timeout=60_000)
    user.fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=60_000)
    wait_idle(page)


def frame_text(payload: str | bytes) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload


def record_frames(page) -> dict[str, list[bytes]]:  # type: ignore[no-untyped-def]
    """Every websocket frame the browser receives and sends, as bytes, from now on."""
    frames: dict[str, list[bytes]] = {"received": [], "sent": []}

    def watch(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda p: frames["received"].append(frame_text(p)))
        ws.on("framesent", lambda p: frames["sent"].append(frame_text(p)))

    page.on("websocket", watch)
    return frames
