"""tradedesk: the entry script. Page config and the navigation registry; pages do the rest."""

from pathlib import Path

import streamlit as st

# The app serves its own favicon: a :material/...: icon makes every browser fetch it from
# fonts.gstatic.com on each page load.
FAVICON = Path(__file__).parent / "app" / "assets" / "favicon.png"

st.set_page_config(page_title="tradedesk", page_icon=FAVICON, layout="wide")


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
        page("app_pages/strategies.py", "Strategies", ":material/smart_toy:", "strategies"),
    ],
    "System": [
        page("app_pages/status.py", "Status", ":material/monitor_heart:", "status"),
        page("app_pages/settings.py", "Settings", ":material/settings:", "settings"),
        page("app_pages/explore.py", "Explore", ":material/database:", "explore"),
    ],
}  # fmt: skip
st.navigation(pages).run()
