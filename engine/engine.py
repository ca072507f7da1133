"""The engine: one thread running one asyncio loop, supervising long-running tasks.

Other threads talk to it only through `submit(command)`, which returns a handle to wait on.
`start()` and `stop()` are idempotent; `stop()` cancels every task, flushes the writer, closes
the database and joins the thread, leaving nothing behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import duckdb
import orjson

from engine.commands import Command, CommandQueue, GetStatus, Handle, Ping, Reply
from engine.settings import Settings
from engine.store import BatchWriter, Store, insert_event

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Reply]]
TaskFactory = Callable[[], Awaitable[None]]

START_TIMEOUT_S = 30.0
TASKS_STOP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 30.0
LAG_PROBE_S = 0.5


class EngineState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


class Component(Protocol):
    """A part of the engine (market data, orders, ...) with its own tasks and handlers."""

    name: str

    async def start(self, engine: Engine) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class TaskInfo:
    """Supervision record of one long-running task."""

    name: str
    state: str = "running"
    restarts: int = 0
    last_error: str = ""
    started_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Event:
    time_ms: int
    level: str
    kind: str
    message: str
    data: dict[str, Any]


class Engine:
    """Owns the loop, the database, the command queue and the supervised tasks."""

    def __init__(self, settings: Settings, components: list[Component] | None = None) -> None:
        self.settings = settings
        self.components: list[Component] = list(components or [])
        self.commands = CommandQueue(settings.command_queue_size)
        self.state = EngineState.STOPPED
        self.store: Store | None = None
        self.writer: BatchWriter | None = None
        self.recent_events: deque[Event] = deque(maxlen=200)
        self._unwritten_events: list[Event] = []
        self.loop_lag_ms = 0.0
        self.loop_lag_max_ms = 0.0
        self.commands_handled = 0
        self.tasks: dict[str, TaskInfo] = {}
        self.exchange: Any = None  # set by engine.exchange.ExchangeComponent when present
        self.trading: Any = None  # set by engine.orders.TradingComponent when present
        self.account: Any = None  # set by engine.account_sync.AccountSync when present
        self.risk: Any = None  # set by engine.risk_engine.RiskComponent when present
        self._handlers: dict[type[Command], Handler] = {
            Ping: self._on_ping,
            GetStatus: self._on_status,
        }
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._stop_requested: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._task_handles: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()
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
        self.store = Store(self.settings.db_path)
        self.writer = BatchWriter(self.store)
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
        self.supervise("writer", self._flush_periodically)
        self.supervise("loop-lag", self._measure_loop_lag)
        for component in self.components:
            await component.start(self)
        self.record_event("info", "engine_started", f"Engine started in {self.settings.mode} mode.")

    async def _shutdown(self) -> None:
        self.commands.close()
        # Tasks first, then components: a task still running after its component let go of
        # the engine would fail on a component that is no longer there.
        await self._cancel_tasks()
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # keep stopping the rest
                log.exception("Component %s failed to stop.", component.name)
        self.record_event("info", "engine_stopped", "Engine stopped.")
        if self.writer is not None and self.store is not None:
            await self.writer.flush()
            await self._write_events()
            self.store.close()

    async def _cancel_tasks(self) -> None:
        pending = {*self._task_handles.values(), *self._background}
        self._task_handles.clear()
        if not pending:
            return
        for task in pending:
            task.cancel()
        done, stuck = await asyncio.wait(pending, timeout=TASKS_STOP_TIMEOUT_S)
        for task in done:  # retrieved, so asyncio does not report them at exit
            if not task.cancelled():
                task.exception()
        for task in stuck:  # a task that ignores cancellation must not keep the engine up
            log.error("Task %s still running %s s after cancel, at: %s",
                      task.get_name(), TASKS_STOP_TIMEOUT_S, _awaiting(task))  # fmt: skip

    # --- supervision ----------------------------------------------------------------------------

    def supervise(
        self,
        name: str,
        factory: TaskFactory,
        *,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 60.0,
    ) -> None:
        """Run `factory()` as a long-lived task; restart it with back-off when it crashes."""
        info = TaskInfo(name)
        self.tasks[name] = info
        runner = self._supervised(info, factory, backoff_initial_s, backoff_max_s)
        self._task_handles[name] = asyncio.get_running_loop().create_task(runner, name=name)

    async def _supervised(
        self, info: TaskInfo, factory: TaskFactory, initial: float, ceiling: float
    ) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            info.state = "running"
            try:
                await factory()
                info.state = "finished"
                return
            except asyncio.CancelledError:
                info.state = "cancelled"
                raise
            except Exception as exc:  # supervision records and restarts
                failures = 1 if time.monotonic() - started > ceiling else failures + 1
                delay = min(ceiling, initial * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
                info.restarts += 1
                info.state = "backing-off"
                info.last_error = f"{type(exc).__name__}: {exc}"
                self.record_event(
                    "error",
                    "task_crashed",
                    f"Task {info.name} crashed ({info.last_error}); restarting in {delay:.2f} s.",
                    {"task": info.name, "restarts": info.restarts},
                )
                await asyncio.sleep(delay)

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run a short-lived task that `stop()` will cancel if it is still running."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- events -------------------------------------------------------------------------------

    def record_event(
        self, level: str, kind: str, message: str, data: dict[str, Any] | None = None
    ) -> None:
        """Keep an event in memory and queue it for the `events` table (engine thread only).

        Events are written with the writer's next flush, and at shutdown, so none is lost.
        """
        event = Event(_now_ms(), level, kind, message, data or {})
        self.recent_events.append(event)
        log.log(logging.ERROR if level == "error" else logging.INFO, "%s: %s", kind, message)
        self._unwritten_events.append(event)

    async def _write_events(self) -> None:
        if not self._unwritten_events or self.store is None:
            return
        events, self._unwritten_events = self._unwritten_events, []
        rows = [
            (e.time_ms, e.level, e.kind, e.message, orjson.dumps(e.data).decode()) for e in events
        ]

        def work(con: duckdb.DuckDBPyConnection) -> None:
            for row in rows:
                insert_event(con, *row)

        await self.store.write(work)

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
        handler = self._handlers.get(type(command))
        try:
            if handler is None:
                reply = Reply(
                    command_id=command.command_id,
                    ok=False,
                    code="unsupported",
                    message=f"This engine has no handler for {type(command).__name__}.",
                )
            else:
                reply = await handler(command)
        except Exception as exc:  # every command gets an answer
            self.record_event("error", "command_failed", f"{type(command).__name__}: {exc}")
            reply = Reply(
                command_id=command.command_id,
                ok=False,
                code="internal",
                message=f"The engine failed on this command: {exc}",
            )
        self.commands_handled += 1
        handle.resolve(reply)

    def register_handler(self, command_type: type[Command], handler: Handler) -> None:
        self._handlers[command_type] = handler

    async def _flush_periodically(self) -> None:
        assert self.writer is not None
        period = self.settings.flush_interval_ms / 1000
        await asyncio.gather(
            self.writer.run(period, self.settings.flush_max_rows), self._write_events_every(period)
        )

    async def _write_events_every(self, period: float) -> None:
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

    async def _on_status(self, command: GetStatus) -> Reply:
        return Reply(command_id=command.command_id, ok=True, data=self.status())

    def status(self) -> dict[str, Any]:
        """A snapshot of the engine's health, as plain data (components add their own parts)."""
        status = self._core_status()
        for component in self.components:
            report = getattr(component, "status", None)
            if report is not None and self.running:
                status[component.name] = report()
        # The Status page's headline keys, lifted from the parts that own them.
        market_data = status.get("market-data", {})
        exchange = status.get("exchange", {})
        status["streams"] = market_data.get("streams", [])
        for key in ("rest", "weight", "breakers", "errors_by_code", "time_offset_ms"):
            if key in exchange:
                status[key] = exchange[key]
        return status

    def _core_status(self) -> dict[str, Any]:
        writer = self.writer
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
            "tasks": [
                {
                    "name": t.name,
                    "state": t.state,
                    "restarts": t.restarts,
                    "last_error": t.last_error,
                }
                for t in self.tasks.values()
            ],
        }


def _wake_threadsafe(loop: asyncio.AbstractEventLoop, event: asyncio.Event | None) -> None:
    if event is None or loop.is_closed():
        return
    # The loop may close meanwhile; the queue has then failed the waiting handles.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(event.set)


def _awaiting(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended: its chain of awaited coroutines, outermost first."""
    chain, coro = [], task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        name = getattr(coro, "__qualname__", type(coro).__name__)
        chain.append(f"{name}:{frame.f_lineno}" if frame else name)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return " > ".join(chain)


def _json(data: dict[str, Any]) -> str:
    return orjson.dumps(data, default=str).decode()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
