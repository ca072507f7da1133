"""What a component gets from the engine: the database, the event log, tasks and handlers.

Components never reach each other through the engine: each is handed its peers when the engine
is assembled (engine/assembly.py). This is the one interface they share with the engine itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from engine.commands import Command, Handle, Reply
from engine.events import EventKind, Level
from engine.settings import Settings
from engine.store.database import Store
from engine.store.writer import BatchWriter

C = TypeVar("C", bound=Command)
TaskFactory = Callable[[], Awaitable[None]]


class EngineContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def writer(self) -> BatchWriter: ...

    def record(
        self, level: Level, kind: EventKind, message: str, data: Mapping[str, Any] | None = None
    ) -> None: ...

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
