"""Alerts end to end: faults driven in the simulator reach a local webhook and a local SMTP
server, with the right words, once when the incident opens and once when it resolves; and a
notifier that is slow or unreachable does not slow the order path."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from engine.access.roles import Role
from engine.account.sync import AccountSync
from engine.assembly import Access, build_engine
from engine.commands import PlaceOrder, ResetKillSwitch, SetMarginType, TripKillSwitch
from engine.credentials import CredentialChain, Credentials
from engine.engine import Engine
from engine.monitor.commands import SaveAlertChannel, SaveAlertRule, SendTestAlert
from engine.monitor.component import Monitor
from engine.monitor.rules import RULES
from engine.vault import Vault
from simulator.server import SimulatorThread
from tests.alert_receivers import Mailbox, Webhook, smtp_server, webhook
from tests.helpers import Everyone, eventually, part
from tests.integration.conftest import (
    connect_engine,
    engine_settings,
    sim_config,
    sim_control,
    sim_endpoints,
)

FAST = {"monitor_tick_s": 0.1, "monitor_sample_s": 1.0, "alert_retry_s": 0.1}


@dataclass
class Desk:
    engine: Engine
    sim: SimulatorThread
    hook: Webhook
    mail: Mailbox

    def rule(self, name: str, **params: float) -> None:
        spec = RULES[name]
        reply = self.engine.submit(
            SaveAlertRule(
                actor="admin", rule=name, enabled=True, severity=spec.severity, params=params
            )
        )
        assert reply.result(10).ok

    def settle(self, ticks: int = 5) -> None:
        """Let the monitor evaluate `ticks` more times (a duplicate would show by then)."""
        monitor = part(self.engine, Monitor)
        target = monitor.ticks + ticks
        eventually(lambda: monitor.ticks >= target, timeout=10, what=f"{ticks} monitor ticks")


def titles_with(hook: Webhook, words: str) -> list[str]:
    return [t for t in hook.titles() if words in t]


def told(hook: Webhook, words: str) -> list[str]:
    """The titles with `words`; none yet fails with what did arrive (for `eventually`)."""
    found = titles_with(hook, words)
    assert found, f"nothing with {words!r} among {hook.titles()}"
    return found


def subjects_with(mail: Mailbox, words: str) -> list[str]:
    return [s for s in mail.subjects() if words in s]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    sim = SimulatorThread(sim_config(tmp_path)).start()
    engine = connect_engine(sim, engine_settings(tmp_path, **FAST))
    engine.start()
    try:
        with webhook() as hook, smtp_server() as mail:
            for name, url, severity in (
                ("ops hook", hook.url, "info"),
                ("ops mail", mail.url, "warning"),
            ):
                command = SaveAlertChannel(actor="admin", name=name, url=url, min_severity=severity)
                assert engine.submit(command).result(10).ok
            eventually(lambda: _user_streams_up(engine), timeout=15, what="user streams up")
            yield Desk(engine, sim, hook, mail)
    finally:
        engine.stop()
        sim.stop()


def _user_streams_up(engine: Engine) -> bool:
    states = part(engine, AccountSync).stream_state
    return states.get("spot") == "connected" and states.get("futures") == "connected"


def test_a_dropped_market_stream_alerts_once_and_resolves_once(desk: Desk):
    desk.rule("stream_stale", after_s=2, clear_s=0.5)  # streams tick every second
    sim_control(desk.sim, "POST", "/_sim/ws/drop", {"path": "/stream", "refuse_ms": 3000})
    eventually(
        lambda: told(desk.hook, "RESOLVED: Stream stale: spot market data"),
        timeout=30,
        what="the resolution",
    )
    desk.settle()
    assert titles_with(desk.hook, "Stream stale: spot market data") == [
        "[tradedesk sim] WARNING: Stream stale: spot market data",
        "[tradedesk sim] RESOLVED: Stream stale: spot market data",
    ]
    opened = next(m for m in desk.hook.received if "WARNING: Stream stale" in m["title"])
    assert "spot streams silent" in opened["message"] and "btcusdt@kline_1m" in opened["message"]
    eventually(
        lambda: len(subjects_with(desk.mail, "Stream stale: spot market data")) == 2,
        timeout=15,
        what="both mails",
    )


def test_a_429_storm_is_one_incident_with_its_count(desk: Desk):
    desk.rule("rate_limited", window_s=1, clear_s=0.5)
    sim_control(
        desk.sim,
        "POST",
        "/_sim/faults",
        {"kind": "rate_limit", "retry_after": 1, "path": "/api/v3/", "count": 3},
    )
    for _ in range(3):  # each order meets a 429 (or the closed gate) and is refused
        order = PlaceOrder(
            actor="alice",
            market="spot",
            symbol="BTCUSDT",
            side="BUY",
            order_type="MARKET",
            quantity=Decimal("0.001"),
        )
        desk.engine.submit(order).result(10)
    eventually(lambda: told(desk.hook, "RESOLVED: Rate limited"), timeout=20, what="the resolution")
    desk.settle()
    assert titles_with(desk.hook, "Rate limited") == [
        "[tradedesk sim] WARNING: Rate limited (429/418)",
        "[tradedesk sim] RESOLVED: Rate limited (429/418)",
    ]
    opened = next(m for m in desk.hook.received if "WARNING: Rate limited" in m["title"])
    assert "Binance answered 429: too many requests" in opened["message"]
    eventually(
        lambda: len(subjects_with(desk.mail, "Rate limited")) == 2, timeout=15, what="both mails"
    )


def test_the_kill_switch_is_critical_with_its_reason_and_resolves_on_reset(desk: Desk):
    desk.rule("kill_switch", clear_s=0)
    trip = TripKillSwitch(actor="alice", reason="manual stop before the FOMC")
    assert desk.engine.submit(trip).result(10).ok
    eventually(
        lambda: subjects_with(desk.mail, "CRITICAL: Kill switch tripped"),
        timeout=15,
        what="the mail",
    )
    body = desk.mail.body(
        desk.mail.subjects().index("[tradedesk sim] CRITICAL: Kill switch tripped")
    )
    assert "tripped by alice: manual stop before the FOMC." in body
    reset = ResetKillSwitch(actor="root")
    assert desk.engine.submit(reset).result(10).ok
    eventually(
        lambda: subjects_with(desk.mail, "RESOLVED: Kill switch tripped"),
        timeout=15,
        what="the resolution",
    )
    desk.settle()
    assert titles_with(desk.hook, "Kill switch") == [
        "[tradedesk sim] CRITICAL: Kill switch tripped",
        "[tradedesk sim] RESOLVED: Kill switch tripped",
    ]


def test_a_price_move_toward_liquidation_alerts(desk: Desk):
    desk.rule("liquidation_near", distance_pct=2, clear_s=0)
    isolated = SetMarginType(actor="alice", symbol="BTCUSDT", margin_type="ISOLATED")
    assert desk.engine.submit(isolated).result(10).ok
    opened = PlaceOrder(
        actor="alice",
        market="futures",
        symbol="BTCUSDT",
        side="BUY",
        order_type="MARKET",
        quantity=Decimal("0.05"),
        leverage=20,
    )
    reply = desk.engine.submit(opened).result(10)
    assert reply.ok, reply.message
    position = eventually(lambda: _liquidation(desk.engine), timeout=15, what="a liquidation price")
    entry, liquidation = position
    near = (liquidation * Decimal("1.01")).quantize(Decimal("0.1"))
    sim_control(desk.sim, "POST", "/_sim/futures/price", {"symbol": "BTCUSDT", "price": str(near)})
    eventually(
        lambda: told(desk.hook, "CRITICAL: Liquidation near: BTCUSDT"), timeout=20, what="the alert"
    )
    sim_control(
        desk.sim,
        "POST",
        "/_sim/futures/price",
        {"symbol": "BTCUSDT", "price": str(entry.quantize(Decimal("0.1")))},
    )
    eventually(
        lambda: told(desk.hook, "RESOLVED: Liquidation near: BTCUSDT"),
        timeout=20,
        what="the resolution",
    )
    desk.settle()
    assert len(titles_with(desk.hook, "Liquidation near")) == 2
    alert = next(m for m in desk.hook.received if "CRITICAL: Liquidation near" in m["title"])
    assert f"liquidation at {liquidation.normalize():f}" in alert["message"]


def _liquidation(engine: Engine) -> tuple[Decimal, Decimal] | None:
    from engine.account.state import AccountReader

    position = part(engine, AccountReader).state().position("BTCUSDT")
    if position is None or not position.liquidation_price:
        return None
    return position.entry_price, position.liquidation_price


def _round_trips(engine: Engine, count: int) -> list[float]:
    took = []
    for _ in range(count):
        order = PlaceOrder(
            actor="alice",
            market="spot",
            symbol="BTCUSDT",
            side="BUY",
            order_type="MARKET",
            quantity=Decimal("0.001"),
        )
        started = time.perf_counter()
        assert engine.submit(order).result(10).ok
        took.append(time.perf_counter() - started)
    return took


def test_a_slow_or_unreachable_notifier_does_not_slow_orders(desk: Desk):
    desk.rule("order_filled", quiet_s=1)
    baseline = _round_trips(desk.engine, 10)
    with webhook() as slow:
        slow.delay_s = 30  # holds every post until the test ends
        for name, url in (("slow", slow.url + "?rto=5"), ("down", "json://127.0.0.1:9/nowhere")):
            command = SaveAlertChannel(actor="admin", name=name, url=url, min_severity="info")
            assert desk.engine.submit(command).result(10).ok
        with_alerts = _round_trips(desk.engine, 10)
        eventually(
            lambda: len(titles_with(desk.hook, "Order filled")) >= 20,
            timeout=20,
            what="every fill told",
        )
    # Were delivery on the engine loop, every order would wait on the slow post (5 s).
    assert max(with_alerts) < 2.5
    assert statistics.median(with_alerts) <= 3 * statistics.median(baseline) + 0.05


SEALED_PASSWORD = "hook-pass-Zq81"


def test_a_url_with_a_secret_lives_only_in_the_vault_and_survives_a_restart(tmp_path: Path):
    sim = SimulatorThread(sim_config(tmp_path)).start()
    settings = engine_settings(tmp_path, **FAST)
    vault = Vault(tmp_path / "vault.json", "a long master passphrase")
    access = Access(Everyone(Role.ADMIN), vault, CredentialChain([]))
    credentials = Credentials(sim.api_key.key, sim.api_key.secret)
    try:
        with webhook() as hook:
            url = hook.url.replace("json://", f"json://ops:{SEALED_PASSWORD}@")
            for attempt in range(2):  # the second engine reopens the channel from the vault
                engine = build_engine(settings, sim_endpoints(sim.urls.base_url), credentials,
                                      access)  # fmt: skip
                engine.start()
                try:
                    if attempt == 0:
                        save = SaveAlertChannel(actor="admin", name="sealed", url=url)
                        assert engine.submit(save).result(10).ok
                    with engine.store.reader() as cur:
                        (channel_id, masked, plain, sealed), = cur.execute(
                            "SELECT id, masked_url, plain_url, sealed FROM alert_channels"
                        ).fetchall()  # fmt: skip
                    assert sealed and plain is None and SEALED_PASSWORD not in masked
                    test = SendTestAlert(actor="admin", channel_id=channel_id)
                    assert engine.submit(test).result(10).ok
                    eventually(lambda n=attempt + 1: len(hook.received) == n, timeout=15,
                               what="the test alert")  # fmt: skip
                finally:
                    engine.stop()
            assert SEALED_PASSWORD.encode() not in (tmp_path / "vault.json").read_bytes()
            assert SEALED_PASSWORD.encode() not in settings.db_path.read_bytes()
    finally:
        sim.stop()


def test_without_a_passphrase_a_secret_url_is_refused_and_nothing_is_stored(desk: Desk):
    command = SaveAlertChannel(actor="admin", name="tg", url="tgram://123456:ABCdefTOKEN/987")
    reply = desk.engine.submit(command).result(10)
    assert not reply.ok and "TRADEDESK_MASTER_KEY" in reply.message
    with desk.engine.store.reader() as cur:
        names = [r[0] for r in cur.execute("SELECT name FROM alert_channels").fetchall()]
    assert "tg" not in names
