"""tradedesk's pages: page config, the settings check, the login gate, the navigation registry by
role and the kill-switch banner (served by streamlit_app.py, next to the API)."""

from pathlib import Path

import streamlit as st

from app import auth, navigation
from app.components.header import header
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

# Every run calls st.navigation, logged in or not: a visitor who is not logged in gets a
# registry holding only the login page, so no other page is served to them by any URL. Pages
# live in app_pages/, not pages/: Streamlit serves a pages/ folder as legacy pages, by URL, to any
# session that arrives before one has run st.navigation, past the entry script and so past this
# gate (seen with 1.67: a fresh server served pages/status.py directly at /status).
principal = auth.principal()
if principal is None:
    st.navigation(navigation.login_registry(), position="hidden").run()
else:
    header(principal)
    chosen = st.navigation(navigation.registry(principal.role))
    kill_switch_banner()  # on every page, above its title, while the kill switch is on
    chosen.run()
