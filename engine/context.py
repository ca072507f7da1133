"""What a component gets from the engine: the database, the event log, tasks and handlers.

Components never reach each other through the engine: each is handed its peers when the engine
is assembled (engine/assembly.py). This is the one interface they share with the engine itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from engine.command_queue import Handle
from engine.commands import Command, Reply
from engine.events import Event, EventKind, Level
from engine.settings import Settings
from engine.store.database import Store
from engine.store.writer import BatchWriter

C = TypeVar("C", bound=Command)
TaskFactory = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class TaskHealth:
    name: str
    state: str
    restarts: int
    last_error: str


@dataclass(frozen=True)
class CoreHealth:
    """The engine's own health: its loop, command queue, database writer and tasks."""

    loop_lag_ms: float
    queue_depth: int
    queue_capacity: int
    commands_handled: int
    writer_pending_rows: int
    write_lag_ms: float
    last_flush_ms: float
    events_pending: int
    tasks: tuple[TaskHealth, ...]


EventListener = Callable[[Event], None]


class EngineContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def writer(self) -> BatchWriter: ...

    def record(
        self,
        level: Level,
        kind: EventKind,
        message: str,
        data: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> None: ...

    def on_event(self, listener: EventListener) -> None:
        """Call `listener` with every event recorded from now on (on the engine loop)."""
        ...

    def core_health(self) -> CoreHealth: ...

    def supervise(self, name: str, factory: TaskFactory) -> None: ...

    def spawn(self, coro: Awaitable[Any], name: str) -> Any: ...

    def register_handler(
        self, command_type: type[C], handler: Callable[[C], Awaitable[Reply]]
    ) -> None: ...

    def submit(self, command: Command) -> Handle:
        """Queue a command as the UI does (a strategy's orders take the person's path)."""
        ...


class Component(Protocol):
    """A part of the engine (market data, orders, ...) with its own tasks and handlers."""

    name: str

    async def start(self, ctx: EngineContext) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> Mapping[str, Any]: ...
