import threading

import streamlit as st

from app import event_queries
from app.runtime import get_engine
from tests.helpers import eventually
from tests.ui.conftest import open_app


def test_status_page_renders_with_a_running_engine(app_env):
    at = open_app("app_pages/status.py")
    # events land with the next flush; the engine's start is recorded once every part is up
    eventually(lambda: "engine_started" in set(event_queries.recent_events()["kind"]))
    at.run()
    assert not at.exception
    assert at.title[0].value == "Status"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Engine"] == "RUNNING"
    assert metrics["Command queue"].endswith(f"/ {get_engine().settings.command_queue_size}")
    tables = [d.value for d in at.dataframe]
    counts = next(t for t in tables if "table_name" in t.columns)
    assert set(counts["table_name"]) >= {"klines", "orders", "fills", "events"}
    events = next(t for t in tables if "kind" in t.columns)
    assert "engine_started" in set(events["kind"])
    assert any("Size on disk" in c.value for c in at.caption)


def test_every_session_shares_one_engine_and_release_stops_it(app_env):
    open_app()
    open_app()
    engine = get_engine()
    engine_threads = [t for t in threading.enumerate() if t.name == "tradedesk-engine"]
    assert len(engine_threads) == 1 and engine.running
    st.cache_resource.clear()
    assert not engine.running
    assert not [t for t in threading.enumerate() if t.name == "tradedesk-engine"]


def test_the_page_says_so_when_the_engine_is_not_answering(app_env):
    at = open_app("app_pages/status.py")
    get_engine().stop()
    at.run()
    assert any("not answering" in e.value for e in at.error)


def test_the_page_shows_streams_rest_latency_weight_and_clock(app_env):
    at = open_app("app_pages/status.py")
    eventually(lambda: get_engine().status()["streams"] and get_engine().status()["rest"])
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert " / " in metrics["Spot request weight (1 min)"]
    assert metrics["USD-M request weight (1 min)"].endswith(" / 2,400")
    assert metrics["Clock offset"].endswith(" ms")
    assert "Circuit breakers" in metrics
    tables = [d.value for d in at.dataframe]
    streams = next(t for t in tables if "stream" in t.columns)
    assert any("btcusdt" in s for s in streams["stream"])
    assert "last_message_age_s" in streams.columns
    rest = next(t for t in tables if "endpoint" in t.columns)
    assert {"p50_ms", "p99_ms"} <= set(rest.columns) and len(rest) > 0
