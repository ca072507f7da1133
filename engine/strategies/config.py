"""Which strategy runs on which pair: a versioned configuration (`strategies` in config_versions).

An admin switches an instance on or off with `SetStrategy`; every change is a new version with
who and when, as risk configuration is. Instances are off unless switched on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.models import MarketType
from engine.settings import KLINE_INTERVALS
from engine.strategies.actors import strategy_actor

CONFIG_KIND = "strategies"
NAME_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
SYMBOL_PATTERN = r"^[A-Z0-9]{5,20}$"
DEFAULT_BUDGET_MS = 1000


class StrategyInstance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(pattern=NAME_PATTERN)
    market: MarketType
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    interval: str = "1m"
    enabled: bool = False
    params: dict[str, Any] = Field(default_factory=dict)
    budget_ms: int = Field(DEFAULT_BUDGET_MS, ge=10, le=60_000)

    @property
    def key(self) -> str:
        return instance_key(self.strategy, self.market, self.symbol)

    @property
    def actor(self) -> str:
        return strategy_actor(self.strategy)

    def valid_interval(self) -> bool:
        return self.interval in KLINE_INTERVALS


class StrategiesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instances: tuple[StrategyInstance, ...] = ()

    def with_instance(self, instance: StrategyInstance) -> StrategiesConfig:
        others = tuple(i for i in self.instances if i.key != instance.key)
        return StrategiesConfig(instances=(*others, instance))

    def get(self, key: str) -> StrategyInstance | None:
        return next((i for i in self.instances if i.key == key), None)


def instance_key(strategy: str, market: MarketType, symbol: str) -> str:
    return f"{strategy}:{market.value}:{symbol}"
