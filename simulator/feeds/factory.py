"""Builds a price feed from its spec: ``synthetic`` | ``replay:PATH`` | ``live:URL``."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.feeds.base import FeedSymbol, PriceFeed
from simulator.feeds.live import LiveFeed
from simulator.feeds.replay import ReplayFeed
from simulator.feeds.synthetic import SyntheticFeed

FEED_KINDS = ("synthetic", "replay:PATH", "live:URL")


def make_feed(spec: str, symbols: Sequence[FeedSymbol], seed: int, start_ms: int) -> PriceFeed:
    """The feed a spec names; a bad spec raises ValueError saying what was expected.

    A replay feed gets synthetic prices for the symbols its files do not cover.
    """
    kind, _, argument = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "synthetic" and not argument:
        return SyntheticFeed(symbols, seed=seed, start_ms=start_ms)
    if kind == "replay" and argument:
        return ReplayFeed.from_spec(argument, symbols, seed, start_ms, fallback=SyntheticFeed)
    if kind == "live" and argument:
        return LiveFeed.from_spec(argument, symbols, seed=seed, start_ms=start_ms)
    raise ValueError(f"bad feed spec {spec!r}: expected one of {', '.join(FEED_KINDS)}")
