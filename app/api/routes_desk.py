"""The seed's endpoints: trading pairs, their selection, market data, the portfolio."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.api import reads
from app.api.acting import refuse, run
from app.api.auth import Caller, caller
from app.api.errors import ERRORS, ApiError
from app.api.schemas import CommandReply, MarketData, PairOut, PairSelectionRequest, Portfolio
from engine.commands import SelectPairs
from engine.models import MarketType, Position

router = APIRouter(responses=ERRORS)
Authed = Annotated[Caller, Depends(caller)]
INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")


@router.get("/trading-pairs", response_model=list[PairOut], summary="Every listed pair")
async def trading_pairs(
    who: Authed, market: MarketType | None = None, selected: bool = False
) -> list[PairOut]:
    """Every pair the exchange lists (its rules: tick, step, minimum notional), and whether
    the desk streams and trades it; `selected=true` for only those."""
    return await asyncio.to_thread(reads.trading_pairs, market, selected)


@router.post("/config/trading-pairs", response_model=CommandReply, summary="Choose the pairs")
async def select_pairs(who: Authed, body: PairSelectionRequest) -> CommandReply:
    """Replace the pairs of one market: the engine subscribes, backfills and trades them."""
    symbols = tuple(s.strip().upper() for s in body.symbols)
    reply = await run(who, SelectPairs(actor=who.principal.username, market=body.market,
                                       symbols=symbols))  # fmt: skip
    if not reply.ok:
        raise refuse(reply)
    return CommandReply(ok=True, code=reply.code, message=reply.message, data=reply.data)


@router.get("/market-data/{symbol}", response_model=MarketData, summary="Price, 24 h, candles")
async def market_data(
    who: Authed,
    symbol: Annotated[str, Path(pattern=r"^[A-Za-z0-9]{5,20}$")],
    market: MarketType = MarketType.SPOT,
    interval: Annotated[str, Query(pattern="^(" + "|".join(INTERVALS) + ")$")] = "1m",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MarketData:
    """The last price, the 24 h statistics and the newest `limit` candles of `interval` as
    the desk stored them (oldest first)."""
    found = await asyncio.to_thread(reads.market_data, market, symbol.upper(), interval, limit)
    if found is None:
        raise ApiError(404, "market.unknown_symbol",
                       f"The exchange lists no {market} pair {symbol.upper()}.")  # fmt: skip
    return found


@router.get("/portfolio", response_model=Portfolio, summary="Valuation, balances, positions")
async def portfolio(who: Authed) -> Portfolio:
    """The engine's latest valuation (equity, spot value, futures wallet, unrealized P&L,
    today's starting equity), spot and futures balances and open positions, exact."""
    return await asyncio.to_thread(reads.portfolio)


@router.get("/positions", response_model=list[Position], summary="Open futures positions")
async def positions(who: Authed) -> list[Position]:
    return await asyncio.to_thread(reads.positions)
