"""Status: is the engine alive, how busy is it, what is in the database, what happened."""

import streamlit as st

from app import commands, event_queries, queries
from app.auth import keep_session, may
from app.components.health_charts import health_charts
from app.components.incidents import open_incidents
from app.components.notify import toast_news
from app.components.status import (
    book_table,
    connection_metrics,
    engine_metrics,
    human_bytes,
    rest_table,
    stream_table,
    task_table,
)
from app.formats import browser_timezone, local_time, zone_label
from app.runtime import get_engine
from app.text import plain
from engine.access.roles import Role

st.title("Status")


@st.fragment(run_every=get_engine().settings.status_refresh_s)
def live_status() -> None:
    keep_session()
    reply = commands.engine_status()
    if not reply.ok:
        st.error(f"The engine is not answering: {plain(reply.message)}")
        return
    toast_news()
    engine_metrics(reply.data)
    connection_metrics(reply.data)
    st.subheader("Alerts")
    open_incidents(can_acknowledge=may(Role.TRADER))
    unavailable = (reply.data.get("venue") or {}).get("unavailable_markets") or {}
    for market, reason in unavailable.items():
        st.warning(f"The {plain(market)} market is unavailable: {plain(reason)}")

    streams, rest = st.columns(2)
    with streams:
        st.subheader("Streams")
        stream_table(reply.data)
    with rest:
        st.subheader("REST")
        rest_table(reply.data)

    st.subheader("Books")
    book_table(reply.data)

    left, right = st.columns([1, 2])
    with left:
        st.subheader("Database")
        st.caption(f"Size on disk: {human_bytes(queries.database_size_bytes())}")
        st.dataframe(queries.table_row_counts(), hide_index=True, width="stretch")
    with right:
        st.subheader("Engine tasks")
        task_table(reply.data)

    st.subheader("Recent events")
    zone = browser_timezone()
    events = event_queries.recent_events()
    events["time"] = [local_time(t, zone) for t in events["time"]]
    st.dataframe(
        events, hide_index=True, width="stretch",
        column_config={"time": f"Time ({zone_label(zone)})", "level": "Level", "kind": "What",
                       "message": "Message"},
    )  # fmt: skip
    audit_trail()


def audit_trail() -> None:
    st.subheader("Audit trail")
    st.caption(
        "Who did what: every login (and failed one, with the address it came from), order, "
        "cancel, close, configuration, key, environment and user change. In Explore: "
        "`SELECT * FROM events WHERE kind LIKE 'audit.%'`."
    )
    st.dataframe(
        event_queries.audit_trail(),
        hide_index=True,
        width="stretch",
        height=320,
        column_config={"time": st.column_config.DatetimeColumn("Time (UTC)")},
    )


live_status()

st.subheader("Health over time")
health_charts()
