"""The headless engine: streams Binance data into DuckDB and executes orders.

It never imports streamlit.
"""
