"""What the engine tells people: typed event kinds, and the log that keeps every event.

Events are the audit trail (orders refused, kill switch pulled, streams lost). Every command a
person sends, and every login, is also an `audit.*` event naming who (`actor`). One vocabulary,
`EventKind`, is shared by the engine that records them and the pages that toast or list them.
`EventLog` keeps the recent ones in memory and writes the rest to the `events` table in batches;
a batch that fails to write is kept and written again with the next flush, so a database error
never loses an event and never stops the engine.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.clock import now_ms

log = logging.getLogger(__name__)

MAX_UNWRITTEN = 100_000  # beyond this the oldest unwritten events are dropped (and said so)


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class EventKind(StrEnum):
    ENGINE_STARTED = "engine_started"
    ENGINE_STOPPED = "engine_stopped"
    TASK_CRASHED = "task_crashed"
    COMMAND_FAILED = "command_failed"
    EXCHANGE_CONNECTED = "exchange_connected"
    MARKET_UNAVAILABLE = "market_unavailable"
    NO_KEYS = "no_keys"
    RECONCILED = "reconciled"
    USER_STREAM_DOWN = "user_stream_down"
    PAIRS_SELECTED = "pairs_selected"
    PAIRS_MISSING = "pairs_missing"
    STREAM_STALE = "stream_stale"
    STREAM_RECONNECT = "stream_reconnect"
    BACKFILL_TRUNCATED = "backfill_truncated"
    ORDER_REFUSED = "order_refused"  # by the desk: nothing was sent
    ORDER_REJECTED = "order_rejected"  # by the exchange
    ORDER_UNKNOWN = "order_unknown"  # sent, answer lost: being resolved
    ORDER_CANCELLED = "order_cancelled"
    JOURNAL_REPLAYED = "journal_replayed"
    LEVERAGE_RESTORED = "leverage_restored"
    FUNDING_RECORDED = "funding_recorded"
    KILL_SWITCH_TRIPPED = "kill_switch.tripped"
    KILL_SWITCH_RESET = "kill_switch.reset"
    KILL_SWITCH_ACTION = "kill_switch.action"
    KILL_SWITCH_LEFTOVER = "kill_switch.leftover"  # still open at the exchange after the action
    ALERT_OPENED = "alert.opened"
    ALERT_RESOLVED = "alert.resolved"
    ALERT_SETTINGS = "alert.settings"  # a rule or a channel changed
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    # The audit trail: who did what (the event's actor), done or refused.
    AUDIT_LOGIN = "audit.login"  # logins, failed ones, lockouts, logouts, expired sessions
    AUDIT_USERS = "audit.users"
    AUDIT_ORDER = "audit.order"
    AUDIT_CANCEL = "audit.cancel"
    AUDIT_CLOSE = "audit.close"
    AUDIT_CONFIG = "audit.config"  # risk and trading configuration, pairs, leverage, favourites
    AUDIT_KILL_SWITCH = "audit.kill_switch"
    AUDIT_KEYS = "audit.keys"  # stored, deleted, tested (never the key)
    AUDIT_ENVIRONMENT = "audit.environment"
    AUDIT_STRATEGIES = "audit.strategies"  # switched on or off, replays started or cancelled
    AUDIT_ALERTS = "audit.alerts"  # alert rules and channels, test alerts, acknowledgements
    AUDIT_FORBIDDEN = "audit.forbidden"  # a command its actor may not send
    STRATEGY_ENABLED = "strategy.enabled"
    STRATEGY_DISABLED = "strategy.disabled"
    STRATEGY_CRASHED = "strategy.crashed"  # raised: stopped
    STRATEGY_STALLED = "strategy.stalled"  # over its time budget: process killed, stopped
    STRATEGY_UNAVAILABLE = "strategy.unavailable"  # its file is missing or does not load
    REPLAY_STARTED = "replay.started"
    REPLAY_FINISHED = "replay.finished"
    REPLAY_FAILED = "replay.failed"


AUDIT_PREFIX = "audit."


# What a trader is told about at once, in every open session.
TOAST_KINDS: frozenset[EventKind] = frozenset(
    {
        EventKind.ORDER_REFUSED,
        EventKind.ORDER_REJECTED,
        EventKind.KILL_SWITCH_TRIPPED,
        EventKind.KILL_SWITCH_RESET,
        EventKind.KILL_SWITCH_LEFTOVER,
        EventKind.ALERT_OPENED,
        EventKind.ALERT_RESOLVED,
        EventKind.STRATEGY_CRASHED,
        EventKind.STRATEGY_STALLED,
    }
)


@dataclass(frozen=True)
class Event:
    id: int
    time_ms: int
    level: Level
    kind: EventKind
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)
    actor: str | None = None  # who, for the audit trail


EventWriter = Callable[[list[Event]], None]  # runs on the database thread; raises on failure


class EventLog:
    """Recent events in memory, and the queue of those not yet in the database."""

    def __init__(self, first_id: int = 1, recent: int = 200) -> None:
        self.recent: deque[Event] = deque(maxlen=recent)
        self._unwritten: list[Event] = []
        self._ids = itertools.count(first_id)
        self.failed_writes = 0
        self.dropped = 0
        self._listeners: list[Callable[[Event], None]] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Call `listener` with each event as it is recorded; a failing listener is logged."""
        self._listeners.append(listener)

    def start_ids_after(self, last_id: int) -> None:
        """Continue numbering after the newest stored event (ids are ours, not a sequence)."""
        self._ids = itertools.count(last_id + 1)

    def record(
        self,
        level: Level,
        kind: EventKind,
        message: str,
        data: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> Event:
        event = Event(next(self._ids), now_ms(), level, kind, message, dict(data or {}), actor)
        self.recent.append(event)
        log.log(logging.ERROR if level is Level.ERROR else logging.INFO, "%s: %s", kind, message)
        self._unwritten.append(event)
        if len(self._unwritten) > MAX_UNWRITTEN:
            overflow = len(self._unwritten) - MAX_UNWRITTEN
            del self._unwritten[:overflow]
            self.dropped += overflow
            log.error("%d events could not be written and were dropped.", overflow)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener must not stop the recording of events
                log.exception("An event listener failed on %s.", kind)
        return event

    def take(self) -> list[Event]:
        """Hand over the unwritten events (give them back with `restore` if the write fails)."""
        events, self._unwritten = self._unwritten, []
        return events

    def restore(self, events: list[Event]) -> None:
        """A write failed: keep the events, oldest first, for the next flush."""
        self.failed_writes += 1
        self._unwritten[:0] = events

    def pending(self) -> int:
        return len(self._unwritten)
