"""The monitor's metric series on Status: the last hour or day, a chart per concern."""

from __future__ import annotations

import streamlit as st

from app import monitor_queries
from app.charts import metric_lines

CHARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("REST latency p99 per endpoint (ms)", ("rest_p99_ms",)),
    ("REST latency p50 per endpoint (ms)", ("rest_p50_ms",)),
    ("Errors in the last minute, by code", ("errors_1m",)),
    ("Request weight used (% of the limit)", ("weight_used_pct",)),
    ("New orders sent in the last minute", ("new_orders_1m",)),
    ("Seconds since each stream's last message", ("stream_age_s",)),
    ("Stream reconnects (running count)", ("stream_reconnects",)),
    ("Engine loop lag and database write lag (ms)", ("loop_lag_ms", "write_lag_ms")),
    ("Command queue depth", ("queue_depth",)),
    ("Circuit breakers (0 closed, 0.5 probing, 1 open)", ("breaker_open",)),
    ("Clock offset to the exchange (ms)", ("clock_offset_ms",)),
    ("Engine task restarts (running count)", ("task_restarts",)),
)


def health_charts() -> None:
    window = (
        st.segmented_control(
            "Window", list(monitor_queries.WINDOWS_MS), default="Last hour", key="health_window"
        )
        or "Last hour"
    )
    names = tuple(name for _, chart_names in CHARTS for name in chart_names)
    samples = monitor_queries.metric_series(names, monitor_queries.WINDOWS_MS[window])
    if samples.empty:
        st.info("No samples yet: the engine stores its health every few seconds.")
        return
    columns = st.columns(2)
    for index, (title, chart_names) in enumerate(CHARTS):
        shown = samples[samples["name"].isin(chart_names)]
        with columns[index % 2]:
            if shown.empty:
                st.caption(f"{title}: nothing in this window.")
            else:
                st.plotly_chart(metric_lines(shown, title), key=f"health_{index}")
