"""Favourite pairs: stored by the engine as versioned preferences (`favourites:<market>`)."""

from __future__ import annotations

from app import commands
from app.runtime import get_engine
from engine.commands import Reply, SaveFavourites
from engine.models import MarketType
from engine.preferences import latest_favourites


def favourites(market: MarketType) -> list[str]:
    """The market's favourite symbols, as last saved."""
    store = get_engine().store
    assert store is not None
    with store.reader() as cur:
        return list(latest_favourites(cur, market))


def set_favourite(market: MarketType, symbol: str, on: bool) -> Reply:
    """Add or remove one favourite through the engine; the reply says whether it was kept."""
    current = [s for s in favourites(market) if s != symbol]
    if on:
        current.append(symbol)
    command = SaveFavourites(
        actor=commands.current_actor(), market=market, symbols=tuple(sorted(current))
    )
    return commands.send(command)
