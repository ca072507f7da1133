"""Issue 12, items 3 and 9: one 429 is no ban for requests already on their way, while a client
that keeps sending after it is banned; faults scoped by HTTP method."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.helpers import eventually
from tests.integration.sim_support import advance, control, sign, start_sim, synced_client


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:1])
    yield thread
    thread.stop()


@pytest.fixture(autouse=True)
def clean(sim):
    control(sim, "POST", "/_sim/reset")
    yield
    control(sim, "DELETE", "/_sim/faults")


def server_ms(sim) -> int:
    return requests.get(sim.urls.api_url + "/v3/time", timeout=5).json()["serverTime"]


def signed_order(sim, timestamp: int, client_id: str) -> tuple[str, dict[str, str]]:
    """A market buy's URL and headers, signed with `timestamp` (built before it is sent)."""
    query = (
        f"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId={client_id}"
        f"&timestamp={timestamp}"
    )
    query += "&signature=" + sign(sim.api_key.secret, query)
    return f"{sim.urls.api_url}/v3/order?{query}", {"X-MBX-APIKEY": sim.api_key.key}


def send_at_once(prepared: list[tuple[str, dict[str, str]]]) -> list[int]:
    statuses: list[int] = [0] * len(prepared)
    barrier = threading.Barrier(len(prepared))

    def send(i: int) -> None:
        url, headers = prepared[i]
        barrier.wait()
        statuses[i] = requests.post(url, headers=headers, timeout=10).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_one_429_does_not_ban_requests_that_were_already_on_their_way(sim):
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "rate_limit", "retry_after": 1, "path": "/api/v3/order", "count": 1},
    )
    stamp = server_ms(sim)  # every order is built (and signed) before the 429 exists
    prepared = [signed_order(sim, stamp, f"burst-{i}") for i in range(4)]
    statuses = send_at_once(prepared)
    assert sorted(statuses)[-1] == 429 and 418 not in statuses
    stats = control(sim, "GET", "/_sim/stats")
    assert stats["ip_bans"] == 0
    advance(sim, 2000)  # past the Retry-After window
    client = synced_client(sim)
    assert client.order_market_buy(symbol="BTCUSDT", quantity="0.001")["status"] == "FILLED"
    assert control(sim, "GET", "/_sim/stats")["ip_bans"] == 0


def test_a_client_that_keeps_sending_after_the_429_is_still_banned(sim):
    # The client's clock, synced once. Read before the request, so a timestamp built with it is
    # never behind the server's time (read after, it lags by the reply's trip back, and on a
    # loaded machine a request built after the 429 was heard could carry a time before it).
    asked_ms = int(time.time() * 1000)
    offset = server_ms(sim) - asked_ms
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "rate_limit", "retry_after": 5, "path": "/api/v3/order", "count": 1},
    )
    statuses = []
    answered_ms = int(time.time() * 1000)
    for i in range(4):  # each built after the previous answer, so after the 429 was heard
        eventually(lambda after=answered_ms: int(time.time() * 1000) > after, interval=0.001)
        url, headers = signed_order(sim, int(time.time() * 1000) + offset, f"keep-{i}")
        statuses.append(requests.post(url, headers=headers, timeout=10).status_code)
        answered_ms = int(time.time() * 1000)
    assert statuses == [429, 429, 429, 418]
    assert control(sim, "GET", "/_sim/stats")["ip_bans"] == 1


def test_a_fault_scoped_to_post_holds_placing_but_not_queries_or_cancels(sim):
    client = synced_client(sim)
    resting = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price="50000")
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "latency", "ms": 1500, "path": "/api/v3/order", "method": "post", "count": 1},
    )
    started = time.monotonic()
    assert client.get_order(symbol="BTCUSDT", orderId=resting["orderId"])["status"] == "NEW"
    client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
    assert time.monotonic() - started < 1.0
    armed = control(sim, "GET", "/_sim/faults")["faults"]
    assert [(f["method"], f["count"]) for f in armed] == [("POST", 1)]
    started = time.monotonic()
    client.order_market_buy(symbol="BTCUSDT", quantity="0.001")
    assert time.monotonic() - started >= 1.5
    assert control(sim, "GET", "/_sim/faults")["faults"] == []


def test_a_fault_without_a_method_holds_every_method(sim):
    client = synced_client(sim)
    control(
        sim,
        "POST",
        "/_sim/faults",
        {"kind": "error", "status": 503, "path": "/api/v3/order", "count": 1},
    )
    response = requests.get(sim.urls.api_url + "/v3/order?symbol=BTCUSDT&orderId=1", timeout=5)
    assert response.status_code == 503
    assert client.get_all_orders(symbol="BTCUSDT") == []


def test_a_bad_method_is_refused(sim):
    response = requests.post(
        sim.urls.base_url + "/_sim/faults",
        json={"kind": "latency", "method": "PATCH"},
        headers={"X-SIM-TOKEN": sim.control_token},
        timeout=5,
    )
    assert response.status_code == 400 and "method" in response.json()["msg"]
