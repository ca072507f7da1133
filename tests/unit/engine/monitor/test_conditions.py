"""Each condition rule on a health reading: what it finds wrong, in words a trader reads."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from engine.context import CoreHealth
from engine.monitor.conditions import CONDITIONS
from engine.monitor.health import (
    Health,
    KillSwitchHealth,
    PositionHealth,
    RateLimitHealth,
    StreamHealth,
    WeightHealth,
)
from engine.monitor.rules import RULES, RuleSettings, Severity, checked_settings
from engine.risk.usage import LimitUsage

CALM = Health(
    time_ms=0,
    core=CoreHealth(0.1, 0, 1000, 0, 0, 0.0, 0.0, 0, ()),
    streams=(
        StreamHealth("spot", "btcusdt@kline_1m", True, 0.4, False, 0),
        StreamHealth("spot", "user data", True, 12.0, False, 0),
    ),
    endpoints=(),
    errors_by_code={},
    new_orders_1m=0,
    weights=(WeightHealth("spot", 120, 6000),),
    breakers={"spot orders": "closed"},
    rate_limit=RateLimitHealth(0, 0.0, 0, None, ""),
    clock_offset_ms=12,
    kill_switch=KillSwitchHealth(False, "", None, None),
    limits=(),
    positions=(),
)


def findings(rule: str, health: Health, **params: float) -> dict[str, str]:
    settings = checked_settings(rule, True, RULES[rule].severity, params)
    return {subject: f.message for subject, f in CONDITIONS[rule](health, settings).items()}


def test_a_calm_desk_raises_nothing():
    for rule in CONDITIONS:
        assert CONDITIONS[rule](CALM, RuleSettings.default(RULES[rule])) == {}, rule


def test_a_silent_stream_and_a_down_user_stream_are_stale():
    silent = StreamHealth("futures", "btcusdt@markPrice@1s", True, 45.0, True, 3)
    down = StreamHealth("spot", "user data", False, None, False, 0, down_s=40.0)
    health = replace(CALM, streams=(silent, down))
    found = findings("stream_stale", health, after_s=30)
    assert found["futures market data"] == (
        "1 of 1 futures streams silent (up to 45 s, limit 30 s): btcusdt@markPrice@1s. "
        "3 reconnects so far."
    )
    assert "down for 40 s" in found["spot user data"]
    assert findings("stream_stale", health, after_s=60) == {}


def test_a_stream_dropped_before_its_first_message_is_stale_by_the_rules_limit():
    # Wanted 5 s ago, nothing heard: the feed's own 60 s staleness has not come, the rule's has.
    unheard = StreamHealth("spot", "btcusdt@kline_1m", False, None, False, 1, silent_s=5.0)
    found = findings("stream_stale", replace(CALM, streams=(unheard,)), after_s=2)
    assert found["spot market data"] == (
        "1 of 1 spot streams silent (up to 5 s, limit 2 s): btcusdt@kline_1m. 1 reconnects so far."
    )
    assert findings("stream_stale", replace(CALM, streams=(unheard,)), after_s=10) == {}


def test_weight_breakers_and_the_clock():
    health = replace(
        CALM,
        weights=(WeightHealth("spot", 5000, 6000),),
        breakers={"spot account": "open", "spot orders": "closed"},
        clock_offset_ms=-2500,
    )
    assert findings("weight_high", health)["spot"] == (
        "spot: 5000 of 6000 request weight used this minute (83 %, alert at 80 %)."
    )
    assert list(findings("circuit_open", health)) == ["spot account"]
    assert "2500 ms ahead of the exchange's" in findings("clock_offset", health)[""]


def test_a_418_is_critical_and_a_429_only_while_recent():
    settings = RuleSettings.default(RULES["rate_limited"])
    banned = replace(CALM, rate_limit=RateLimitHealth(4, 120.0, 418, 1.0, "banned"))
    [(_, finding)] = CONDITIONS["rate_limited"](banned, settings).items()
    assert finding.severity is Severity.CRITICAL and "418: this IP is banned" in finding.message
    old = replace(CALM, rate_limit=RateLimitHealth(1, 0.0, 429, 61.0, ""))
    assert CONDITIONS["rate_limited"](old, settings) == {}


def test_kill_switch_loss_limits_and_liquidation():
    switch = KillSwitchHealth(True, "daily loss 600 over the limit 500", "automatic", 1)
    usage = (
        LimitUsage("daily loss", Decimal(450), Decimal(500), Decimal("90.00")),
        LimitUsage("drawdown from peak", Decimal(10), Decimal(1000), Decimal("1.00")),
    )
    near = PositionHealth("BTCUSDT", "BOTH", Decimal("0.5"), Decimal(100), Decimal(97))
    far = PositionHealth("ETHUSDT", "BOTH", Decimal(-2), Decimal(100), Decimal(150))
    health = replace(CALM, kill_switch=switch, limits=usage, positions=(near, far))
    assert findings("kill_switch", health)[""] == (
        "The kill switch was tripped by automatic: daily loss 600 over the limit 500. "
        "No new orders until it is reset on the Risk page."
    )
    assert list(findings("loss_limits", health)) == ["daily loss"]
    assert findings("liquidation_near", health) == {
        "BTCUSDT": "BTCUSDT long 0.5: mark 100, liquidation at 97 (3.00 % away, alert within 5 %)."
    }
