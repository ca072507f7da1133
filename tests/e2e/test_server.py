"""`streamlit run` serves the desk with the engine running; stopping the server stops it."""

import duckdb
import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_the_server_serves_status_with_a_running_engine_and_stops_it(
    streamlit_server, browser_page
):
    page = browser_page
    # The first visit of a fresh server goes straight to a page URL: it must still run the
    # entry script (our registry), never a page file on its own.
    page.goto(f"{streamlit_server.url}/status")
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
    assert "engine_started" in kinds
    assert kinds[-1] == "engine_stopped"
