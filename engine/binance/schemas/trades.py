"""Binance trade history rows (GET /api/v3/myTrades, /fapi/v1/userTrades) -> fills."""

from __future__ import annotations

from engine.binance.schemas.common import Payload, _dec, _get
from engine.models import Fill, MarketType, Side


def fill_from_spot_trade(row: Payload, client_order_id: str) -> Fill:
    """One row of GET /api/v3/myTrades; the client order id comes from our orders table."""
    what = "myTrades row"
    return Fill(
        market=MarketType.SPOT,
        symbol=_get(row, "symbol", what),
        trade_id=int(_get(row, "id", what)),
        client_order_id=client_order_id,
        exchange_order_id=str(_get(row, "orderId", what)),
        side=Side.BUY if _get(row, "isBuyer", what) else Side.SELL,
        price=_dec(row, "price", what),
        qty=_dec(row, "qty", what),
        quote_qty=_dec(row, "quoteQty", what),
        commission=_dec(row, "commission", what),
        commission_asset=_get(row, "commissionAsset", what),
        is_maker=bool(_get(row, "isMaker", what)),
        time=int(_get(row, "time", what)),
    )


def fill_from_futures_trade(row: Payload, client_order_id: str) -> Fill:
    """One row of GET /fapi/v1/userTrades."""
    what = "userTrades row"
    return Fill(
        market=MarketType.FUTURES,
        symbol=_get(row, "symbol", what),
        trade_id=int(_get(row, "id", what)),
        client_order_id=client_order_id,
        exchange_order_id=str(_get(row, "orderId", what)),
        side=Side(_get(row, "side", what)),
        price=_dec(row, "price", what),
        qty=_dec(row, "qty", what),
        quote_qty=_dec(row, "quoteQty", what),
        commission=_dec(row, "commission", what),
        commission_asset=_get(row, "commissionAsset", what),
        is_maker=bool(_get(row, "maker", what)),
        realized_pnl=_dec(row, "realizedPnl", what),
        time=int(_get(row, "time", what)),
    )
