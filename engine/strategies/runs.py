"""Replay runs started from the desk: each is `python -m engine.replay` in its own process.

The process runs its own simulator and engine (a replay never touches the desk's account); this
component records the run in `strategy_runs`, follows its progress lines, and stores its result
(fills, equity curve, signals, figures) tagged by the run's id when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

import orjson

from engine.clock import now_ms
from engine.commands import CancelReplay, Reply, StartReplay
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.store.strategy_rows import finish_run, set_run_progress, upsert_run, write_result
from engine.strategies.process import REPO_ROOT, worker_env

STOP_WAIT_S = 10.0


class ReplayRuns:
    name = "replays"

    def __init__(self) -> None:
        self.running: dict[str, asyncio.subprocess.Process] = {}
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        ctx.register_handler(StartReplay, self._on_start)
        ctx.register_handler(CancelReplay, self._on_cancel)
        await ctx.store.write(_fail_leftovers)

    async def stop(self) -> None:
        for process in list(self.running.values()):
            await _end(process)
        self._ctx = None

    def status(self) -> dict[str, Any]:
        return {"running": sorted(self.running)}

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("Replays are not running.")
        return self._ctx

    async def _on_start(self, command: StartReplay) -> Reply:
        file = Path(command.file).expanduser()
        if not file.is_file():
            return _reply(command, False, f"No candle file at {file}.", "replay.no_file")
        ctx = self._context
        run_id = f"r{now_ms():x}{command.command_id:x}"[-20:]
        out = ctx.settings.data_dir / "replays" / run_id
        process = await asyncio.create_subprocess_exec(
            *_argv(command, file, run_id, out, ctx.settings.strategies_dir),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=worker_env(), cwd=REPO_ROOT,
        )  # fmt: skip
        self.running[run_id] = process
        row = {
            "run_id": run_id,
            "strategy": command.strategy,
            "market": command.market.value,
            "symbol": command.symbol,
            "interval": command.interval,
            "file": str(file),
            "params": command.params,
            "actor": command.actor,
            "status": "running",
            "candles_done": 0,
            "candles_total": command.bars,
            "started_ms": now_ms(),
        }
        await ctx.store.write(lambda con: upsert_run(con, row))
        ctx.record(Level.INFO, EventKind.REPLAY_STARTED,
                   f"{command.actor} started replay {run_id}: {command.strategy} over {file.name}.",
                   {"run_id": run_id})  # fmt: skip
        ctx.spawn(self._follow(run_id, process), f"replay-{run_id}")
        return _reply(command, True, f"Replay {run_id} started.", run_id=run_id)

    async def _on_cancel(self, command: CancelReplay) -> Reply:
        process = self.running.get(command.run_id)
        if process is None:
            return _reply(command, False, f"Replay {command.run_id} is not running.")
        await _end(process)
        return _reply(command, True, f"Replay {command.run_id} cancelled.")

    async def _follow(self, run_id: str, process: asyncio.subprocess.Process) -> None:
        ctx, last = self._context, None
        assert process.stdout is not None
        async for line in process.stdout:
            with contextlib.suppress(ValueError):
                last = orjson.loads(line)
                if last.get("event") == "progress":
                    done, total = int(last["done"]), last.get("total")
                    await ctx.store.write(
                        lambda con, d=done, t=total: set_run_progress(con, run_id, d, t)
                    )
        code = await process.wait()
        self.running.pop(run_id, None)
        await self._ended(run_id, code, last or {})

    async def _ended(self, run_id: str, code: int, last: dict[str, Any]) -> None:
        ctx = self._context
        if code == 0 and last.get("event") == "finished":
            result = orjson.loads(Path(last["result"]).read_bytes())
            await ctx.store.write(lambda con: write_result(con, result, "desk"))
            ctx.record(Level.INFO, EventKind.REPLAY_FINISHED, f"Replay {run_id} finished: "
                       f"{result['stats'].get('trades')} trades.", {"run_id": run_id})  # fmt: skip
            return
        why = str(last.get("error") or ("cancelled" if code < 0 else f"exit code {code}"))
        status = "cancelled" if code < 0 else "failed"
        await ctx.store.write(lambda con: finish_run(con, run_id, status, now_ms(), why))
        ctx.record(Level.WARNING, EventKind.REPLAY_FAILED, f"Replay {run_id} {status}: {why}",
                   {"run_id": run_id})  # fmt: skip


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


def _argv(command: StartReplay, file: Path, run_id: str, out: Path, folder: Path) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "engine.replay",
        "--strategy",
        command.strategy,
        "--file",
        str(file.resolve()),
        "--symbol",
        command.symbol,
        "--market",
        command.market.value,
        "--params",
        orjson.dumps(command.params).decode(),
        "--quote-balance",
        str(command.quote_balance),
        "--strategies-dir",
        str(folder.resolve()),
        "--run-id",
        run_id,
        "--out",
        str(out.resolve()),
        "--progress",
    ]
    if command.bars is not None:
        argv += ["--bars", str(command.bars)]
    return argv


async def _end(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STOP_WAIT_S):
            await process.wait()
            return
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


def _fail_leftovers(con: Any) -> None:
    """Runs still marked running belong to a desk that stopped: they are not coming back."""
    con.execute(
        "UPDATE strategy_runs SET status = 'failed', message = 'the desk stopped during the run' "
        "WHERE status = 'running'"
    )
