"""Limits that stop trading: exactly at the limit trips, a cent before does not; the kill switch's
transitions, their events and the roles they need; persistence as a config version."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.clock import DAY_MS
from engine.risk.config import KillSwitchAction, RiskConfig
from engine.risk.kill_switch import (
    AUTOMATIC_ACTOR,
    KillSwitch,
    KillSwitchRefused,
    LimitTrip,
    daily_loss_trip,
    evaluate_limits,
    peak_since_ms,
    reset,
    trip_automatically,
    trip_by_hand,
)
from engine.store.config_versions import load_latest_config, save_config_version
from engine.store.schema import migrate

D = Decimal
CENT = D("0.01")
FLATTEN = KillSwitchAction.FLATTEN


def test_daily_loss_in_usdt_trips_exactly_at_the_limit() -> None:
    config = RiskConfig(max_daily_loss_usdt=D(500))
    # start 10,000: equity 9,500.01 is a loss of 499.99 -> no; 9,500.00 is 500 -> trips
    assert evaluate_limits(config, D("9500.01"), D(10000), None) is None
    trip = evaluate_limits(config, D("9500.00"), D(10000), None)
    assert trip is not None
    assert (trip.rule, trip.used, trip.limit) == ("max_daily_loss", D(500), D(500))
    assert "Daily loss 500.00 USDT reached the limit of 500.00 USDT" in trip.reason
    assert evaluate_limits(config, D("9000"), D(10000), None) is not None


def test_daily_loss_in_percent_and_the_stricter_of_both() -> None:
    # 3% of 12,345.67 = 370.3701: a loss of 370.37 does not trip, 370.3701 does
    config = RiskConfig(max_daily_loss_pct=D(3))
    assert evaluate_limits(config, D("11975.30"), D("12345.67"), None) is None
    assert evaluate_limits(config, D("11975.2999"), D("12345.67"), None) is not None
    # with 300 USDT also set, 300 is the stricter limit
    both = RiskConfig(max_daily_loss_pct=D(3), max_daily_loss_usdt=D(300))
    assert evaluate_limits(both, D("12045.68"), D("12345.67"), None) is None  # 299.99
    trip = evaluate_limits(both, D("12045.67"), D("12345.67"), None)
    assert trip is not None and trip.limit == D(300)


def test_drawdown_trips_exactly_at_the_limit() -> None:
    # peak 20,000, 10% -> 2,000: equity 18,000.01 no, 18,000 trips
    config = RiskConfig(max_drawdown_pct=D(10))
    assert evaluate_limits(config, D("18000.01"), None, D(20000)) is None
    trip = evaluate_limits(config, D(18000), None, D(20000))
    assert trip is not None and (trip.rule, trip.used, trip.limit) == (
        "max_drawdown", D(2000), D(2000)
    )  # fmt: skip
    # a gain today does not hide the drawdown
    both = RiskConfig(max_drawdown_pct=D(10), max_daily_loss_usdt=D(100))
    trip = evaluate_limits(both, D(18000), D(17000), D(20000))
    assert trip is not None and trip.rule == "max_drawdown"


def test_no_limits_set_never_trips() -> None:
    assert evaluate_limits(RiskConfig(), D(1), D(1_000_000), D(1_000_000)) is None


@given(
    start=st.decimals(min_value=D(100), max_value=D(10_000_000), places=2),
    limit=st.decimals(min_value=D("0.01"), max_value=D(50), places=2),
)
def test_a_cent_before_the_usdt_limit_never_trips_and_the_limit_always_does(start, limit) -> None:
    config = RiskConfig(max_daily_loss_usdt=limit)
    assert evaluate_limits(config, start - limit + CENT, start, None) is None
    assert evaluate_limits(config, start - limit, start, None) is not None


TRIP = LimitTrip(rule="max_daily_loss", reason="Daily loss ...", used=D(500), limit=D(500))


def test_automatic_trip_records_who_when_why_and_the_action() -> None:
    transition = trip_automatically(KillSwitch(), TRIP, FLATTEN, now_ms=1_000)
    state = transition.state
    assert (state.on, state.rule, state.tripped_at, state.tripped_by, state.action) == (
        True, "max_daily_loss", 1_000, AUTOMATIC_ACTOR, FLATTEN
    )  # fmt: skip
    event = transition.event
    assert event is not None
    assert (event.kind, event.level, event.time_ms) == ("kill_switch.tripped", "error", 1_000)
    assert event.data["used"] == "500" and event.data["action"] == "flatten"
    # tripping again while on changes nothing and records nothing
    assert trip_automatically(state, TRIP, FLATTEN, 2_000) == type(transition)(state, None)


def test_any_trader_may_trip_by_hand_but_a_viewer_may_not() -> None:
    transition = trip_by_hand(KillSwitch(), "tom", {"trader"}, "news", FLATTEN, 5)
    assert transition.state.on and transition.state.tripped_by == "tom"
    assert transition.state.rule == "manual"
    assert transition.event is not None and "pulled by tom: news" in transition.event.message
    with pytest.raises(KillSwitchRefused, match="vera may not pull"):
        trip_by_hand(KillSwitch(), "vera", {"viewer"}, "x", FLATTEN, 5)


def test_only_an_admin_resets() -> None:
    on = trip_automatically(KillSwitch(), TRIP, FLATTEN, 1_000).state
    for roles in ({"trader"}, {"viewer"}, set()):
        with pytest.raises(KillSwitchRefused, match="takes the admin role"):
            reset(on, "tom", roles, 2_000, D(9500))
    transition = reset(on, "ada", {"admin", "trader"}, 2_000, D(9500))
    assert transition.state == KillSwitch(reset_at=2_000, reset_by="ada", equity_at_reset=D(9500))
    assert transition.event is not None and transition.event.kind == "kill_switch.reset"
    assert reset(KillSwitch(), "ada", {"admin"}, 3_000, D(1)).event is None


def test_a_reset_never_forgives_the_days_loss() -> None:
    """Today's loss counts from 00:00 UTC whatever the switch did: a reset while the day's loss
    is still beyond its limit is refused (it would trip again at once), and once allowed, the
    same loss still counts against the limit."""
    day2 = 20 * DAY_MS
    on = trip_automatically(KillSwitch(), TRIP, FLATTEN, day2 + 10).state
    config = RiskConfig(max_daily_loss_usdt=D(500))
    over = daily_loss_trip(config, D(9400), D(10000))
    assert over is not None and over.used == D(600)
    with pytest.raises(KillSwitchRefused, match=r"beyond the daily limit of 500\.00 USDT"):
        reset(on, "ada", {"admin"}, day2 + 20, D(9400), over)
    # The limit raised to 1000: the reset goes through, and the 600 lost today still count.
    config = RiskConfig(max_daily_loss_usdt=D(1000))
    assert daily_loss_trip(config, D(9400), D(10000)) is None
    state = reset(on, "ada", {"admin"}, day2 + 20, D(9400)).state
    assert not state.on and peak_since_ms(state) == day2 + 20 and peak_since_ms(KillSwitch()) == 0
    assert evaluate_limits(config, D("9000.01"), D(10000), None) is None
    assert evaluate_limits(config, D(9000), D(10000), None) is not None  # 400 more: 1000 today


def test_the_state_survives_a_restart_as_a_config_version(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(con)
    state = trip_by_hand(KillSwitch(), "tom", {"trader"}, "exchange outage", FLATTEN, 7).state
    save_config_version(con, "kill_switch", state, "tom", 7)
    stored = load_latest_config(con.cursor(), "kill_switch")
    assert stored is not None and stored.parse(KillSwitch) == state
    con.close()
