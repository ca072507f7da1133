"""The condition rules: what is wrong in one health reading, per subject, in words.

Each function returns the subjects its rule finds wrong now ({} when all is well). A finding's
`tally` is a running count of the trouble (429 answers so far), so an open incident can say how
many times it happened; its `severity` is set only when it is worse than the rule's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from engine.monitor.health import Health, StreamHealth
from engine.monitor.rules import RuleSettings, Severity


@dataclass(frozen=True)
class Finding:
    message: str
    tally: int | None = None
    severity: Severity | None = None


Findings = dict[str, Finding]
Condition = Callable[[Health, RuleSettings], Findings]


def stream_stale(health: Health, settings: RuleSettings) -> Findings:
    """One incident per connection (a drop silences all its streams at once), naming them."""
    after_s = settings.param("after_s")
    found: Findings = {}
    silent: dict[str, list[StreamHealth]] = {}
    for s in health.streams:
        if s.stream == "user data":
            if not s.connected and (s.down_s or 0) > after_s:
                found[f"{s.market} user data"] = Finding(
                    f"The {s.market} user-data stream is down for {s.down_s:.0f} s: fills and "
                    "balance changes arrive late (the desk reconciles when it is back)."
                )
        elif _silent_too_long(s, after_s):
            silent.setdefault(s.market, []).append(s)
    for market, streams in silent.items():
        of_market = sum(1 for s in health.streams if s.market == market and s.stream != "user data")
        longest = max((s.silence_s or 0.0) for s in streams)
        names = ", ".join(s.stream for s in streams[:6]) + (" ..." if len(streams) > 6 else "")
        reconnects = max(s.reconnects for s in streams)
        found[f"{market} market data"] = Finding(
            f"{len(streams)} of {of_market} {market} streams silent (up to {longest:.0f} s, "
            f"limit {after_s:g} s): {names}. {reconnects} reconnects so far.",
            tally=reconnects,
        )
    return found


def _silent_too_long(stream: StreamHealth, after_s: float) -> bool:
    """A connection dropped before its first message is as silent as one that went quiet."""
    silence = stream.silence_s
    return stream.stale if silence is None else silence > after_s


def circuit_open(health: Health, settings: RuleSettings) -> Findings:
    return {
        name: Finding(
            f"The {name} requests kept failing; the desk holds them back and probes "
            f"again shortly (breaker {state})."
        )
        for name, state in sorted(health.breakers.items())
        if state != "closed"
    }


def weight_high(health: Health, settings: RuleSettings) -> Findings:
    share = settings.param("share_pct")
    return {
        w.market: Finding(
            f"{w.market}: {w.used} of {w.limit} request weight used this minute "
            f"({w.share_pct:.0f} %, alert at {share:g} %)."
        )
        for w in health.weights
        if w.limit and w.share_pct >= share
    }


def rate_limited(health: Health, settings: RuleSettings) -> Findings:
    limit = health.rate_limit
    recent = limit.last_age_s is not None and limit.last_age_s <= settings.param("window_s")
    if not (recent or limit.closed_for_s > 0):
        return {}
    banned = limit.last_status == 418
    what = "418: this IP is banned" if banned else "429: too many requests"
    message = (
        f"Binance answered {what}. The desk sends nothing for "
        f"{limit.closed_for_s:.0f} s more; {limit.hits} such answers since start."
    )
    return {"": Finding(message, limit.hits, Severity.CRITICAL if banned else None)}


def kill_switch(health: Health, settings: RuleSettings) -> Findings:
    switch = health.kill_switch
    if not switch.on:
        return {}
    by = f" by {switch.tripped_by}" if switch.tripped_by else ""
    reason = switch.reason.strip()
    if reason and reason[-1] not in ".!?":
        reason += "."
    return {
        "": Finding(
            f"The kill switch was tripped{by}: {reason} "
            "No new orders until it is reset on the Risk page."
        )
    }


_LOSS_LIMITS = {"daily loss": "Today's loss", "drawdown from peak": "The drawdown from the peak"}


def loss_limits(health: Health, settings: RuleSettings) -> Findings:
    shown = settings.param("share_pct")
    share = Decimal(str(shown))
    return {
        usage.name: Finding(
            f"{_LOSS_LIMITS[usage.name]} is {usage.used:.2f} {usage.unit}, "
            f"{usage.pct:.0f} % of its limit {usage.limit:.2f} "
            f"(alert at {shown:g} %)."
        )
        for usage in health.limits
        if usage.name in _LOSS_LIMITS and usage.pct >= share
    }


def liquidation_near(health: Health, settings: RuleSettings) -> Findings:
    shown = settings.param("distance_pct")
    distance = Decimal(str(shown))
    found: Findings = {}
    for p in health.positions:
        if not p.mark or not p.liquidation or p.liquidation <= 0:
            continue
        away = abs(p.mark - p.liquidation) / p.mark * 100
        if away <= distance:
            side = "long" if p.amount > 0 else "short"
            found[p.symbol if p.side == "BOTH" else f"{p.symbol} {p.side}"] = Finding(
                f"{p.symbol} {side} {_plain(abs(p.amount))}: mark {_plain(p.mark)}, liquidation "
                f"at {_plain(p.liquidation)} ({away:.2f} % away, alert within {shown:g} %)."
            )
    return found


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def clock_offset(health: Health, settings: RuleSettings) -> Findings:
    bound = settings.param("max_ms")
    offset = health.clock_offset_ms
    if abs(offset) <= bound:
        return {}
    return {
        "": Finding(
            f"Our clock is {abs(offset)} ms {'behind' if offset > 0 else 'ahead of'}"
            f" the exchange's (bound {bound:g} ms). Check the machine's time "
            "sync (NTP)."
        )
    }


CONDITIONS: Mapping[str, Condition] = {
    "stream_stale": stream_stale,
    "circuit_open": circuit_open,
    "weight_high": weight_high,
    "rate_limited": rate_limited,
    "kill_switch": kill_switch,
    "loss_limits": loss_limits,
    "liquidation_near": liquidation_near,
    "clock_offset": clock_offset,
}
