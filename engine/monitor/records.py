"""The monitor's rows: metric samples, rule settings, channels, incidents, delivery attempts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import orjson
import pyarrow as pa

from engine.monitor.channels import Channel
from engine.monitor.delivery import Attempt
from engine.monitor.incidents import Incident
from engine.monitor.rules import RULES, RuleSettings, Severity

_SAMPLE_SCHEMA = pa.schema(
    [("time", pa.int64()), ("name", pa.string()), ("subject", pa.string()), ("value", pa.float64())]
)


@dataclass(frozen=True)
class Sample:
    time_ms: int
    name: str
    subject: str
    value: float


def write_samples(con: duckdb.DuckDBPyConnection, samples: Sequence[Sample]) -> None:
    columns = list(zip(*((s.time_ms, s.name, s.subject, s.value) for s in samples), strict=True))
    data = pa.Table.from_arrays([pa.array(c) for c in columns], schema=_SAMPLE_SCHEMA)
    con.register("_samples", data)
    try:
        con.execute("INSERT INTO metrics SELECT * FROM _samples")
    finally:
        con.unregister("_samples")


def prune_samples(con: duckdb.DuckDBPyConnection, before_ms: int) -> None:
    con.execute("DELETE FROM metrics WHERE time < ?", [before_ms])


# --- rules ---


def save_rule(con: duckdb.DuckDBPyConnection, settings: RuleSettings, actor: str, at: int) -> None:
    con.execute(
        "INSERT OR REPLACE INTO alert_rules VALUES (?, ?, ?, ?, ?, ?)",
        [
            settings.rule,
            settings.enabled,
            settings.severity.value,
            orjson.dumps(settings.params).decode(),
            actor,
            at,
        ],
    )


def load_rules(cur: duckdb.DuckDBPyConnection) -> dict[str, RuleSettings]:
    """Every rule's settings: the stored ones, the defaults for the rest."""
    stored = cur.execute("SELECT rule, enabled, severity, params FROM alert_rules").fetchall()
    settings = {rule: RuleSettings.default(spec) for rule, spec in RULES.items()}
    for rule, enabled, severity, params in stored:
        if rule in RULES:  # a rule this version no longer has is ignored
            merged = RULES[rule].defaults() | {
                k: float(v) for k, v in orjson.loads(params).items() if k in RULES[rule].params
            }
            settings[rule] = RuleSettings(
                rule=rule, enabled=enabled, severity=Severity(severity), params=merged
            )
    return settings


# --- channels ---

_CHANNEL_COLUMNS = "id, name, service, masked_url, min_severity, enabled, sealed"


def save_channel(
    con: duckdb.DuckDBPyConnection, channel: Channel, plain_url: str | None, actor: str, at: int
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO alert_channels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            channel.id,
            channel.name,
            channel.service,
            channel.masked_url,
            channel.min_severity.value,
            channel.enabled,
            channel.sealed,
            plain_url,
            actor,
            at,
        ],
    )


def delete_channel(con: duckdb.DuckDBPyConnection, channel_id: str) -> None:
    con.execute("DELETE FROM alert_channels WHERE id = ?", [channel_id])


def load_channels(cur: duckdb.DuckDBPyConnection) -> list[tuple[Channel, str | None]]:
    rows = cur.execute(
        f"SELECT {_CHANNEL_COLUMNS}, plain_url FROM alert_channels ORDER BY name"
    ).fetchall()
    return [
        (
            Channel(
                id=r[0],
                name=r[1],
                service=r[2],
                masked_url=r[3],
                min_severity=Severity(r[4]),
                enabled=r[5],
                sealed=r[6],
            ),
            r[7],
        )
        for r in rows
    ]


# --- incidents and deliveries ---

_INCIDENT_COLUMNS = (
    "id, rule, subject, severity, title, message, opened, last_seen, count, "
    "resolved, resolution, acknowledged_by, acknowledged, first_tally"
)


def upsert_incidents(con: duckdb.DuckDBPyConnection, incidents: Sequence[Incident]) -> None:
    rows = [
        (
            i.id,
            i.rule,
            i.subject,
            i.severity.value,
            i.title,
            i.message,
            i.opened_ms,
            i.last_seen_ms,
            i.count,
            i.resolved_ms,
            i.resolution,
            i.acknowledged_by,
            i.acknowledged_ms,
            i.first_tally,
        )
        for i in incidents
    ]
    con.executemany(
        f"INSERT OR REPLACE INTO incidents ({_INCIDENT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def load_open_incidents(cur: duckdb.DuckDBPyConnection) -> list[Incident]:
    rows = cur.execute(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE resolved IS NULL ORDER BY id"
    ).fetchall()
    return [
        Incident(
            id=r[0],
            rule=r[1],
            subject=r[2],
            severity=Severity(r[3]),
            title=r[4],
            message=r[5],
            opened_ms=r[6],
            last_seen_ms=r[7],
            count=r[8],
            resolved_ms=r[9],
            resolution=r[10],
            acknowledged_by=r[11],
            acknowledged_ms=r[12],
            first_tally=r[13],
        )
        for r in rows
    ]


def next_incident_id(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM incidents").fetchone()
    return int(row[0]) if row else 1


def insert_attempts(con: duckdb.DuckDBPyConnection, attempts: Sequence[Attempt]) -> None:
    con.executemany(
        "INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                a.time_ms,
                a.channel_id,
                a.incident_id,
                str(a.kind),
                a.attempt,
                a.ok,
                a.error,
                a.duration_ms,
            )
            for a in attempts
        ],
    )
