"""What the Status and Alerts pages read of the monitor: metric series, incidents, channels,
rule settings and delivery attempts. Every query is bounded by a time window or a LIMIT."""

from __future__ import annotations

import pandas as pd

from app.db import read_df, store
from engine.clock import now_ms
from engine.monitor.channels import Channel
from engine.monitor.records import load_channels, load_rules
from engine.monitor.rules import RULES, RuleSettings

WINDOWS_MS = {"Last hour": 3_600_000, "Last day": 86_400_000}
MAX_POINTS = 600  # per series: a day of 10 s samples is averaged into 2.4 min buckets


def metric_series(names: tuple[str, ...], window_ms: int) -> pd.DataFrame:
    """Samples of `names` over the window, averaged into at most MAX_POINTS buckets a series."""
    since = now_ms() - window_ms
    bucket_ms = max(1, window_ms // MAX_POINTS)
    return read_df(
        "SELECT to_timestamp((time // ? * ?) / 1000.0) AS time, name, subject, "
        "avg(value) AS value FROM metrics "
        "WHERE time >= ? AND name IN (SELECT unnest(?)) "
        "GROUP BY ALL ORDER BY time",
        [bucket_ms, bucket_ms, since, list(names)],
    )


_INCIDENT_COLUMNS = (
    "id, severity, title, subject, message, to_timestamp(opened / 1000.0) AS opened, "
    "to_timestamp(last_seen / 1000.0) AS last_seen, count, acknowledged_by, "
    "to_timestamp(resolved / 1000.0) AS resolved, resolution"
)


def open_incidents() -> pd.DataFrame:
    return read_df(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE resolved IS NULL "
        "ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, id"
    )


def recent_incidents(limit: int = 200) -> pd.DataFrame:
    return read_df(f"SELECT {_INCIDENT_COLUMNS} FROM incidents ORDER BY id DESC LIMIT ?", [limit])


def deliveries(limit: int = 200) -> pd.DataFrame:
    """The latest delivery attempts, with the channel's name (its URL is never read here)."""
    return read_df(
        "SELECT to_timestamp(d.time / 1000.0) AS time, coalesce(c.name, d.channel) AS channel, "
        "d.incident, d.kind, d.attempt, d.ok, d.error, round(d.duration_ms) AS ms "
        "FROM alert_deliveries d LEFT JOIN alert_channels c ON c.id = d.channel "
        "ORDER BY d.time DESC LIMIT ?",
        [limit],
    )


def channels() -> list[Channel]:
    with store().reader() as cur:
        return [channel for channel, _ in load_channels(cur)]


def rule_settings() -> dict[str, RuleSettings]:
    with store().reader() as cur:
        return load_rules(cur)


def rules_table() -> pd.DataFrame:
    settings = rule_settings()
    rows = []
    for rule, spec in RULES.items():
        current = settings[rule]
        params = ", ".join(
            f"{name} {value:g} {spec.params[name].unit}" for name, value in current.params.items()
        )
        rows.append(
            {
                "rule": spec.title,
                "on": current.enabled,
                "severity": str(current.severity),
                "kind": str(spec.kind),
                "settings": params,
                "what": spec.description,
            }
        )
    return pd.DataFrame(rows)
