"""tradedesk's server: the desk's pages (desk_ui.py) and the HTTP API at /api/v1, one process.

`streamlit run streamlit_app.py` serves both. The engine starts with the server (the lifespan
hook) and stops with it; the pages and the API share it, and act through the same command
queue, checks, roles and audit trail.
"""

import streamlit as st
from starlette.routing import Mount

from app.api.server import api, lifespan

app = st.App("desk_ui.py", routes=[Mount("/api/v1", app=api)], lifespan=lifespan)
