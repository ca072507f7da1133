"""The alert commands the pages send: rule and channel settings, test messages, acknowledgements."""

from __future__ import annotations

from pydantic import SecretStr

from app.commands import current_actor, send
from engine.commands import Reply
from engine.monitor.commands import (
    AcknowledgeIncident,
    RemoveAlertChannel,
    SaveAlertChannel,
    SaveAlertRule,
    SendTestAlert,
)
from engine.monitor.rules import Severity


def save_rule(rule: str, enabled: bool, severity: Severity, params: dict[str, float]) -> Reply:
    return send(
        SaveAlertRule(
            actor=current_actor(), rule=rule, enabled=enabled, severity=severity, params=params
        )
    )


def save_channel(
    channel_id: str | None, name: str, url: str, min_severity: Severity, enabled: bool
) -> Reply:
    """`url` empty keeps an existing channel's URL."""
    secret = SecretStr(url) if url.strip() else None
    return send(
        SaveAlertChannel(
            actor=current_actor(),
            channel_id=channel_id,
            name=name,
            url=secret,
            min_severity=min_severity,
            enabled=enabled,
        )
    )


def remove_channel(channel_id: str) -> Reply:
    return send(RemoveAlertChannel(actor=current_actor(), channel_id=channel_id))


def send_test(channel_id: str) -> Reply:
    return send(SendTestAlert(actor=current_actor(), channel_id=channel_id))


def acknowledge(incident_id: int) -> Reply:
    return send(AcknowledgeIncident(actor=current_actor(), incident_id=incident_id))
