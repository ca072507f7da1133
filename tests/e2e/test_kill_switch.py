"""The kill switch in a real browser (issue 19, done when): with resting spot and futures orders
and conditional orders, pulling the switch leaves the exchange holding none, as the exchange
itself says (the simulator's REST through python-binance, every URL pointing at it); with a fault
that makes a cancel fail, every page names the order still open, until it is gone.

The desk runs against a simulator this test starts, so the test can read and fault the exchange
the desk trades on (TRADEDESK_SIM_REST_URL and the simulator's keys).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from binance import Client
from playwright.sync_api import Page, expect

from simulator.server import SimConfig, SimulatorThread
from tests.e2e.conftest import PASSWORD, Server, StartServer, log_in, screenshot, wait_idle
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
STOP_TRIGGER = "40000"


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[SimulatorThread]:
    config = SimConfig(data_dir=tmp_path / "sim",
                       balances={"USDT": Decimal(50_000), "BTC": Decimal(1)})  # fmt: skip
    sim = SimulatorThread(config).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def desk(exchange: SimulatorThread, start_server: StartServer) -> Server:
    return start_server(
        TRADEDESK_SIM_REST_URL=exchange.urls.base_url,
        TRADEDESK_SIM_API_KEY=exchange.api_key.key,
        TRADEDESK_SIM_API_SECRET=exchange.api_key.secret,
    )


def client(sim: SimulatorThread) -> Client:
    urls = {"API_URL": sim.urls.api_url, "FUTURES_URL": sim.urls.fapi_url}
    c = type("SimClient", (Client,), urls)(sim.api_key.key, sim.api_key.secret, ping=False)
    c.timestamp_offset = c.get_server_time()["serverTime"] - int(time.time() * 1000)
    return c


def held(c: Client) -> dict[str, list]:
    algo = c.futures_get_open_orders(conditional=True)
    return {
        "spot": c.get_open_orders(),
        "futures": c.futures_get_open_orders(),
        "futures conditional": algo.get("orders", []) if isinstance(algo, dict) else algo,
    }


def fault(sim: SimulatorThread, method: str, body: dict | None = None) -> None:
    answer = requests.request(method, f"{sim.urls.base_url}/_sim/faults", json=body, timeout=5,
                              headers={"X-SIM-TOKEN": sim.control_token})  # fmt: skip
    answer.raise_for_status()  # a fault that was not armed would make the test prove nothing


def rest_at_the_exchange(c: Client) -> None:
    """Resting orders far from the market at the exchange, spot and futures, plain and
    conditional (the desk learns of them from its user streams)."""
    spot = Decimal(c.get_symbol_ticker(symbol="BTCUSDT")["price"])
    c.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", quantity="0.001",
                   stopPrice=f"{spot * Decimal('0.7'):.2f}", price=f"{spot * Decimal('0.69'):.2f}",
                   timeInForce="GTC")  # fmt: skip
    mark = Decimal(c.futures_mark_price(symbol="BTCUSDT")["markPrice"])
    c.futures_create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.002",
                           price=f"{mark * Decimal('0.8'):.1f}", timeInForce="GTC")  # fmt: skip
    stop_on_the_exchange(c)


def stop_on_the_exchange(c: Client) -> None:
    c.futures_create_algo_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                quantity="0.01", triggerPrice=STOP_TRIGGER)  # fmt: skip


def place_limit_buy_on_the_ticket(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Trade")).to_be_visible(timeout=60_000)
    page.get_by_label("Type").click()
    page.get_by_role("option", name="Limit", exact=True).click()
    wait_idle(page)
    price_box = page.get_by_label("Price (USDT)", exact=True)
    expect(price_box).to_have_attribute("placeholder", re.compile(r"last price"), timeout=30_000)
    last = float(price_box.get_attribute("placeholder").split()[0].replace(",", ""))
    price_box.fill(f"{last * 0.8:.2f}")
    price_box.press("Enter")
    wait_idle(page)
    quantity = page.get_by_label("Quantity (BTC)", exact=True)
    quantity.fill("0.001")
    quantity.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Buy BTCUSDT").click()
    expect(page.get_by_text(re.compile(r"Placed: BUY 0\.001 BTCUSDT LIMIT")).first).to_be_visible()


def pull_the_switch(page: Page, url: str, reason: str) -> None:
    page.goto(f"{url}/risk")
    wait_idle(page)
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Pull the kill switch").click()
    expect(page.get_by_text("KILL SWITCH ON").first).to_be_visible(timeout=30_000)


def reset_the_switch(page: Page, url: str) -> None:
    page.goto(f"{url}/risk")
    wait_idle(page)
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name="Reset the kill switch")
    )
    form.get_by_label("Your password, to confirm").fill(PASSWORD)
    form.get_by_role("button", name="Reset the kill switch").click()
    expect(page.get_by_text("Kill switch off").first).to_be_visible(timeout=30_000)


def test_the_kill_switch_leaves_nothing_open_and_names_what_a_failed_cancel_left(
    exchange, desk, browser_page
):
    page, url, c = browser_page, desk.url, client(exchange)
    page.goto(url)
    log_in(page)
    place_limit_buy_on_the_ticket(page, url)
    rest_at_the_exchange(c)
    eventually(lambda: [len(v) for v in held(c).values()] == [2, 1, 1], timeout=15)

    pull_the_switch(page, url, "e2e: stop everything")
    eventually(lambda: not any(held(c).values()), timeout=30, interval=0.5)
    expect(page.get_by_text(re.compile(r"Checked at the exchange at .*: no open order"))
           ).to_be_visible(timeout=30_000)  # fmt: skip
    page.goto(f"{url}/portfolio")  # every page carries the banner
    wait_idle(page)
    headline = re.compile("KILL SWITCH ON since .* e2e: stop everything")
    expect(page.get_by_text(headline)).to_be_visible()
    screenshot(page, "kill-switch-clean")
    reset_the_switch(page, url)

    # Now the exchange's algo service refuses every cancel.
    stop_on_the_exchange(c)
    eventually(lambda: len(held(c)["futures conditional"]) == 1, timeout=15)
    fault(exchange, "POST", {"kind": "error", "status": 503, "path": "/fapi/v1/algoOrder",
                             "count": None})  # fmt: skip
    pull_the_switch(page, url, "e2e: with a failing cancel")
    page.goto(f"{url}/")
    wait_idle(page)
    named = page.get_by_text("futures SELL STOP_MARKET 0.01 BTCUSDT trigger 40,000 (still open)")
    expect(page.get_by_text(re.compile(r"Still open at the exchange \(1 item\)"))).to_be_visible(
        timeout=45_000
    )
    expect(named).to_be_visible()
    assert len(held(c)["futures conditional"]) == 1  # the exchange agrees: it is still there
    screenshot(page, "kill-switch-still-open")

    fault(exchange, "DELETE")  # the exchange takes cancels again: the follow-ups finish the job
    expect(named).to_have_count(0, timeout=90_000)
    expect(page.get_by_text(re.compile(r"Checked at the exchange at .*: no open order"))
           ).to_be_visible(timeout=30_000)  # fmt: skip
    assert not any(held(c).values())
