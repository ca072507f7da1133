import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from engine.command_queue import EngineStopped, QueueFull
from engine.commands import GetStatus, Ping
from engine.engine import Engine
from engine.events import EventKind, Level
from tests.helpers import ADMINS, eventually


def test_concurrent_submitters_each_get_their_own_reply(engine: Engine):
    def ask(i: int) -> tuple[int, str]:
        reply = engine.submit(Ping(actor=f"user{i % 7}", payload=f"p{i}")).result(timeout=10)
        return i, reply.message

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(400)))
    assert answers == [(i, f"p{i}") for i in range(400)]


def test_a_stopped_engine_refuses_at_once(settings):
    eng = Engine(settings, roles=ADMINS)
    with pytest.raises(EngineStopped):
        eng.submit(Ping(actor="t"))
    eng.start()
    eng.stop()
    with pytest.raises(EngineStopped):
        eng.submit(Ping(actor="t"))


def test_a_full_queue_answers_at_once(settings):
    eng = Engine(settings.model_copy(update={"command_queue_size": 3}), roles=ADMINS)
    eng.start()
    try:
        gate = threading.Event()

        async def blocked(command):
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 10)
            return await eng._on_ping(command)

        eng.register_handler(Ping, blocked)
        # The dispatcher drains the queue into tasks, so flood it faster than it wakes.
        with pytest.raises(QueueFull):
            for _ in range(10_000):
                eng.submit(Ping(actor="t"))
        gate.set()
    finally:
        eng.stop()


def test_start_and_stop_are_idempotent_and_leave_no_thread(settings):
    before = set(threading.enumerate())
    eng = Engine(settings, roles=ADMINS)
    eng.start()
    eng.start()
    assert eng.submit(Ping(actor="t", payload="x")).result(5).message == "x"
    eng.stop()
    eng.stop()
    assert {t for t in set(threading.enumerate()) - before if t.is_alive()} == set()
    eng.start()  # and it starts again after a stop
    assert eng.submit(Ping(actor="t", payload="y")).result(5).message == "y"
    eng.stop()


def test_a_crashing_task_is_restarted_and_recorded(engine: Engine):
    attempts = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            raise RuntimeError(f"boom {len(attempts)}")
        await asyncio.Event().wait()

    asyncio.run_coroutine_threadsafe(_supervise(engine, "flaky", flaky), engine._loop).result(5)
    eventually(lambda: len(attempts) == 3)
    info = engine.supervisor.tasks["flaky"]
    assert info.restarts == 2 and info.state == "running"
    assert "boom 2" in info.last_error

    def crashes_recorded() -> int:
        with engine.store.reader() as cur:
            return cur.execute(
                "SELECT count(*) FROM events WHERE kind = 'task_crashed' AND message LIKE '%flaky%'"
            ).fetchone()[0]

    assert eventually(lambda: crashes_recorded() == 2)


async def _supervise(engine: Engine, name, factory) -> None:
    engine.supervisor.supervise(name, factory, backoff_initial_s=0.01, backoff_max_s=0.05)


def test_status_reports_lag_queue_and_tasks(engine: Engine):
    status = engine.submit(GetStatus(actor="t")).result(5).data
    assert status["state"] == "running"
    assert status["queue_capacity"] == engine.settings.command_queue_size
    assert {t["name"] for t in status["tasks"]} >= {"commands", "writer", "loop-lag"}
    assert status["loop_lag_ms"] >= 0


def test_the_database_is_closed_after_stop(settings):
    eng = Engine(settings, roles=ADMINS)
    eng.start()
    eng.stop()
    con = duckdb.connect(str(settings.db_path))
    kinds = [r[0] for r in con.execute("SELECT kind FROM events ORDER BY id").fetchall()]
    con.close()
    assert kinds == ["engine_started", "engine_stopped"]


def test_a_task_that_ignores_cancel_does_not_hold_stop_and_is_named(settings, caplog):
    eng = Engine(settings, roles=ADMINS)
    eng.supervisor.stop_timeout_s = 0.3
    eng.start()
    entered = threading.Event()

    async def stubborn() -> None:
        entered.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(1.0)  # swallows the cancel and goes on for a while

    eng._loop.call_soon_threadsafe(lambda: eng.supervise("stubborn", stubborn))
    assert entered.wait(5)
    thread = eng._thread
    eng.stop()
    assert not thread.is_alive()  # the engine thread finished within stop's join
    assert any("stubborn still running" in r.getMessage() for r in caplog.records)
    assert any("stubborn" in r.getMessage() and "sleep" in r.getMessage() for r in caplog.records)


def test_a_failed_event_write_keeps_the_events_and_the_writer_alive(engine: Engine, monkeypatch):
    """One bad batch never loses the audit trail nor stops the writers (issue 11)."""
    import engine.engine as engine_module

    real = engine_module.write_events
    failures = []

    def flaky(con, events):
        if not failures:
            failures.append(len(events))
            raise duckdb.ConstraintException("simulated failure")
        real(con, events)

    monkeypatch.setattr(engine_module, "write_events", flaky)

    def record() -> None:
        engine.record(Level.WARNING, EventKind.ORDER_REFUSED, "kept through a failed write")

    engine._loop.call_soon_threadsafe(record)

    def stored() -> int:
        with engine.store.reader() as cur:
            return cur.execute(
                "SELECT count(*) FROM events WHERE message = 'kept through a failed write'"
            ).fetchone()[0]

    assert eventually(lambda: stored() == 1)
    assert failures and engine.events.failed_writes == 1
    tasks = {t["name"]: t for t in engine.status()["tasks"]}
    assert tasks["event-writer"]["state"] == "running" and tasks["event-writer"]["restarts"] == 0
    assert tasks["writer"]["restarts"] == 0
