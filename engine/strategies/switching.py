"""Whether a strategy may be switched on or off for a pair: who asks, and what the desk has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.commands import SetStrategy
from engine.market.component import MarketData
from engine.strategies.catalogue import Entry
from engine.strategies.config import StrategyInstance
from engine.venue import Venue


class SwitchRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Desk:
    """What the check looks at: the catalogue, the exchange's pairs, what the desk streams."""

    catalogue: Mapping[str, Entry]
    folder: Path | None
    venue: Venue
    market: MarketData
    intervals: tuple[str, ...]


def check_switch(command: SetStrategy, config: StrategyInstance, host: Desk) -> None:
    """Raise SwitchRefused with a code and a reason a person can act on."""
    entry = host.catalogue.get(config.strategy)
    if entry is None:
        raise SwitchRefused("strategy.unknown", f"No strategy called {config.strategy} in the "
                            f"strategies folder ({host.folder}).")  # fmt: skip
    if not entry.ok:
        raise SwitchRefused("strategy.unavailable", f"{config.strategy} does not load: "
                            f"{entry.error}")  # fmt: skip
    if config.market.value not in (entry.description.get("markets") or []):
        raise SwitchRefused("strategy.market", f"{config.strategy} does not trade {config.market}.")
    _check_pair(config, host)


def _check_pair(config: StrategyInstance, host: Desk) -> None:
    if not config.enabled:
        return
    if host.venue.pair(config.market, config.symbol) is None:
        raise SwitchRefused("strategy.unknown_symbol",
                            f"The exchange lists no {config.market} {config.symbol}.")  # fmt: skip
    streamed = host.intervals
    if config.interval not in streamed:
        raise SwitchRefused(
            "strategy.interval_not_streamed",
            f"The desk streams {', '.join(streamed)} candles, not {config.interval}: set "
            "TRADEDESK_KLINE_INTERVALS to include it.",
        )
    if config.symbol not in host.market.selected(config.market):
        raise SwitchRefused(
            "strategy.pair_not_selected",
            f"{config.symbol} is not a selected {config.market} pair: select it on the Pairs "
            "page first, so its candles stream.",
        )
