"""Rendering helpers for engine health."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


def human_bytes(n: int) -> str:
    """Format a byte count the way a person reads it (1.5 MB)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """Format an uptime as 3d 4h, 2h 5m, 4m 10s or 12s."""
    s = int(seconds)
    days, s = divmod(s, 86_400)
    hours, s = divmod(s, 3_600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {s}s" if minutes else f"{s}s"


def engine_metrics(status: dict[str, Any]) -> None:
    """Show the engine's headline health figures as metrics."""
    cols = st.columns(5)
    cols[0].metric("Engine", status["state"].upper(), help=f"mode: {status['mode']}")
    cols[1].metric("Uptime", human_duration(status["uptime_s"]))
    cols[2].metric(
        "Loop lag",
        f"{status['loop_lag_ms']:.1f} ms",
        help=f"recent max {status['loop_lag_max_ms']:.1f} ms; over 100 ms means the engine is busy",
    )
    cols[3].metric("Command queue", f"{status['queue_depth']} / {status['queue_capacity']}")
    cols[4].metric("Rows waiting to be written", status["writer_pending_rows"])


def task_table(status: dict[str, Any]) -> None:
    """Show the supervised tasks with their restarts and last error."""
    frame = pd.DataFrame(status["tasks"], columns=["name", "state", "restarts", "last_error"])
    st.dataframe(frame, hide_index=True, width="stretch")
