"""Access in a real browser: no page URL gives a visitor anything before logging in, a viewer
gets no order ticket, and a key stored and used on Settings appears in no file of the data dir,
no database row, no log line, no page and no websocket frame."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from engine.access.users import USERS_FILE, UserStore
from simulator.server import SimConfig, SimulatorThread
from tests.e2e.conftest import (
    PASSWORD,
    VIEWER,
    log_in,
    record_frames,
    screenshot,
    wait_idle,
)
from tests.e2e.test_desk import PAGES

pytestmark = pytest.mark.e2e
# What any page of the desk shows and the login page never does.
DATA = [b"BTCUSDT", b"ETHUSDT", b"Spot balances", b"Kill switch", b"Recent events",
        b"engine_started", b"RUNNING", b"Audit trail"]  # fmt: skip
KEY = "e2estoredkey" + "K" * 52
SECRET = "e2estoredsecret" + "S" * 49


def test_no_page_url_serves_data_before_login_and_a_viewer_gets_no_ticket(
    streamlit_server, browser_page: Page
):
    page, url = browser_page, streamlit_server.url
    frames = record_frames(page)
    for path in PAGES.values():
        page.goto(f"{url}/{path}")
        wait_idle(page)
        expect(page.get_by_label("User name")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", level=1)).to_have_text("tradedesk")
    received = b"".join(frames["received"])
    assert received, "no websocket frames were seen"
    leaked = [marker for marker in DATA if marker in received]
    assert leaked == [], f"sent to a visitor who is not logged in: {leaked}"

    page.goto(f"{url}/")
    log_in(page, VIEWER)
    expect(page.get_by_role("heading", name="Trade")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("takes the trader role"))).to_be_visible()
    expect(page.get_by_role("button", name="Buy BTCUSDT")).to_have_count(0)
    expect(page.get_by_label("Quantity", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    assert b"BTCUSDT" in b"".join(frames["received"])  # the markers do show once logged in
    screenshot(page, "viewer-trade")
    page.goto(f"{url}/settings")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Settings")).to_have_count(0)

    # An admin disables the viewer: the page left open drops to the login form by itself (its
    # live parts rerun without the entry script, and stop once the session is over).
    UserStore(streamlit_server.data_dir / USERS_FILE).set_disabled(VIEWER, True)
    expect(page.get_by_label("User name")).to_be_visible(timeout=20_000)


@pytest.fixture
def outside_sim(tmp_path):
    """A simulator the desk attaches to, with the key the admin will store (not the desk's)."""
    config = SimConfig(data_dir=tmp_path / "outside", api_key=KEY, api_secret=SECRET,
                       balances={"USDT": Decimal(10_000)})  # fmt: skip
    thread = SimulatorThread(config).start()
    yield thread
    thread.stop()


def store_sim_key(page: Page) -> None:
    form = page.get_by_test_id("stForm").filter(has_text="Store a key")
    form.get_by_label("Environment").click()
    page.get_by_role("option", name="sim", exact=True).click()
    form.get_by_role("textbox", name="API key").fill(KEY)
    form.get_by_role("textbox", name="API secret").fill(SECRET)
    form.get_by_role("textbox", name="Your password").fill(PASSWORD)
    form.get_by_role("button", name="Store encrypted").click()
    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success.get_by_text(re.compile("is stored, encrypted"))).to_be_visible()
    wait_idle(page)


def test_a_stored_and_used_key_is_nowhere_to_be_found(start_server, outside_sim, browser_page):
    server = start_server(TRADEDESK_SIM_REST_URL=outside_sim.urls.base_url)
    page = browser_page
    frames = record_frames(page)
    page.goto(f"{server.url}/settings")
    log_in(page)
    expect(page.get_by_role("heading", name="Settings")).to_be_visible(timeout=60_000)
    store_sim_key(page)
    sent_before = len(frames["sent"])  # the browser sent the key once, as typed
    page.get_by_role("button", name="Test the connection").click()  # signs with the stored key
    expect(page.get_by_test_id("stAlertContentSuccess").get_by_text("Connected.")).to_be_visible()
    screenshot(page, "settings-key-tested")
    contents = []
    for path in PAGES.values():
        page.goto(f"{server.url}/{path}")
        wait_idle(page)
        expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=60_000)
        wait_idle(page)
        contents.append(page.content())
    assert server.stop() == 0
    places = {
        "data dir": b"".join(p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file()),
        "server log": (server.data_dir.parent / "server.log").read_bytes(),
        "pages": "".join(contents).encode(),
        "frames received": b"".join(frames["received"]),
        "frames sent after storing": b"".join(frames["sent"][sent_before:]),
    }
    for where, text in places.items():
        for name, secret in (("key", KEY), ("secret", SECRET)):
            assert secret.encode() not in text, f"the {name} is in the {where}"
    assert KEY.encode() in b"".join(frames["sent"][:sent_before])  # the frames were watched
    assert (server.data_dir / "vault.json").exists()
