"""The headless engine: streams Binance data into DuckDB and executes orders. Never imports streamlit."""
