"""The queue between the UI's threads and the engine, and the caller's handle on one command.

The queue is bounded and never blocks the caller: a full queue or a stopped engine raises at
once, and a reply is awaited with a timeout.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from engine.commands import Command, Reply


class CommandError(RuntimeError):
    """The command could not be delivered or answered."""


class QueueFull(CommandError):
    pass


class EngineStopped(CommandError):
    pass


class ReplyTimeout(CommandError):
    pass


class Handle:
    """The caller's side of one submitted command."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self._future: Future[Reply] = Future()

    def result(self, timeout: float) -> Reply:
        """Wait up to `timeout` seconds for the reply."""
        try:
            return self._future.result(timeout=timeout)
        except FutureTimeout:
            raise ReplyTimeout(
                f"The engine did not answer {type(self.command).__name__} within {timeout:g} s. "
                "It may still act on it: check the Status page before sending it again."
            ) from None

    def done(self) -> bool:
        return self._future.done()

    def when_done(self, callback: Callable[[Reply | None], None]) -> None:
        """Call `callback(reply)` once answered (None when the engine failed the command)."""
        self._future.add_done_callback(
            lambda f: callback(None if f.exception() is not None else f.result())
        )

    def resolve(self, reply: Reply) -> None:
        if not self._future.done():
            self._future.set_result(reply)

    def fail(self, error: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(error)


State = Literal["open", "closed"]


class CommandQueue:
    """Bounded, thread-safe queue of handles; `submit` never blocks."""

    def __init__(self, maxsize: int, on_submit: Callable[[], None] | None = None) -> None:
        self.maxsize = maxsize
        self._queue: queue.Queue[Handle] = queue.Queue(maxsize=maxsize)
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._on_submit = on_submit
        self.submitted = 0
        self.last_submit_monotonic = time.monotonic()

    def open(self, on_submit: Callable[[], None] | None = None) -> None:
        with self._lock:
            self._state = "open"
            if on_submit is not None:
                self._on_submit = on_submit

    def submit(self, command: Command) -> Handle:
        """Queue `command`; raise `EngineStopped` or `QueueFull` at once instead of waiting."""
        handle = Handle(command)
        with self._lock:
            if self._state != "open":
                raise EngineStopped("The engine is not running; start it and try again.")
            try:
                self._queue.put_nowait(handle)
            except queue.Full:
                raise QueueFull(
                    f"The engine has {self.maxsize} commands waiting; try again in a moment."
                ) from None
            self.submitted += 1
            self.last_submit_monotonic = time.monotonic()
            wake = self._on_submit
        if wake is not None:
            wake()
        return handle

    def take_nowait(self) -> Handle | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Refuse new commands and fail the ones still waiting."""
        with self._lock:
            self._state = "closed"
        while (handle := self.take_nowait()) is not None:
            handle.fail(EngineStopped("The engine stopped before it could run this command."))
