"""Open incidents with their acknowledge buttons, and the ones that resolved lately."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import alert_commands, monitor_queries
from app.components.feedback import show_reply
from app.text import plain

_ICON = {"critical": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


def open_incidents(can_acknowledge: bool) -> None:
    incidents = monitor_queries.open_incidents()
    if incidents.empty:
        st.success("No open incidents.", icon=":material/check_circle:")
        return
    for row in incidents.to_dict("records"):
        _incident(row, can_acknowledge)


def _incident(row: dict[str, object], can_acknowledge: bool) -> None:
    severity, subject = str(row["severity"]), str(row["subject"] or "")
    heading = f"{row['title']}: {subject}" if subject else str(row["title"])
    acked = row["acknowledged_by"] if isinstance(row["acknowledged_by"], str) else ""
    with st.container(border=True):
        text, action = st.columns([5, 1])
        with text:
            st.markdown(f"{_ICON.get(severity, '')} **{severity.upper()}** {plain(heading)}")
            st.caption(plain(row["message"]))
            who = f"; acknowledged by {acked}" if acked else ""
            st.caption(
                plain(
                    f"#{row['id']} · seen {row['count']} time(s) since {_when(row['opened'])}{who}"
                )
            )
        if can_acknowledge and not acked:
            incident_id = int(str(row["id"]))
            if action.button("Acknowledge", key=f"ack_{incident_id}"):
                show_reply(alert_commands.acknowledge(incident_id), success_toast=True)
                st.rerun()


def _when(value: object) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC") if not pd.isna(stamp) else "?"


def incident_history() -> None:
    history = monitor_queries.recent_incidents()
    if history.empty:
        st.caption("No incidents yet.")
        return
    st.dataframe(history, hide_index=True, width="stretch")
