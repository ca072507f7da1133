"""Trading and risk configuration: the models, and the checks that need outside facts.

Field ranges (no negative limits, percentages in (0, 100], ...) are pydantic constraints, so a bad
value is refused when the model is built. Checks that need facts from the exchange (known symbols,
leverage brackets) are in `validate_trading_config` and `validate_risk_config`. Every refusal is a
`ConfigProblem(field, reason)`; `ConfigError` carries all of them at once.

A limit set to None is off.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Percent = Decimal  # 2.5 means 2.5 %


class KillSwitchAction(StrEnum):
    """What the engine does when the kill switch trips (new orders are refused in every case)."""

    CANCEL_ORDERS = "cancel_orders"
    FLATTEN = "flatten"  # cancel open orders, then close every position
    BLOCK_ONLY = "block_only"


class RiskPerTradeMode(StrEnum):
    LOSS_AT_STOP = "loss_at_stop"  # quantity x |entry - stop| against equity
    NOTIONAL = "notional"  # quantity x entry against equity


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TradingConfig(_Config):
    """Which markets are on and which pairs the desk trades in each."""

    spot_enabled: bool = True
    futures_enabled: bool = True
    spot_pairs: tuple[str, ...] = ()
    futures_pairs: tuple[str, ...] = ()

    @field_validator("spot_pairs", "futures_pairs")
    @classmethod
    def _symbols(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in pairs if not (p.isalnum() and p.isupper() and 5 <= len(p) <= 20)]
        if bad:
            raise ValueError(f"not a symbol: {', '.join(bad)} (upper-case letters and digits)")
        if len(set(pairs)) != len(pairs):
            raise ValueError("a pair is listed twice")
        return pairs


class RiskPerTrade(_Config):
    """Largest risk one order may add, as a percent of equity.

    In LOSS_AT_STOP mode the loss at the stop is measured when the order comes with a stop-loss
    price; without one, `without_stop` decides: refuse the order, or measure its notional.
    """

    pct: Percent = Field(gt=0, le=100)
    mode: RiskPerTradeMode = RiskPerTradeMode.LOSS_AT_STOP
    without_stop: Literal["refuse", "notional"] = "refuse"


class CorrelationLimit(_Config):
    """Largest |correlation| of log returns between a new symbol and any open position.

    With fewer than `min_overlap` aligned returns (or a flat series) the correlation is unknown and
    `on_insufficient_data` decides.
    """

    max_abs: Decimal = Field(ge=0, le=1)
    lookback_bars: int = Field(default=100, ge=3, le=5000)
    interval: Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"] = (
        "1h"
    )
    min_overlap: int = Field(default=30, ge=3)
    on_insufficient_data: Literal["refuse", "pass"] = "refuse"


class RiskConfig(_Config):
    max_open_positions: int | None = Field(default=None, ge=1)
    risk_per_trade: RiskPerTrade | None = None
    max_leverage: int | None = Field(default=None, ge=1, le=125)
    max_daily_loss_usdt: Decimal | None = Field(default=None, gt=0)
    max_daily_loss_pct: Percent | None = Field(default=None, gt=0, le=100)
    max_drawdown_pct: Percent | None = Field(default=None, gt=0, le=100)
    max_notional_per_symbol: Decimal | None = Field(default=None, gt=0)
    max_notional_total: Decimal | None = Field(default=None, gt=0)
    correlation: CorrelationLimit | None = None
    kill_switch_action: KillSwitchAction = KillSwitchAction.CANCEL_ORDERS


class ConfigProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ConfigError(ValueError):
    """A configuration was refused; `problems` names each field and why."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def problems_of(error: ValidationError) -> list[ConfigProblem]:
    """Turn pydantic's errors into field + reason pairs."""
    return [
        ConfigProblem(field=".".join(str(part) for part in e["loc"]) or "config", reason=e["msg"])
        for e in error.errors()
    ]


def validate_trading_config(
    config: TradingConfig,
    known_spot: Collection[str] | None = None,
    known_futures: Collection[str] | None = None,
) -> list[ConfigProblem]:
    """Return the selected pairs the exchange does not list (only for the lists given)."""
    problems = []
    for field, pairs, known in (
        ("spot_pairs", config.spot_pairs, known_spot),
        ("futures_pairs", config.futures_pairs, known_futures),
    ):
        unknown = [p for p in pairs if known is not None and p not in known]
        if unknown:
            reason = f"unknown pair: {', '.join(unknown)}"
            problems.append(ConfigProblem(field=field, reason=reason))
    return problems


def validate_risk_config(
    config: RiskConfig, max_leverage_by_symbol: Mapping[str, int] | None = None
) -> list[ConfigProblem]:
    """Return the problems no single field shows: leverage beyond a symbol's first bracket.

    `max_leverage_by_symbol` holds the `initialLeverage` of each futures symbol's first bracket
    (the highest leverage the exchange allows for it); pass the selected futures pairs.
    """
    problems = []
    if config.max_leverage is not None and max_leverage_by_symbol:
        above = sorted(s for s, cap in max_leverage_by_symbol.items() if config.max_leverage > cap)
        if above:
            caps = ", ".join(f"{s} allows {max_leverage_by_symbol[s]}x" for s in above)
            problems.append(
                ConfigProblem(
                    field="max_leverage",
                    reason=f"{config.max_leverage}x is above the exchange bracket: {caps}",
                )
            )
    per_symbol, total = config.max_notional_per_symbol, config.max_notional_total
    if per_symbol is not None and total is not None and per_symbol > total:
        problems.append(
            ConfigProblem(
                field="max_notional_per_symbol",
                reason=f"{per_symbol} is above the total limit {total}",
            )
        )
    return problems


def parse_trading_config(
    data: Mapping[str, Any],
    known_spot: Collection[str] | None = None,
    known_futures: Collection[str] | None = None,
) -> TradingConfig:
    """Build a TradingConfig from form or JSON data; raise ConfigError naming every bad field."""
    try:
        config = TradingConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_of(exc)) from None
    problems = validate_trading_config(config, known_spot, known_futures)
    if problems:
        raise ConfigError(problems)
    return config


def parse_risk_config(
    data: Mapping[str, Any], max_leverage_by_symbol: Mapping[str, int] | None = None
) -> RiskConfig:
    """Build a RiskConfig from form or JSON data; raise ConfigError naming every bad field."""
    try:
        config = RiskConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_of(exc)) from None
    problems = validate_risk_config(config, max_leverage_by_symbol)
    if problems:
        raise ConfigError(problems)
    return config
