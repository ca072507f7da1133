"""The audit trail of commands: one `audit.*` event for every command a person sends.

The engine records it after the command has been answered (done or refused, and why), with the
actor as the event's `actor`: every order, cancel, close, configuration change, key change,
environment change, user change and login lands in the one `events` table, through the engine's
one writer. A command whose actor may not send it is an `audit.forbidden` event. What a
command carries is summarised field by field; secrets (`SecretStr` fields) are never written,
not even masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from engine.commands import (
    CancelAllOrders,
    CancelOrder,
    CancelReplay,
    ClosePosition,
    Command,
    DeleteApiKey,
    PlaceOrder,
    RecordLogin,
    RecordTokenChange,
    RecordUserChange,
    Reply,
    ResetKillSwitch,
    SaveFavourites,
    SaveRiskConfig,
    SaveTradingConfig,
    SelectPairs,
    SetLeverage,
    SetMarginType,
    SetStrategy,
    StartReplay,
    StoreApiKey,
    SwitchEnvironment,
    TestConnection,
    TestKeys,
    TripKillSwitch,
)
from engine.events import EventKind, Level
from engine.monitor.commands import (
    AcknowledgeIncident,
    RemoveAlertChannel,
    SaveAlertChannel,
    SaveAlertRule,
    SendTestAlert,
)
from engine.orders.commands import PlaceOco, SetPositionMode

AUDIT_KINDS: dict[type[Command], EventKind] = {
    RecordLogin: EventKind.AUDIT_LOGIN,
    RecordUserChange: EventKind.AUDIT_USERS,
    RecordTokenChange: EventKind.AUDIT_USERS,
    PlaceOrder: EventKind.AUDIT_ORDER,
    PlaceOco: EventKind.AUDIT_ORDER,
    CancelOrder: EventKind.AUDIT_CANCEL,
    CancelAllOrders: EventKind.AUDIT_CANCEL,
    ClosePosition: EventKind.AUDIT_CLOSE,
    SaveRiskConfig: EventKind.AUDIT_CONFIG,
    SaveTradingConfig: EventKind.AUDIT_CONFIG,
    SelectPairs: EventKind.AUDIT_CONFIG,
    SetLeverage: EventKind.AUDIT_CONFIG,
    SetMarginType: EventKind.AUDIT_CONFIG,
    SetPositionMode: EventKind.AUDIT_CONFIG,
    SaveFavourites: EventKind.AUDIT_CONFIG,
    TripKillSwitch: EventKind.AUDIT_KILL_SWITCH,
    ResetKillSwitch: EventKind.AUDIT_KILL_SWITCH,
    StoreApiKey: EventKind.AUDIT_KEYS,
    DeleteApiKey: EventKind.AUDIT_KEYS,
    TestKeys: EventKind.AUDIT_KEYS,
    TestConnection: EventKind.AUDIT_KEYS,
    SwitchEnvironment: EventKind.AUDIT_ENVIRONMENT,
    SetStrategy: EventKind.AUDIT_STRATEGIES,
    StartReplay: EventKind.AUDIT_STRATEGIES,
    CancelReplay: EventKind.AUDIT_STRATEGIES,
    SaveAlertRule: EventKind.AUDIT_ALERTS,
    SaveAlertChannel: EventKind.AUDIT_ALERTS,
    RemoveAlertChannel: EventKind.AUDIT_ALERTS,
    SendTestAlert: EventKind.AUDIT_ALERTS,
    AcknowledgeIncident: EventKind.AUDIT_ALERTS,
}
# Commands whose audit event is their whole effect (the app did the work and reports it).
RECORDS: tuple[type[Command], ...] = (RecordLogin, RecordUserChange, RecordTokenChange)
MAX_FIELD_TEXT = 200


@dataclass(frozen=True)
class AuditRecord:
    level: Level
    kind: EventKind
    message: str
    data: dict[str, Any]
    actor: str


def audit_record(command: Command, reply: Reply, *, forbidden: bool) -> AuditRecord | None:
    """The audit event for `command` answered with `reply` (None for reads such as status)."""
    kind = EventKind.AUDIT_FORBIDDEN if forbidden else AUDIT_KINDS.get(type(command))
    if kind is None:
        return None
    fields = command_fields(command)
    data = {"command": type(command).__name__, "ok": reply.ok, "code": reply.code, **fields}
    level = Level.INFO if reply.ok else Level.WARNING
    return AuditRecord(level, kind, _message(command, reply, fields), data, command.actor)


def command_fields(command: Command) -> dict[str, Any]:
    """What the command carries, as short text, without its secrets."""
    fields: dict[str, Any] = {}
    for name in type(command).model_fields:
        value = getattr(command, name)
        if name in ("actor", "command_id") or value is None or isinstance(value, SecretStr):
            continue
        text = value if isinstance(value, bool | int) else str(value)
        fields[name] = text[:MAX_FIELD_TEXT] if isinstance(text, str) else text
    return fields


def _message(command: Command, reply: Reply, fields: dict[str, Any]) -> str:
    if isinstance(command, RecordLogin):
        where = f" from {command.address or 'an address Streamlit did not give'}"
        if command.forwarded_for:
            where += f" (forwarded for {command.forwarded_for})"
        how = f" ({command.method})" if command.method else ""
        return f"Login {command.outcome}: {command.actor}{how}{where}."
    if isinstance(command, RecordUserChange):
        role = f" ({command.role})" if command.role else ""
        return f"{command.actor} changed user {command.username}: {command.change}{role}."
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    outcome = "done" if reply.ok else "refused"
    detail = f": {reply.message}" if reply.message else ""
    return f"{command.actor}: {type(command).__name__}({shown}) {outcome}{detail}"[:1000]
