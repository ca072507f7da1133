"""tradedesk: the entry script. Page config and the navigation registry; pages do the rest."""

import streamlit as st

st.set_page_config(page_title="tradedesk", page_icon=":material/candlestick_chart:", layout="wide")

# Pages live in app_pages/, not pages/: Streamlit serves a pages/ folder as legacy pages, by
# URL, to any session that arrives before one has run st.navigation, past the entry script and
# so past any gate it sets (seen here: a fresh server served pages/status.py directly at /status).
# Every run still calls st.navigation.
pages = {
    "System": [
        st.Page(
            "app_pages/status.py",
            title="Status",
            icon=":material/monitor_heart:",
            url_path="status",
        ),
    ],
}
st.navigation(pages).run()
