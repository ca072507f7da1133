"""The pairs streamed per market, as stored in `config_versions` (kind `pairs:<market>`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.models import MarketType


class PairSelection(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbols: tuple[str, ...]


def selection_kind(market: MarketType) -> str:
    return f"pairs:{market}"
