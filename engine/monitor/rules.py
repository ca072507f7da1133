"""The alert rules: what each one watches, its defaults, and an admin's settings for it.

A *condition* rule is evaluated on every monitor tick against the desk's health; an incident
opens when its condition has held for `for_s` and resolves when it has been clear for `clear_s`.
An *event* rule fires on something that happened (an order refused, a task restarted); repeats
within `quiet_s` are grouped into the open incident, which resolves after `quiet_s` of quiet.
A *notice* is an event rule whose incidents close silently (a fill needs no "resolved").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class RuleKind(StrEnum):
    CONDITION = "condition"
    EVENT = "event"
    NOTICE = "notice"


@dataclass(frozen=True)
class Param:
    """One setting of a rule, with its bounds and what it means."""

    default: float
    low: float
    high: float
    unit: str
    help: str


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    kind: RuleKind
    severity: Severity
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def defaults(self) -> dict[str, float]:
        return {name: p.default for name, p in self.params.items()}


_FOR = Param(0, 0, 3600, "s", "The condition must hold this long before the incident opens.")
_CLEAR = Param(10, 0, 3600, "s", "The condition must be clear this long before it resolves.")
_QUIET = Param(300, 1, 86_400, "s", "Repeats within this time are grouped; then it resolves.")


def _condition(
    id_: str, title: str, severity: Severity, description: str, **params: Param
) -> RuleSpec:
    all_params = {**params, "for_s": params.get("for_s", _FOR), "clear_s": _CLEAR}
    return RuleSpec(id_, title, RuleKind.CONDITION, severity, description, all_params)


RULES: Mapping[str, RuleSpec] = MappingProxyType(
    {
        spec.id: spec
        for spec in (
            _condition(
                "stream_stale",
                "Stream stale",
                Severity.WARNING,
                "A market stream sent nothing for longer than the limit, or a user-data "
                "stream is not connected.",
                after_s=Param(30, 1, 3600, "s", "Silence that counts as stale."),
            ),
            _condition(
                "circuit_open",
                "Circuit open",
                Severity.WARNING,
                "Requests of one group (orders, account reads, market data) kept failing; "
                "the desk stopped sending them for a while.",
            ),
            _condition(
                "weight_high",
                "Request weight high",
                Severity.WARNING,
                "This minute's request weight is above a share of Binance's limit.",
                share_pct=Param(80, 1, 100, "%", "Share of the limit."),
            ),
            _condition(
                "rate_limited",
                "Rate limited (429/418)",
                Severity.WARNING,
                "Binance answered 429 (too many requests) or 418 (IP banned: critical).",
                window_s=Param(60, 1, 3600, "s", "How long a 429 keeps the incident open."),
            ),
            _condition(
                "kill_switch",
                "Kill switch tripped",
                Severity.CRITICAL,
                "The kill switch is on: no new orders until someone resets it.",
            ),
            _condition(
                "loss_limits",
                "Loss near its limit",
                Severity.WARNING,
                "Today's loss or the drawdown from the peak is past a share of its limit.",
                share_pct=Param(80, 1, 100, "%", "Share of the limit."),
            ),
            _condition(
                "liquidation_near",
                "Liquidation near",
                Severity.CRITICAL,
                "A futures position's liquidation price is within a distance of its mark.",
                distance_pct=Param(5, 0.1, 50, "%", "Distance from the mark price."),
            ),
            _condition(
                "clock_offset",
                "Clock offset",
                Severity.WARNING,
                "Our clock is off the exchange's by more than the bound; signed requests "
                "may be refused (-1021).",
                max_ms=Param(1000, 10, 60_000, "ms", "The bound."),
            ),
            RuleSpec(
                "order_refused",
                "Order refused",
                RuleKind.EVENT,
                Severity.WARNING,
                "The desk or the exchange refused an order (per symbol and reason).",
                {"quiet_s": _QUIET},
            ),
            RuleSpec(
                "order_filled",
                "Order filled",
                RuleKind.NOTICE,
                Severity.INFO,
                "An order traded (one message per order; later fills within a few seconds "
                "are grouped).",
                {"quiet_s": Param(5, 1, 3600, "s", "Fills of one order grouped this long.")},
            ),
            RuleSpec(
                "task_restarted",
                "Engine task restarted",
                RuleKind.EVENT,
                Severity.WARNING,
                "A part of the engine crashed and was restarted.",
                {"quiet_s": _QUIET},
            ),
        )
    }
)


class RuleSettings(BaseModel):
    """An admin's settings for one rule; parameters are checked against the rule's bounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    enabled: bool = True
    severity: Severity
    params: dict[str, float] = Field(default_factory=dict)

    @classmethod
    def default(cls, spec: RuleSpec) -> RuleSettings:
        return cls(rule=spec.id, severity=spec.severity, params=spec.defaults())

    def param(self, name: str) -> float:
        return self.params.get(name, RULES[self.rule].params[name].default)


class RuleSettingsError(ValueError):
    """A rule setting is not valid; the message says which and what is allowed."""


def checked_settings(
    rule: str, enabled: bool, severity: Severity, params: Mapping[str, float]
) -> RuleSettings:
    """Settings for `rule`, or RuleSettingsError naming the bad one and its bounds."""
    spec = RULES.get(rule)
    if spec is None:
        raise RuleSettingsError(f"There is no alert rule called {rule!r}.")
    merged = spec.defaults()
    for name, value in params.items():
        bound = spec.params.get(name)
        if bound is None:
            known = ", ".join(spec.params) or "none"
            raise RuleSettingsError(f"{spec.title} has no setting {name!r} (settings: {known}).")
        if not bound.low <= value <= bound.high:
            raise RuleSettingsError(
                f"{spec.title}: {name} must be between {bound.low:g} and {bound.high:g} "
                f"{bound.unit}; {value:g} is not."
            )
        merged[name] = float(value)
    return RuleSettings(rule=rule, enabled=enabled, severity=severity, params=merged)
