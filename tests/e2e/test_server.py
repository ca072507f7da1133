"""`streamlit run` serves the desk with the engine running, on loopback only; stopping the server
stops the engine."""

import socket

import duckdb
import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_the_server_serves_status_with_a_running_engine_and_stops_it(
    streamlit_server, browser_page
):
    page = browser_page
    # The first visit of a fresh server goes straight to a page URL: it must still run the
    # entry script (our registry, the login gate), never a page file on its own.
    page.goto(f"{streamlit_server.url}/status")
    page.get_by_label("User name").wait_for()
    assert page.get_by_text("RUNNING").count() == 0
    log_in(page)
    page.get_by_text("RUNNING").first.wait_for()
    assert page.get_by_text("streamlit app").count() == 0
    page.get_by_text("Recent events").wait_for()
    screenshot(page, "status")

    assert streamlit_server.stop() == 0
    con = duckdb.connect(str(streamlit_server.data_dir / "tradedesk.duckdb"), read_only=True)
    try:
        kinds = [k for (k,) in con.execute("SELECT kind FROM events ORDER BY id").fetchall()]
    finally:
        con.close()
    assert "engine_started" in kinds and "audit.login" in kinds
    assert kinds[-1] == "engine_stopped"


def listening_addresses(port: int) -> set[str]:
    """The local addresses of sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def websocket_status(port: int, host: str) -> str:
    """The status line the server answers a websocket handshake with `Host: host`."""
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        return s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_the_server_listens_on_loopback_only_and_refuses_foreign_host_names(streamlit_server):
    port = int(streamlit_server.url.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, from .streamlit/config.toml
    assert " 101 " in websocket_status(port, f"127.0.0.1:{port}")
    assert " 101 " in websocket_status(port, f"localhost:{port}")
    assert " 101 " not in websocket_status(port, f"evil.example:{port}")  # DNS rebinding
    log = (streamlit_server.data_dir.parent / "server.log").read_text()
    assert "External URL" not in log and "external IP" not in log  # no checkip.amazonaws.com
