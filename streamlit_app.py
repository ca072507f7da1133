"""tradedesk: the entry script. Page config and the navigation registry; pages do the rest."""

from pathlib import Path

import streamlit as st

from app.components.kill_banner import kill_switch_banner
from app.runtime import settings_problem
from app.text import plain

# The app serves its own favicon: a :material/...: icon makes every browser fetch it from
# fonts.gstatic.com on each page load.
FAVICON = Path(__file__).parent / "app" / "assets" / "favicon.png"

st.set_page_config(page_title="tradedesk", page_icon=FAVICON, layout="wide")

# A bad TRADEDESK_* value: a page that names it, nothing started (no page, so no navigation).
if (problem := settings_problem()) is not None:
    st.title("tradedesk cannot start")
    st.error("\n\n".join(plain(line) for line in problem.splitlines()), icon=":material/settings:")
    st.caption("Fix the variable (or .streamlit/secrets.toml), then restart the server.")
    st.stop()


def page(path: str, title: str, icon: str, url_path: str, default: bool = False) -> st.Page:
    return st.Page(path, title=title, icon=icon, url_path=url_path, default=default)


# Pages live in app_pages/, not pages/: Streamlit serves a pages/ folder as legacy pages, by
# URL, to any session that arrives before one has run st.navigation, past the entry script and
# so past any gate it sets (seen here: a fresh server served pages/status.py directly at /status).
# Every run still calls st.navigation.
pages = {
    "Trading": [
        page("app_pages/orders.py", "Trade", ":material/swap_vert:", "trade", default=True),
        page("app_pages/pairs.py", "Pairs", ":material/list:", "pairs"),
        page("app_pages/portfolio.py", "Portfolio", ":material/account_balance_wallet:",
             "portfolio"),
        page("app_pages/risk.py", "Risk", ":material/shield:", "risk"),
    ],
    "System": [
        page("app_pages/status.py", "Status", ":material/monitor_heart:", "status"),
        page("app_pages/alerts.py", "Alerts", ":material/notifications:", "alerts"),
        page("app_pages/settings.py", "Settings", ":material/settings:", "settings"),
        page("app_pages/explore.py", "Explore", ":material/database:", "explore"),
    ],
}  # fmt: skip
navigation = st.navigation(pages)
kill_switch_banner()  # on every page, above its title, while the kill switch is on
navigation.run()
