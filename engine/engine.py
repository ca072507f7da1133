"""The engine: one thread running one asyncio loop, supervising long-running tasks.

Other threads talk to it only through `submit(command)`, which returns a handle to wait on.
Before a command reaches its handler the engine asks its `RoleSource` (the user store) for the
actor's role: an unknown actor, or one without the command's `required_role`, is refused and
nothing is done. Every command a person sends is then an `audit.*` event (engine/audit.py).
`start()` and `stop()` are idempotent; `stop()` cancels every task, flushes the writer, closes
the database and joins the thread, leaving nothing behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from engine.access.roles import RoleSource, refusal
from engine.audit import RECORDS, audit_record
from engine.command_queue import CommandQueue, Handle
from engine.commands import Command, GetStatus, Ping, Reply
from engine.context import Component, CoreHealth, EventListener, TaskFactory, TaskHealth
from engine.events import EventKind, EventLog, Level
from engine.settings import Settings
from engine.store.database import Store
from engine.store.events import last_event_id, write_events
from engine.store.writer import BatchWriter
from engine.supervisor import Supervisor

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Command)
Handler = Callable[[Any], Awaitable[Reply]]

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
LAG_PROBE_S = 0.5


class EngineState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


class Engine:
    """Owns the loop, the database, the command queue and the supervised tasks."""

    def __init__(
        self,
        settings: Settings,
        components: list[Component] | None = None,
        *,
        roles: RoleSource,
    ) -> None:
        self.settings = settings
        self.components: list[Component] = list(components or [])
        self.roles = roles
        self.commands = CommandQueue(settings.command_queue_size)
        self.state = EngineState.STOPPED
        self._store: Store | None = None
        self._writer: BatchWriter | None = None
        self.events = EventLog()
        self.loop_lag_ms = 0.0
        self.loop_lag_max_ms = 0.0
        self.commands_handled = 0
        self.supervisor = Supervisor(self._report_crash)
        self._handlers: dict[type[Command], Handler] = {
            Ping: self._on_ping,
            GetStatus: self._on_status,
            **dict.fromkeys(RECORDS, self._on_record),  # the audit event is the whole effect
        }
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._stop_requested: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._started_monotonic = 0.0
        self._atexit_registered = False

    # --- lifecycle (any thread) ---------------------------------------------------------------

    def start(self) -> None:
        """Start the engine thread and wait until it serves commands; no-op when running."""
        with self._lifecycle:
            if self.state is EngineState.RUNNING:
                return
            self.state = EngineState.STARTING
            self._ready.clear()
            self._start_error = None
            self._thread = threading.Thread(target=self._run, name="tradedesk-engine", daemon=True)
            self._thread.start()
            if not self._ready.wait(START_TIMEOUT_S):
                raise RuntimeError(f"The engine did not start within {START_TIMEOUT_S:g} s.")
            if self._start_error is not None:
                self._thread.join(STOP_TIMEOUT_S)
                self.state = EngineState.STOPPED
                raise RuntimeError(f"The engine failed to start: {self._start_error}") from (
                    self._start_error
                )
            self.state = EngineState.RUNNING
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True

    def stop(self) -> None:
        """Stop everything and join the thread; no-op when already stopped."""
        with self._lifecycle:
            if self.state is EngineState.STOPPED or self._thread is None:
                return
            self.state = EngineState.STOPPING
            self.commands.close()
            loop, stop_requested = self._loop, self._stop_requested
            if loop is not None and stop_requested is not None and not loop.is_closed():
                # The loop may finish on its own between the check and the call.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop_requested.set)
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                log.error("The engine thread did not finish within %s s.", STOP_TIMEOUT_S)
            self._thread = None
            self.state = EngineState.STOPPED

    def submit(self, command: Command) -> Handle:
        """Queue a command for the engine; raises at once if the queue is full or stopped."""
        return self.commands.submit(command)

    @property
    def running(self) -> bool:
        return self.state is EngineState.RUNNING

    @property
    def store(self) -> Store:
        """The database (open while the engine runs)."""
        if self._store is None:
            raise RuntimeError("The engine has no database open; it is not running.")
        return self._store

    @property
    def writer(self) -> BatchWriter:
        if self._writer is None:
            raise RuntimeError("The engine is not running.")
        return self._writer

    def component(self, name: str) -> Component:
        """The component called `name` (for tests and the headless CLI's status)."""
        return next(c for c in self.components if c.name == name)

    # --- the engine thread ----------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the starting thread
            if not self._ready.is_set():
                self._start_error = exc
            log.exception("The engine loop failed.")
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            self._loop = None

    async def _main(self) -> None:
        self._stop_requested = asyncio.Event()
        self._wake = asyncio.Event()
        self._started_monotonic = time.monotonic()
        self._store = Store(self.settings.db_path)
        self._writer = BatchWriter(self._store)
        self.events.start_ids_after(self._store.write_sync(last_event_id))
        try:
            await self._start_parts()
            self._ready.set()
            await self._stop_requested.wait()
        finally:
            await self._shutdown()

    async def _start_parts(self) -> None:
        loop = asyncio.get_running_loop()
        self.commands.open(on_submit=lambda: _wake_threadsafe(loop, self._wake))
        self.supervise("commands", self._dispatch_commands)
        self.supervise("writer", self._flush_market_data)
        self.supervise("event-writer", self._write_events_periodically)
        self.supervise("loop-lag", self._measure_loop_lag)
        for component in self.components:
            await component.start(self)
        self.record(
            Level.INFO, EventKind.ENGINE_STARTED, f"Engine started in {self.settings.mode} mode."
        )

    async def _shutdown(self) -> None:
        self.commands.close()
        # Tasks first, then components: a task still running after its component let go of
        # the engine would fail on a component that is no longer there.
        await self.supervisor.cancel_all()
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # keep stopping the rest
                log.exception("Component %s failed to stop.", component.name)
        await self.supervisor.cancel_all()  # what a component's stop itself started
        self.record(Level.INFO, EventKind.ENGINE_STOPPED, "Engine stopped.")
        if self._writer is not None and self._store is not None:
            await self._writer.flush()
            await self._write_events()
            self._store.close()

    # --- supervision ----------------------------------------------------------------------------

    def supervise(self, name: str, factory: TaskFactory) -> None:
        """Run `factory()` as a long-lived task; restart it with back-off when it crashes."""
        self.supervisor.supervise(name, factory)

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run a short-lived task that `stop()` will cancel if it is still running."""
        return self.supervisor.spawn(coro, name)

    def _report_crash(self, task: str, error: str, restarts: int, delay_s: float) -> None:
        self.record(
            Level.ERROR,
            EventKind.TASK_CRASHED,
            f"Task {task} crashed ({error}); restarting in {delay_s:.2f} s.",
            {"task": task, "restarts": restarts},
        )

    # --- events -------------------------------------------------------------------------------

    def record(
        self,
        level: Level,
        kind: EventKind,
        message: str,
        data: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """Keep an event in memory and queue it for the `events` table (engine thread only).

        Events are written with the next flush, and at shutdown; a failed write keeps them.
        """
        self.events.record(level, kind, message, data, actor)

    def on_event(self, listener: EventListener) -> None:
        self.events.subscribe(listener)

    async def _write_events(self) -> None:
        events = self.events.take()
        if not events or self._store is None:
            return
        try:
            await self._store.write(lambda con: write_events(con, events))
        except Exception as exc:  # keep them for the next flush; the engine goes on
            self.events.restore(events)
            log.error("Writing %d events failed (kept for the next flush): %s", len(events), exc)

    # --- built-in tasks -------------------------------------------------------------------------

    async def _dispatch_commands(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (handle := self.commands.take_nowait()) is not None:
                self.spawn(self._handle(handle), name=f"cmd-{handle.command.command_id}")

    async def _handle(self, handle: Handle) -> None:
        command = handle.command
        forbidden = self._forbidden(command)
        try:
            reply = forbidden or await self._run_handler(command)
        except Exception as exc:  # every command gets an answer
            self.record(Level.ERROR, EventKind.COMMAND_FAILED, f"{type(command).__name__}: {exc}")
            reply = Reply(command_id=command.command_id, ok=False, code="internal",
                          message=f"The engine failed on this command: {exc}")  # fmt: skip
        self._audit(command, reply, forbidden=forbidden is not None)
        self.commands_handled += 1
        handle.resolve(reply)

    def _forbidden(self, command: Command) -> Reply | None:
        """A refusal when the actor may not send `command` (role from the user store)."""
        needed = type(command).required_role
        role = self.roles.role_of(command.actor) if needed is not None else None
        why = refusal(command.actor, needed, role)
        if why is None:
            return None
        return Reply(command_id=command.command_id, ok=False, code="desk.forbidden", message=why)

    async def _run_handler(self, command: Command) -> Reply:
        handler = self._handlers.get(type(command))
        if handler is None:
            missing = f"This engine has no handler for {type(command).__name__}."
            return Reply(command_id=command.command_id, ok=False, code="unsupported",
                         message=missing)  # fmt: skip
        return await handler(command)

    def _audit(self, command: Command, reply: Reply, *, forbidden: bool) -> None:
        record = audit_record(command, reply, forbidden=forbidden)
        if record is not None:
            self.record(record.level, record.kind, record.message, record.data, record.actor)

    def register_handler(
        self, command_type: type[C], handler: Callable[[C], Awaitable[Reply]]
    ) -> None:
        self._handlers[command_type] = handler

    async def _flush_market_data(self) -> None:
        period = self.settings.flush_interval_ms / 1000
        await self.writer.run(period, self.settings.flush_max_rows)

    async def _write_events_periodically(self) -> None:
        period = self.settings.flush_interval_ms / 1000
        while True:
            await asyncio.sleep(period)
            await self._write_events()

    async def _measure_loop_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + LAG_PROBE_S
            await asyncio.sleep(LAG_PROBE_S)
            lag_ms = max(0.0, (loop.time() - expected) * 1000)
            self.loop_lag_ms = lag_ms
            self.loop_lag_max_ms = max(lag_ms, self.loop_lag_max_ms * 0.99)

    # --- built-in handlers ----------------------------------------------------------------------

    async def _on_ping(self, command: Ping) -> Reply:
        return Reply(command_id=command.command_id, ok=True, message=command.payload)

    async def _on_record(self, command: Command) -> Reply:
        return Reply(command_id=command.command_id, ok=True, message="Recorded.")

    async def _on_status(self, command: GetStatus) -> Reply:
        return Reply(command_id=command.command_id, ok=True, data=self.status())

    def status(self) -> dict[str, Any]:
        """A snapshot of the engine's health, as plain data (components add their own parts)."""
        status = self._core_status()
        if self.running:
            for component in self.components:
                status[component.name] = dict(component.status())
        market_data = status.get("market-data", {})  # the Status page's headline keys:
        venue = status.get("venue", {})
        status["streams"] = market_data.get("streams", [])
        for key in ("rest", "weight", "breakers", "errors_by_code", "time_offset_ms"):
            if key in venue:
                status[key] = venue[key]
        return status

    def core_health(self) -> CoreHealth:
        writer = self._writer
        return CoreHealth(
            loop_lag_ms=self.loop_lag_ms,
            queue_depth=self.commands.depth(),
            queue_capacity=self.commands.maxsize,
            commands_handled=self.commands_handled,
            writer_pending_rows=writer.pending() if writer else 0,
            write_lag_ms=writer.lag_ms() if writer else 0.0,
            last_flush_ms=writer.last_flush_ms if writer else 0.0,
            events_pending=self.events.pending(),
            tasks=tuple(TaskHealth(t.name, t.state, t.restarts, t.last_error)
                        for t in self.supervisor.tasks.values()),
        )  # fmt: skip

    def _core_status(self) -> dict[str, Any]:
        writer = self._writer
        return {
            "state": str(self.state),
            "mode": str(self.settings.mode),
            "uptime_s": time.monotonic() - self._started_monotonic if self.running else 0.0,
            "loop_lag_ms": round(self.loop_lag_ms, 2),
            "loop_lag_max_ms": round(self.loop_lag_max_ms, 2),
            "queue_depth": self.commands.depth(),
            "queue_capacity": self.commands.maxsize,
            "commands_handled": self.commands_handled,
            "writer_pending_rows": writer.pending() if writer else 0,
            "rows_written": writer.rows_written if writer else 0,
            "events_pending": self.events.pending(),
            "event_write_failures": self.events.failed_writes,
            "tasks": self.supervisor.report(),
        }


def _wake_threadsafe(loop: asyncio.AbstractEventLoop, event: asyncio.Event | None) -> None:
    if event is None or loop.is_closed():
        return
    # The loop may close meanwhile; the queue has then failed the waiting handles.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(event.set)
