"""Trader preferences that outlive a session (favourite pairs), versioned like configuration."""

from __future__ import annotations

import time
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from engine.commands import Reply, SaveFavourites
from engine.context import EngineContext
from engine.models import MarketType
from engine.store.config_versions import load_latest_config, save_config_version
from engine.venue import Venue


class Favourites(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    symbols: tuple[str, ...] = Field(default=(), max_length=200)


def favourites_kind(market: MarketType) -> str:
    return f"favourites:{market.value}"


class PreferencesComponent:
    """Handles `SaveFavourites`; pages read the latest version through app.queries."""

    name = "preferences"

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        ctx.register_handler(SaveFavourites, self._on_save_favourites)

    async def stop(self) -> None:
        self._ctx = None

    def status(self) -> dict[str, Any]:
        return {}

    async def _on_save_favourites(self, command: SaveFavourites) -> Reply:
        ctx = self._ctx
        assert ctx is not None
        known = self.venue.symbols(command.market)
        unknown = [s for s in command.symbols if s not in known]
        if unknown:
            return Reply(
                command_id=command.command_id,
                ok=False,
                code="unknown_symbols",
                message=f"Not {command.market} symbols here: {', '.join(unknown)}.",
            )
        favourites = Favourites(symbols=tuple(dict.fromkeys(command.symbols)))
        kind, now = favourites_kind(command.market), time.time_ns() // 1_000_000
        version = await ctx.store.write(
            lambda con: save_config_version(con, kind, favourites, command.actor, now)
        )
        return Reply(
            command_id=command.command_id,
            ok=True,
            data={"version": version},
            message=f"{len(favourites.symbols)} favourite {command.market} pairs saved.",
        )


def latest_favourites(cursor: duckdb.DuckDBPyConnection, market: MarketType) -> tuple[str, ...]:
    """The saved favourites of `market` (empty when never saved)."""
    stored = load_latest_config(cursor, favourites_kind(market))
    return stored.parse(Favourites).symbols if stored else ()
