"""Incidents: one per rule and subject while its trouble lasts; notices when they open and close.

The book is plain state with the time handed in, so every transition is testable without a
clock. It says what changed (`Notice`s to deliver, incidents to store); the monitor does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from engine.monitor.conditions import Finding
from engine.monitor.rules import RULES, RuleKind, RuleSettings, Severity


class NoticeKind(StrEnum):
    OPENED = "opened"
    RESOLVED = "resolved"
    NOTICE = "notice"  # a notice rule's one message, sent when its group closes
    TEST = "test"


@dataclass(frozen=True)
class Incident:
    id: int
    rule: str
    subject: str
    severity: Severity
    title: str
    message: str
    opened_ms: int
    last_seen_ms: int
    count: int = 1
    resolved_ms: int | None = None
    resolution: str | None = None
    acknowledged_by: str | None = None
    acknowledged_ms: int | None = None
    first_tally: int | None = None

    @property
    def open(self) -> bool:
        return self.resolved_ms is None


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    incident: Incident


Key = tuple[str, str]  # (rule, subject)


class IncidentBook:
    def __init__(self, next_id: int = 1, open_incidents: Iterable[Incident] = ()) -> None:
        self._next_id = next_id
        self.open: dict[Key, Incident] = {(i.rule, i.subject): i for i in open_incidents}
        self._first_seen: dict[Key, int] = {}  # a condition seen, not yet held for `for_s`
        self._clear_since: dict[Key, int] = {}  # an open condition not seen since
        self.changed: dict[int, Incident] = {}  # to store

    # --- condition rules ---

    def observe(
        self, settings: RuleSettings, findings: Mapping[str, Finding], now_ms: int
    ) -> list[Notice]:
        """One evaluation of a condition rule: open what held long enough, resolve what cleared."""
        notices: list[Notice] = []
        for subject, finding in findings.items():
            key = (settings.rule, subject)
            self._clear_since.pop(key, None)
            if key in self.open:
                self._repeat(key, finding, now_ms)
                continue
            first = self._first_seen.setdefault(key, now_ms)
            if now_ms - first >= settings.param("for_s") * 1000:
                self._first_seen.pop(key, None)
                notices.append(self._open(settings, subject, finding, now_ms))
        for key in [k for k in self._first_seen if k[0] == settings.rule and k[1] not in findings]:
            del self._first_seen[key]
        for key in [k for k in self.open if k[0] == settings.rule and k[1] not in findings]:
            cleared = self._clear_since.setdefault(key, now_ms)
            if now_ms - cleared >= settings.param("clear_s") * 1000:
                notices.append(self._resolve(key, "Back to normal.", now_ms))
        return notices

    # --- event rules ---

    def happened(
        self, settings: RuleSettings, subject: str, finding: Finding, now_ms: int
    ) -> list[Notice]:
        """An event for an event rule: a new incident, or a repeat grouped into the open one.

        A notice rule's incident opens silently: its message goes out when the group closes.
        """
        key = (settings.rule, subject)
        if key in self.open:
            self._repeat(key, finding, now_ms, count_up=True)
            return []
        opened = self._open(settings, subject, finding, now_ms)
        return [] if RULES[settings.rule].kind is RuleKind.NOTICE else [opened]

    def expire(self, settings: RuleSettings, now_ms: int) -> list[Notice]:
        """Close the event rule's incidents that were quiet for `quiet_s`."""
        quiet_ms = settings.param("quiet_s") * 1000
        is_notice = RULES[settings.rule].kind is RuleKind.NOTICE
        notices = []
        for key, incident in list(self.open.items()):
            if key[0] == settings.rule and now_ms - incident.last_seen_ms >= quiet_ms:
                notice = self._resolve(key, f"Nothing more for {quiet_ms / 1000:g} s.", now_ms)
                notices.append(Notice(NoticeKind.NOTICE, notice.incident) if is_notice else notice)
        return notices

    # --- an admin's or a trader's doing ---

    def switch_off(self, rule: str, now_ms: int) -> list[Notice]:
        """The rule was switched off: its open incidents resolve, saying so."""
        keys = [k for k in self.open if k[0] == rule]
        return [self._resolve(k, "The rule was switched off.", now_ms) for k in keys]

    def acknowledge(self, incident_id: int, actor: str, now_ms: int) -> Incident | None:
        for key, incident in self.open.items():
            if incident.id == incident_id:
                acked = replace(incident, acknowledged_by=actor, acknowledged_ms=now_ms)
                self._keep(key, acked)
                return acked
        return None

    def take_changed(self) -> list[Incident]:
        changed, self.changed = list(self.changed.values()), {}
        return changed

    # --- inside ---

    def _open(self, settings: RuleSettings, subject: str, finding: Finding, now_ms: int) -> Notice:
        severity = settings.severity
        if finding.severity is not None and finding.severity.rank > severity.rank:
            severity = finding.severity
        incident = Incident(
            id=self._next_id,
            rule=settings.rule,
            subject=subject,
            severity=severity,
            title=RULES[settings.rule].title,
            message=finding.message,
            opened_ms=now_ms,
            last_seen_ms=now_ms,
            first_tally=finding.tally,
        )
        self._next_id += 1
        self._keep((settings.rule, subject), incident)
        return Notice(NoticeKind.OPENED, incident)

    def _repeat(self, key: Key, finding: Finding, now_ms: int, count_up: bool = False) -> None:
        incident = self.open[key]
        count = incident.count + 1 if count_up else incident.count
        if finding.tally is not None and incident.first_tally is not None:
            count = max(count, finding.tally - incident.first_tally + 1)
        self._keep(
            key, replace(incident, last_seen_ms=now_ms, count=count, message=finding.message)
        )

    def _resolve(self, key: Key, resolution: str, now_ms: int) -> Notice:
        incident = replace(self.open.pop(key), resolved_ms=now_ms, resolution=resolution)
        self._clear_since.pop(key, None)
        self.changed[incident.id] = incident
        return Notice(NoticeKind.RESOLVED, incident)

    def _keep(self, key: Key, incident: Incident) -> None:
        self.open[key] = incident
        self.changed[incident.id] = incident
