"""The HTTP API at /api/v1: an automated trading system drives the desk as a user.

It sits in front of the same command queue as the pages (app.acting.act: the token's user, the
role check, the engine's checks, the audit trail) and reads the same DuckDB. Mounted next to the
pages by streamlit_app.py; the engine starts and stops with the server (`server.lifespan`).
"""
