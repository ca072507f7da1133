"""What a notification says: a title and a plain-text body for each notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.monitor.incidents import Incident, Notice, NoticeKind
from engine.monitor.rules import Severity


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    severity: Severity
    incident_id: int  # 0 for a test message
    kind: NoticeKind


def utc(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def heading(incident: Incident) -> str:
    return f"{incident.title}: {incident.subject}" if incident.subject else incident.title


def message_for(notice: Notice, environment: str) -> Message:
    incident = notice.incident
    tag = f"[tradedesk {environment}]"
    seen = f"Seen {incident.count} time{'s' if incident.count != 1 else ''}."
    if notice.kind is NoticeKind.NOTICE:
        title = f"{tag} {heading(incident)}"
        body = f"{incident.message}\nAt {utc(incident.last_seen_ms)}."
    elif notice.kind is NoticeKind.RESOLVED:
        assert incident.resolved_ms is not None
        lasted = duration(incident.resolved_ms - incident.opened_ms)
        title = f"{tag} RESOLVED: {heading(incident)}"
        body = (
            f"Resolved at {utc(incident.resolved_ms)} after {lasted}: {incident.resolution}\n"
            f"Last seen: {incident.message}\n{seen} Incident #{incident.id}."
        )
    else:
        title = f"{tag} {incident.severity.upper()}: {heading(incident)}"
        body = (
            f"{incident.message}\nSince {utc(incident.opened_ms)}. Incident #{incident.id}; "
            "acknowledge it on the Status page."
        )
    return Message(title, body, incident.severity, incident.id, notice.kind)


def test_message(environment: str, channel_name: str, time_ms: int) -> Message:
    return Message(
        f"[tradedesk {environment}] Test: {channel_name}",
        f"A test message from the desk, sent at {utc(time_ms)}. If you read this, the channel "
        "works.",
        Severity.CRITICAL,  # a test goes through whatever the channel's threshold
        0,
        NoticeKind.TEST,
    )
