"""Automated strategies: the interface a strategy file implements, and the engine's host for it.

A strategy (engine/strategies/api.py) receives closed candles and its own fills for one pair and
returns order intents; it never touches the exchange or DuckDB. The host runs each switched-on
strategy in its own worker process, with a time budget per call, and sends its intents down the
command queue as a person's orders go, with `strategy:<name>` as the actor.
"""
