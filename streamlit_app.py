"""tradedesk: the entry script. Page config and the navigation registry; pages do the rest."""

import streamlit as st

st.set_page_config(page_title="tradedesk", page_icon=":material/candlestick_chart:", layout="wide")

# Every run calls st.navigation: with a pages/ folder, a run that skipped it would make
# Streamlit serve every file in pages/ by its URL (design.md section 1).
pages = {
    "System": [
        st.Page(
            "pages/status.py", title="Status", icon=":material/monitor_heart:", url_path="status"
        ),
    ],
}
st.navigation(pages).run()
