"""Supervised tasks: long-lived ones restarted with back-off, short-lived ones tracked.

Every task the engine runs is known here, so `cancel_all` can stop them all at shutdown and
name any task that ignores its cancellation (with where it waits) instead of hanging.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.context import TaskFactory

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0

# (task name, error text, restart count, seconds until the restart)
CrashReport = Callable[[str, str, int, float], None]


@dataclass
class TaskInfo:
    """Supervision record of one long-running task."""

    name: str
    state: str = "running"
    restarts: int = 0
    last_error: str = ""
    started_at: float = field(default_factory=time.time)


class Supervisor:
    def __init__(self, on_crash: CrashReport, stop_timeout_s: float = STOP_TIMEOUT_S) -> None:
        self.tasks: dict[str, TaskInfo] = {}
        self.stop_timeout_s = stop_timeout_s
        self._on_crash = on_crash
        self._handles: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()

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
        self._handles[name] = asyncio.get_running_loop().create_task(runner, name=name)

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
                self._on_crash(info.name, info.last_error, info.restarts, delay)
                await asyncio.sleep(delay)

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run a short-lived task that `cancel_all` will cancel if it is still running."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them, at most `stop_timeout_s`."""
        timeout_s = self.stop_timeout_s
        pending = {*self._handles.values(), *self._background}
        self._handles.clear()
        if not pending:
            return
        for task in pending:
            task.cancel()
        done, stuck = await asyncio.wait(pending, timeout=timeout_s)
        for task in done:  # retrieved, so asyncio does not report them at exit
            if not task.cancelled():
                task.exception()
        for task in stuck:  # a task that ignores cancellation must not keep the engine up
            log.error("Task %s still running %s s after cancel, at: %s",
                      task.get_name(), timeout_s, awaiting(task))  # fmt: skip

    def report(self) -> list[dict[str, Any]]:
        return [
            {"name": t.name, "state": t.state, "restarts": t.restarts, "last_error": t.last_error}
            for t in self.tasks.values()
        ]


def awaiting(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended: its chain of awaited coroutines, outermost first."""
    chain, coro = [], task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        name = getattr(coro, "__qualname__", type(coro).__name__)
        chain.append(f"{name}:{frame.f_lineno}" if frame else name)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return " > ".join(chain)
