"""Binance's order-book wire format: diff-depth frames, REST snapshots and tape prints, parsed
into typed objects the engine's local books use (no JSON key leaves this module).

Spot `<sym>@depth@100ms` frames carry `U` (first update id) and `u` (final id); USD-M adds
`pu`, the previous frame's final id. A snapshot (`GET /api/v3/depth`, `/fapi/v1/depth`) carries
`lastUpdateId`. Prices and sizes stay exact (Decimal); a size of 0 removes the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.models import MarketType

Level = tuple[Decimal, Decimal]  # price, size

# Most levels a snapshot may ask for (spot allows 5000 at weight 250; 1000 costs 50 / 20).
MAX_SNAPSHOT_LIMIT = {MarketType.SPOT: 5000, MarketType.FUTURES: 1000}


@dataclass(frozen=True, slots=True)
class DepthUpdate:
    """One diff-depth frame: the levels that changed between two update ids."""

    symbol: str
    first_id: int
    final_id: int
    previous_final_id: int | None  # USD-M only
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    event_ms: int


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class TradePrint:
    """One trade on the tape (spot `trade`, USD-M `aggTrade`)."""

    symbol: str
    trade_id: int
    price: Decimal
    qty: Decimal
    buyer_is_maker: bool  # True: the taker sold
    time_ms: int


def depth_stream(symbol: str) -> str:
    """The diff-depth stream every 100 ms (spot and USD-M; USD-M on the `/public` route)."""
    return f"{symbol.lower()}@depth@100ms"


def tape_stream(market: MarketType, symbol: str) -> str:
    """Spot: every trade; USD-M: aggregate trades (on the `/market` route)."""
    return f"{symbol.lower()}@{'aggTrade' if market is MarketType.FUTURES else 'trade'}"


def _levels(rows: Sequence[Sequence[str]]) -> tuple[Level, ...]:
    return tuple((Decimal(p), Decimal(q)) for p, q, *_ in rows)


def depth_update_from_ws(data: dict[str, Any]) -> DepthUpdate:
    """A `depthUpdate` frame -> a `DepthUpdate`."""
    return DepthUpdate(
        symbol=data["s"],
        first_id=data["U"],
        final_id=data["u"],
        previous_final_id=data.get("pu"),
        bids=_levels(data["b"]),
        asks=_levels(data["a"]),
        event_ms=data["E"],
    )


def is_depth_update(data: Any) -> bool:
    return isinstance(data, dict) and data.get("e") == "depthUpdate"


def depth_snapshot_from_rest(raw: dict[str, Any]) -> DepthSnapshot:
    """The body of GET /api/v3/depth or /fapi/v1/depth -> a `DepthSnapshot`."""
    return DepthSnapshot(
        last_update_id=int(raw["lastUpdateId"]),
        bids=_levels(raw["bids"]),
        asks=_levels(raw["asks"]),
    )


def trade_from_ws(data: dict[str, Any]) -> TradePrint:
    """A `trade` or `aggTrade` frame -> a `TradePrint`."""
    trade_id = data["t"] if data.get("e") == "trade" else data["a"]
    return TradePrint(
        symbol=data["s"],
        trade_id=int(trade_id),
        price=Decimal(data["p"]),
        qty=Decimal(data["q"]),
        buyer_is_maker=bool(data["m"]),
        time_ms=int(data["T"]),
    )


def is_trade(data: Any) -> bool:
    return isinstance(data, dict) and data.get("e") in ("trade", "aggTrade")
