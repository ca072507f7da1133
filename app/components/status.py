"""Rendering helpers for engine health."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.text import plain


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
    st.dataframe(
        frame.fillna({"last_error": "—"}), hide_index=True, width="stretch",
        column_config={"name": "Task", "state": "State", "restarts": "Restarts",
                       "last_error": "Last error"},
    )  # fmt: skip


def connection_metrics(status: dict[str, Any]) -> None:
    """Request weight of both markets against their limits, Retry-After, breakers and clock."""
    weight = status.get("weight") or {}
    retry = float(weight.get("retry_after_s", 0.0))
    breakers = status.get("breakers") or {}
    budgets = {m: weight.get(m) or {} for m in ("spot", "futures")}
    cols = st.columns(5)
    for col, (market, budget) in zip(cols[:2], budgets.items(), strict=True):
        used, limit = int(budget.get("used_1m", 0)), int(budget.get("limit_1m", 0) or 0)
        col.metric(
            f"{'Spot' if market == 'spot' else 'USD-M'} request weight (1 min)",
            f"{used:,} / {limit:,}" if limit else f"{used:,}",
            help="Binance bans an IP that keeps going past the limit (429, then 418). "
            "Spot and USD-M count separately.",
        )
    cols[2].metric(
        "Retry-After",
        f"{retry:.0f} s" if retry > 0 else "none",
        help=f"429/418 answers so far: {weight.get('rate_limit_hits', 0)}",
    )
    open_breakers = [m for m, state in breakers.items() if state != "closed"]
    cols[3].metric(
        "Circuit breakers",
        ", ".join(f"{m}: {breakers[m]}" for m in open_breakers)
        or ("all closed" if breakers else "none yet"),
    )
    cols[4].metric(
        "Clock offset",
        f"{status.get('time_offset_ms', 0)} ms",
        help="Exchange time minus ours; signed requests fail past ±recvWindow.",
    )
    for market, budget in budgets.items():
        used, limit = int(budget.get("used_1m", 0)), int(budget.get("limit_1m", 0) or 0)
        share = used / limit if limit else 0.0
        label = "Spot" if market == "spot" else "USD-M"
        st.progress(min(share, 1.0), text=f"{label}: {share:.0%} of the weight limit this minute")
        if share >= 0.8:
            st.warning(f"{label} request weight above 80% of the limit: the engine slows down.")
    if retry > 0:
        st.error(f"The exchange asked us to wait {retry:.0f} s (Retry-After): requests are held.")


def stream_table(status: dict[str, Any]) -> None:
    """Each stream's state and the age of its last message; stale ones first."""
    rows = status.get("streams") or []
    columns = ["market", "stream", "state", "last_message_age_s", "stale", "messages", "reconnects"]
    frame = pd.DataFrame(rows, columns=columns).sort_values(
        ["stale", "market", "stream"], ascending=[False, True, True]
    )
    stale = int(frame["stale"].fillna(False).astype(bool).sum()) if not frame.empty else 0
    st.caption(f"{len(frame)} streams, {stale} stale" if len(frame) else "No stream is wanted.")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=260,
        column_config={
            "market": "Market",
            "stream": "Stream",
            "state": "State",
            "last_message_age_s": st.column_config.NumberColumn(
                "Last message (s ago)", format="%.1f"
            ),
            "stale": st.column_config.CheckboxColumn("Stale"),
            "messages": "Messages",
            "reconnects": "Reconnects",
        },
    )


def rest_table(status: dict[str, Any]) -> None:
    """REST latency p50/p99 per endpoint and the errors by Binance code."""
    frame = pd.DataFrame(
        status.get("rest") or [], columns=["endpoint", "calls", "errors", "p50_ms", "p99_ms"]
    )
    st.dataframe(
        frame, hide_index=True, width="stretch", height=260,
        column_config={"endpoint": "Endpoint", "calls": "Calls", "errors": "Errors",
                       "p50_ms": "p50 (ms)", "p99_ms": "p99 (ms)"},
    )  # fmt: skip
    errors = status.get("errors_by_code") or {}
    if errors:
        listed = ", ".join(f"{c}: {n}" for c, n in sorted(errors.items()))
        st.caption(f"Errors by code: {plain(listed)}")
    else:
        st.caption("No REST errors since start.")


def book_table(status: dict[str, Any]) -> None:
    """Each local order book: whether it can be trusted, its last update's age, resyncs."""
    rows = (status.get("books") or {}).get("books") or []
    columns = ["market", "symbol", "state", "reason", "last_update_age_s", "resyncs", "gaps",
               "updates", "levels"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    untrusted = int((frame["state"] != "live").sum()) if not frame.empty else 0
    st.caption(f"{len(frame)} books, {untrusted} not live" if len(frame) else "No book is kept.")
    st.dataframe(
        frame.fillna({"reason": ""}), hide_index=True, width="stretch",
        column_config={
            "market": "Market", "symbol": "Symbol", "state": "State", "reason": "Why",
            "last_update_age_s": st.column_config.NumberColumn(
                "Last update (s ago)", format="%.1f"),
            "resyncs": "Resyncs", "gaps": "Gaps", "updates": "Updates", "levels": "Levels",
        },
    )  # fmt: skip
