"""Commands of the monitor: rule and channel settings and tests (admins), acknowledgements
(traders)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from engine.access.roles import Role
from engine.commands import Command
from engine.monitor.rules import Severity

CHANNEL_ID = r"^[a-z0-9-]{1,40}$"


class SaveAlertRule(Command):
    """Switch a rule on or off, set its severity and its parameters (checked against bounds)."""

    rule: str = Field(min_length=1, max_length=40)
    enabled: bool
    severity: Severity
    params: dict[str, float] = Field(default_factory=dict)


class SaveAlertChannel(Command):
    """Add a channel (no id) or change one; `url` None keeps the channel's URL as it is."""

    channel_id: str | None = Field(None, pattern=CHANNEL_ID)
    name: str = Field(min_length=1, max_length=60)
    url: SecretStr | None = None
    min_severity: Severity = Severity.WARNING
    enabled: bool = True


class RemoveAlertChannel(Command):
    channel_id: str = Field(pattern=CHANNEL_ID)


class SendTestAlert(Command):
    """Send a test message through one channel now; its attempts are listed like the others."""

    channel_id: str = Field(pattern=CHANNEL_ID)


class AcknowledgeIncident(Command):
    """Someone has seen the incident and is on it (it stays open until its cause is gone)."""

    required_role = Role.TRADER

    incident_id: int = Field(ge=1)
