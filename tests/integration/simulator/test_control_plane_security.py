"""The control plane (`/_sim/...`) answers only this host's callers that know the simulator's
token, refuses hostile bodies with a Binance-style 400 (never a 500), and the server closes
idle connections and bounds how many there are."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from simulator.server import SimConfig, SimulatorThread
from tests.helpers import eventually
from tests.integration.sim_support import control, control_headers, start_sim


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    thread = start_sim()
    yield thread
    thread.stop()


def port_of(sim: SimulatorThread) -> int:
    return int(sim.urls.base_url.rsplit(":", 1)[1])


def post(sim: SimulatorThread, path: str, data: bytes | str, **headers: str) -> requests.Response:
    return requests.post(sim.urls.base_url + path, data=data, headers=headers, timeout=10)


def balances(sim: SimulatorThread) -> list[dict]:
    return control(sim, "GET", "/_sim/balances")["balances"]


def refused(response: requests.Response, status: int, code: int) -> bool:
    body = response.json()
    return response.status_code == status and body["code"] == code and bool(body["msg"])


def test_a_cross_site_text_plain_post_without_the_token_changes_nothing(sim):
    before = balances(sim)
    body = json.dumps({"balances": {"USDT": "99999999"}})
    csrf = post(sim, "/_sim/balances", body, **{"Content-Type": "text/plain",
                                                "Origin": "http://evil.example"})  # fmt: skip
    assert refused(csrf, 403, -1002)
    tokenless = post(sim, "/_sim/balances", body, **{"Content-Type": "text/plain"})
    assert refused(tokenless, 401, -2015)
    token = control_headers(sim)
    plain_with_token = post(sim, "/_sim/balances", body, **{"Content-Type": "text/plain"}, **token)
    assert refused(plain_with_token, 415, -1130)
    foreign_origin = post(
        sim, "/_sim/balances", body, **{"Content-Type": "application/json",
                                        "Origin": "http://evil.example"}, **token,
    )  # fmt: skip
    assert refused(foreign_origin, 403, -1002)
    assert balances(sim) == before
    faults = requests.post(
        sim.urls.base_url + "/_sim/faults", data='{"kind": "latency", "ms": 5000}',
        headers={"Content-Type": "text/plain"}, timeout=10,
    )  # fmt: skip
    assert faults.status_code == 401 and control(sim, "GET", "/_sim/faults")["faults"] == []


def test_a_foreign_host_is_refused_even_with_the_token(sim):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host."""
    before = balances(sim)
    token = control_headers(sim)
    port = port_of(sim)
    for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}"):
        response = requests.post(
            sim.urls.base_url + "/_sim/balances", json={"balances": {"USDT": "1"}},
            headers={**token, "Host": host}, timeout=10,
        )  # fmt: skip
        assert refused(response, 403, -1002), host
        stats = requests.get(
            sim.urls.base_url + "/_sim/stats", headers={**token, "Host": host}, timeout=10
        )
        assert refused(stats, 403, -1002), host
    assert balances(sim) == before
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):  # this host, by its names
        response = requests.get(
            sim.urls.base_url + "/_sim/clock", headers={**token, "Host": host}, timeout=10
        )
        assert response.status_code == 200, host
    # the Binance API itself is unchanged: any client, any Host
    assert requests.get(sim.urls.api_url + "/v3/ping", timeout=10).json() == {}


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        "[" * 100_000 + "]" * 100_000,
        '{"balances": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
        '{"balances": {"USDT": "1e999999999"}}',
        '{"balances": {"USDT": 1e999999999}}',
        '{"balances": {"USDT": "NaN"}}',
        '{"balances": {"USDT": "-1"}}',
        '{"balances": {"USDT": "0.000000001"}}',
        json.dumps({"balances": {f"A{i}": "1" for i in range(20_000)}}),
        '{"balances": {"' + "X" * 30 + '": "1"}}',
        "not json",
    ],
    ids=["array-1000", "array-100000", "object-1000", "1e999999999", "1e999999999-number",
         "NaN", "negative", "nine-decimals", "20000-assets", "long-asset", "not-json"],
)  # fmt: skip
def test_hostile_balance_bodies_get_a_400_and_change_nothing(sim, body):
    before = balances(sim)
    response = post(
        sim, "/_sim/balances", body, **{"Content-Type": "application/json"}, **control_headers(sim)
    )
    assert refused(response, 400, -1130)
    assert balances(sim) == before


@pytest.mark.parametrize("path", ["/_sim/faults", "/_sim/clock/skew", "/_sim/futures/price"])
def test_deep_json_anywhere_on_the_control_plane_is_a_400(sim, path):
    for depth in (1000, 100_000):
        body = '{"a": ' + "[" * depth + "]" * depth + "}"
        response = post(
            sim, path, body, **{"Content-Type": "application/json"}, **control_headers(sim)
        )
        assert refused(response, 400, -1130), (path, depth)
    assert control(sim, "GET", "/_sim/stats")["rejected"].get("-1000") is None


def test_an_idle_connection_is_closed_by_the_server(tmp_path):
    quick = start_sim(keepalive_timeout_s=1.0)
    try:
        for opening in (b"", b"GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"):  # half-open
            with socket.create_connection(("127.0.0.1", port_of(quick)), timeout=10) as sock:
                sock.sendall(opening)
                started = time.monotonic()
                assert sock.recv(1024) == b""  # the server closed it ...
                assert time.monotonic() - started < 5  # ... after about a second, not an hour
    finally:
        quick.stop()


def served(port: int) -> bool:
    """Whether a new connection gets an answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(1024).startswith(b"HTTP/1.1 200")
    except (ConnectionResetError, BrokenPipeError):
        return False


def test_connections_per_ip_are_bounded():
    bounded = start_sim(max_connections_per_ip=3)
    port = port_of(bounded)
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    try:
        assert not served(port)  # a fourth is closed at once, unanswered
        held.pop().close()
        assert eventually(lambda: served(port), timeout=5)
        assert control(bounded, "GET", "/_sim/stats")["connections_refused"] >= 1
    finally:
        for sock in held:
            sock.close()
        bounded.stop()


def test_the_config_repr_hides_the_secret():
    config = SimConfig(api_key="K" * 64, api_secret="S" * 64)
    assert "S" * 64 not in repr(config) and "K" * 64 in repr(config)
