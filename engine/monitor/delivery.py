"""Delivery of notifications, off the engine loop: one worker thread per channel.

A slow or unreachable channel only delays itself: the engine hands a message over with a
non-blocking put and goes on. Each worker tries a message up to `attempts` times with growing
waits, and reports every attempt (sent or failed, and apprise's reason without any secret) to
`report`, which the monitor turns into rows of `alert_deliveries`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import apprise

from engine.clock import now_ms
from engine.monitor.apprise_log import captured
from engine.monitor.channels import Channel, redact
from engine.monitor.messages import Message

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
_STOP = object()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_wait_s: float = 2.0
    max_wait_s: float = 60.0

    def wait_s(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        return min(self.max_wait_s, self.first_wait_s * 2 ** (attempt - 1))


@dataclass(frozen=True)
class Attempt:
    time_ms: int
    channel_id: str
    incident_id: int
    kind: str
    attempt: int
    ok: bool
    error: str
    duration_ms: float


Report = Callable[[Attempt], None]


@dataclass(frozen=True)
class Target:
    """A channel with its URL (held in memory only, by the worker that sends to it)."""

    channel: Channel
    url: str


class ChannelWorker:
    def __init__(self, target: Target, policy: RetryPolicy, report: Report) -> None:
        self.target = target
        self._policy = policy
        self._report = report
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_SIZE)
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"alerts-{target.channel.id}", daemon=True
        )
        self._thread.start()

    def put(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:  # said, not blocked on: the engine loop never waits for a channel
            self._report(
                Attempt(
                    now_ms(),
                    self.target.channel.id,
                    message.incident_id,
                    message.kind,
                    0,
                    False,
                    f"Not sent: {QUEUE_SIZE} messages already wait for this channel.",
                    0.0,
                )
            )

    def stop(self, timeout_s: float) -> None:
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # a full queue is drained past the stop flag
            self._queue.put_nowait(_STOP)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning(
                "Alert channel %s still sending after %s s.", self.target.channel.id, timeout_s
            )

    def _run(self) -> None:
        plugin = apprise.Apprise.instantiate(self.target.url, suppress_exceptions=True)
        while (item := self._queue.get()) is not _STOP:
            if isinstance(item, Message) and not self._stopping.is_set():
                self._deliver(plugin, item)

    def _deliver(self, plugin: apprise.NotifyBase | None, message: Message) -> None:
        for attempt in range(1, self._policy.attempts + 1):
            ok, error, took_ms = self._send(plugin, message)
            self._report(
                Attempt(
                    now_ms(),
                    self.target.channel.id,
                    message.incident_id,
                    message.kind,
                    attempt,
                    ok,
                    error,
                    took_ms,
                )
            )
            if ok or attempt == self._policy.attempts:
                return
            if self._stopping.wait(self._policy.wait_s(attempt)):
                return

    def _send(self, plugin: apprise.NotifyBase | None, message: Message) -> tuple[bool, str, float]:
        if plugin is None:
            return False, "apprise does not understand this channel's URL any more.", 0.0
        started = time.perf_counter()
        captured.start()
        crash = ""
        try:
            ok = bool(
                plugin.notify(
                    body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT
                )
            )
        except Exception as exc:  # a plugin's own bug must not end the worker
            ok, crash = False, f"{type(exc).__name__}: {exc}"
        words = captured.take()
        took_ms = (time.perf_counter() - started) * 1000
        if ok:
            return True, "", took_ms
        reason = crash or (words[-1] if words else "The service refused the message.")
        return False, redact(reason, self.target.url)[:500], took_ms


class Dispatcher:
    """The channels' workers; `send` never blocks."""

    def __init__(self, report: Report, policy: RetryPolicy | None = None) -> None:
        self._report = report
        self._policy = policy or RetryPolicy()
        self._workers: dict[str, ChannelWorker] = {}
        self._lock = threading.Lock()  # `configure` runs off the loop, `send` on it

    def configure(self, targets: Iterable[Target], timeout_s: float = 2.0) -> None:
        """Start workers for `targets`, stopping those whose channel changed or went.

        May wait up to `timeout_s` for a worker in the middle of a send: call it off the loop.
        """
        wanted = {t.channel.id: t for t in targets}
        with self._lock:
            stale = [w for cid, w in self._workers.items() if wanted.get(cid) != w.target]
            for worker in stale:
                del self._workers[worker.target.channel.id]
            for channel_id, target in wanted.items():
                if channel_id not in self._workers:
                    self._workers[channel_id] = ChannelWorker(target, self._policy, self._report)
        for worker in stale:
            worker.stop(timeout_s)

    def send(self, message: Message) -> list[str]:
        """Queue `message` for every channel that wants its severity; return their ids."""
        with self._lock:
            workers = [
                w for w in self._workers.values() if w.target.channel.wants(message.severity)
            ]
        for worker in workers:
            worker.put(message)
        return [w.target.channel.id for w in workers]

    def send_to(self, channel_id: str, message: Message) -> bool:
        """Queue `message` for one channel, whatever its severity threshold or switch."""
        with self._lock:
            worker = self._workers.get(channel_id)
        if worker is None:
            return False
        worker.put(message)
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.stop(timeout_s)
