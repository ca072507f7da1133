"""The host's side of a strategy's worker process: start it, ask it with a time budget, kill it.

Strategy code runs in its own process, so nothing it does (a loop that never ends, a C call
that holds the GIL, a crash of the interpreter) can block the engine's loop: a call that takes
longer than its budget is abandoned and the process killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson

import engine
from engine.sim_process import child_env
from engine.strategies.worker import dumps

REPO_ROOT = Path(engine.__file__).resolve().parents[1]
KILL_WAIT_S = 5.0
MAX_REPLY_BYTES = 16 * 1024 * 1024


class WorkerError(RuntimeError):
    """The worker failed: the strategy raised (`traceback` set), or the process died."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


class WorkerStalled(WorkerError):
    """No answer within the call's time budget."""


def worker_env() -> dict[str, str]:
    env = child_env()  # no exchange keys, no master key
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


class WorkerProcess:
    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self.calls = 0
        self.total_ms = 0.0
        self.max_ms = 0.0
        self.last_ms = 0.0

    async def start(self, *args: str) -> None:
        stderr: Any = asyncio.subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stderr = self.log_path.open("ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "engine.strategies.worker", *args,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                env=worker_env(), cwd=REPO_ROOT, limit=MAX_REPLY_BYTES,
            )  # fmt: skip
        finally:
            if stderr is not asyncio.subprocess.DEVNULL:
                stderr.close()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def call(self, request: dict[str, Any], budget_s: float) -> dict[str, Any]:
        """Send one request and wait at most `budget_s` for the answer."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise WorkerError("the worker is not running")
        started = time.perf_counter()
        try:
            async with asyncio.timeout(budget_s):
                process.stdin.write(dumps(request))
                await process.stdin.drain()
                line = await process.stdout.readline()
        except TimeoutError:
            raise WorkerStalled(f"no answer within {budget_s * 1000:.0f} ms") from None
        except (ConnectionError, BrokenPipeError) as exc:
            raise WorkerError(f"the worker's pipe broke: {exc}") from None
        self._measure((time.perf_counter() - started) * 1000)
        if not line:
            code = await self._exit_code()
            raise WorkerError(f"the worker process exited (code {code})")
        reply: dict[str, Any] = orjson.loads(line)
        if not reply.get("ok"):
            raise WorkerError(str(reply.get("error")), str(reply.get("traceback", "")))
        return reply

    def _measure(self, ms: float) -> None:
        self.calls += 1
        self.total_ms += ms
        self.last_ms = ms
        self.max_ms = max(self.max_ms, ms)

    async def _exit_code(self) -> int | None:
        assert self._process is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(KILL_WAIT_S):
                return await self._process.wait()
        return None

    async def stop(self) -> None:
        """Kill the process (a strategy keeps no state worth a graceful end) and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(KILL_WAIT_S):
                await process.wait()


async def describe_file(path: Path, timeout_s: float = 30.0) -> dict[str, Any]:
    """Describe the strategy in `path` from a worker process (its import cannot block us)."""
    worker = WorkerProcess()
    await worker.start("--describe", str(path))
    try:
        assert worker._process is not None and worker._process.stdout is not None
        async with asyncio.timeout(timeout_s):
            line = await worker._process.stdout.readline()
    except TimeoutError:
        return {"ok": False, "error": f"describing it took longer than {timeout_s:g} s"}
    finally:
        await worker.stop()
    if not line:
        return {"ok": False, "error": "the worker process exited without a description"}
    return dict(orjson.loads(line))
