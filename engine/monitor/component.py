"""The monitor: reads the desk's health every tick, keeps incidents, tells people.

Every `monitor_tick_s` it evaluates the condition rules against a fresh health reading, feeds
the events and fills that arrived since to the event rules, closes quiet groups, hands the
resulting messages to the dispatcher (which sends them from its own threads) and stores what
changed. Every `monitor_sample_s` the reading also goes into the `metrics` table.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from engine.clock import DAY_MS, now_ms
from engine.commands import Reply
from engine.context import EngineContext
from engine.events import Event, EventKind, Level
from engine.models import Fill
from engine.monitor.channel_book import ChannelBook, SecretTexts
from engine.monitor.commands import AcknowledgeIncident
from engine.monitor.conditions import CONDITIONS
from engine.monitor.delivery import Attempt, Dispatcher, RetryPolicy
from engine.monitor.events_in import FillTotals, Happening, from_event
from engine.monitor.health import Health, HealthSources, read_health
from engine.monitor.incidents import IncidentBook, Notice, NoticeKind
from engine.monitor.messages import heading, message_for
from engine.monitor.records import (
    insert_attempts,
    load_open_incidents,
    load_rules,
    next_incident_id,
    prune_samples,
    upsert_incidents,
    write_samples,
)
from engine.monitor.rule_book import RuleBook
from engine.monitor.rules import RULES, RuleKind, Severity
from engine.monitor.samples import samples_of
from engine.orders.recorder import OrderRecorder

_LEVEL = {
    Severity.INFO: Level.INFO,
    Severity.WARNING: Level.WARNING,
    Severity.CRITICAL: Level.ERROR,
}
PRUNE_EVERY_S = 3600.0


class Monitor:
    name = "monitor"

    def __init__(
        self, sources: HealthSources, recorder: OrderRecorder, secrets: SecretTexts | None = None
    ) -> None:
        self.sources = sources
        self.recorder = recorder
        self.secrets = secrets
        self.book = IncidentBook()
        self.latest: Health | None = None
        self._happenings: list[Happening] = []
        self._attempts: list[Attempt] = []
        self._fills = FillTotals()
        self._ctx: EngineContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.dispatcher: Dispatcher | None = None
        self.rules: RuleBook | None = None
        self.channels: ChannelBook | None = None
        self.ticks = 0

    async def start(self, ctx: EngineContext) -> None:
        self._ctx, self._loop = ctx, asyncio.get_running_loop()
        settings = ctx.settings
        policy = RetryPolicy(settings.alert_attempts, settings.alert_retry_s)
        self.dispatcher = Dispatcher(self._report, policy)
        with ctx.store.reader() as cur:
            rules = load_rules(cur)
            self.book = IncidentBook(next_incident_id(cur), load_open_incidents(cur))
        self.rules = RuleBook(ctx, rules, self._switched_off)
        self.channels = ChannelBook(ctx, self.dispatcher, self.secrets)
        await self.channels.load()
        ctx.on_event(self._on_event)
        self.recorder.subscribe(self._on_fills)
        ctx.register_handler(AcknowledgeIncident, self._on_acknowledge)
        ctx.supervise("monitor", self._run)

    async def stop(self) -> None:
        if self.dispatcher is not None:
            await asyncio.to_thread(self.dispatcher.close)
        with contextlib.suppress(Exception):  # the last attempts, if the database still takes them
            await self._store_changes()
        self._ctx = None

    def status(self) -> dict[str, Any]:
        return {
            "open_incidents": len(self.book.open),
            "channels": len(self.channels.channels) if self.channels else 0,
            "ticks": self.ticks,
        }

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The monitor is not running.")
        return self._ctx

    # --- what arrives between ticks ---

    def _on_event(self, event: Event) -> None:
        happening = from_event(event)
        if happening is not None:
            self._happenings.append(happening)

    async def _on_fills(self, fills: Sequence[Fill]) -> None:
        self._happenings += self._fills.add(fills)

    def _report(self, attempt: Attempt) -> None:
        """From a delivery thread: hand the attempt to the loop (gone at shutdown: dropped)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._attempts.append, attempt)

    # --- the tick ---

    async def _run(self) -> None:
        settings = self._context.settings
        next_sample = next_prune = time.monotonic()
        while True:
            await asyncio.sleep(settings.monitor_tick_s)
            health = self.tick()
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + settings.monitor_sample_s
                await self._context.store.write(partial(write_samples, samples=samples_of(health)))
            if now >= next_prune:
                next_prune = now + PRUNE_EVERY_S
                cutoff = now_ms() - int(settings.monitor_keep_days * DAY_MS)
                await self._context.store.write(partial(prune_samples, before_ms=cutoff))
            await self._store_changes()

    def tick(self) -> Health:
        """Evaluate every rule once; deliver what opened or closed. Returns the reading."""
        assert self.rules is not None
        health = read_health(self._context.core_health(), self.sources)
        self.latest, self.ticks = health, self.ticks + 1
        now = health.time_ms
        notices: list[Notice] = []
        happenings, self._happenings = self._happenings, []
        for happening in happenings:
            settings = self.rules.settings[happening.rule]
            if settings.enabled:
                notices += self.book.happened(settings, happening.subject, happening.finding, now)
        for rule, settings in self.rules.settings.items():
            if not settings.enabled:
                continue
            if RULES[rule].kind is RuleKind.CONDITION:
                notices += self.book.observe(settings, CONDITIONS[rule](health, settings), now)
            else:
                notices += self.book.expire(settings, now)
        for notice in notices:
            self._announce(notice)
        return health

    def _switched_off(self, rule: str) -> None:
        for notice in self.book.switch_off(rule, now_ms()):
            self._announce(notice)

    def _announce(self, notice: Notice) -> None:
        assert self.dispatcher is not None
        incident = notice.incident
        if notice.kind is NoticeKind.NOTICE:
            self._fills.forget(incident.subject)
        else:
            kind = (
                EventKind.ALERT_OPENED
                if notice.kind is NoticeKind.OPENED
                else (EventKind.ALERT_RESOLVED)
            )
            verb = "opened" if notice.kind is NoticeKind.OPENED else "resolved"
            self._context.record(
                _LEVEL[incident.severity] if notice.kind is NoticeKind.OPENED else Level.INFO,
                kind,
                f"{heading(incident)} {verb}. {incident.message}",
                {"incident": incident.id, "rule": incident.rule, "severity": incident.severity},
            )
        self.dispatcher.send(message_for(notice, str(self._context.settings.mode)))

    async def _store_changes(self) -> None:
        incidents = self.book.take_changed()
        attempts, self._attempts = self._attempts, []
        if not incidents and not attempts:
            return

        def work(con: Any) -> None:
            if incidents:
                upsert_incidents(con, incidents)
            if attempts:
                insert_attempts(con, attempts)

        try:
            await self._context.store.write(work)
        except Exception:  # kept for the next tick
            self.book.changed.update({i.id: i for i in incidents if i.id not in self.book.changed})
            self._attempts[:0] = attempts
            raise

    # --- commands ---

    async def _on_acknowledge(self, command: AcknowledgeIncident) -> Reply:
        incident = self.book.acknowledge(command.incident_id, command.actor, now_ms())
        if incident is None:
            return Reply(
                command_id=command.command_id,
                ok=False,
                code="desk.no_incident",
                message=f"Incident #{command.incident_id} is not open (it may have "
                "resolved meanwhile).",
            )
        self._context.record(
            Level.INFO,
            EventKind.ALERT_ACKNOWLEDGED,
            f"{command.actor} acknowledged incident #{incident.id} ({heading(incident)}).",
            {"actor": command.actor, "incident": incident.id},
        )
        await self._store_changes()
        return Reply(
            command_id=command.command_id, ok=True, message=f"Incident #{incident.id} acknowledged."
        )
