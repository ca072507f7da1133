"""tradedesk: the entry script. Page config, the login gate, the navigation registry by role."""

from pathlib import Path

import streamlit as st

from app import auth, navigation
from app.components.header import header

# The app serves its own favicon: a :material/...: icon makes every browser fetch it from
# fonts.gstatic.com on each page load.
FAVICON = Path(__file__).parent / "app" / "assets" / "favicon.png"

st.set_page_config(page_title="tradedesk", page_icon=FAVICON, layout="wide")

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
    st.navigation(navigation.registry(principal.role)).run()
