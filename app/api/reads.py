"""What the API reads from the desk's DuckDB (a reader cursor per call, exact decimals)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app import db, queries
from app.api.schemas import Candle, FillOut, MarketData, Order, PairOut, Portfolio
from app.risk_view import kill_switch
from engine.models import (
    OPEN_STATUSES,
    Balance,
    MarginBalance,
    MarginType,
    MarketType,
    Position,
    TradingPair,
)
from engine.risk.kill_switch import KillSwitch

ORDER_COLUMNS = """client_order_id, market, symbol, side, order_type, time_in_force, quantity,
    quote_quantity, price, stop_price, reduce_only, post_only, status, exchange_order_id,
    executed_qty, avg_price, reason, actor, created_ms, updated_ms"""
FILL_COLUMNS = """market, symbol, trade_id, client_order_id, side, price, qty, quote_qty,
    commission, commission_asset, is_maker, realized_pnl, time"""
MAX_ROWS = 1000


def plain(value: Any) -> Any:
    """A stored decimal as written (20000, 0.001), not DuckDB's scale (20000.000000000000000000)."""
    return Decimal(format(value.normalize(), "f")) if isinstance(value, Decimal) else value


def rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with db.store().reader() as cur:
        result = cur.execute(sql, params)
        names = [d[0] for d in result.description]
        return [{n: plain(v) for n, v in zip(names, row, strict=True)} for row in result.fetchall()]


def trading_pairs(market: MarketType | None, selected_only: bool) -> list[PairOut]:
    pairs = [
        TradingPair.model_validate_json(r["pair"]) for r in rows(
            "SELECT pair FROM symbols WHERE (? IS NULL OR market = ?) ORDER BY market, symbol",
            [_m(market), _m(market)],
        )
    ]  # fmt: skip
    chosen = {m: set(queries.selected_pairs(m)) for m in MarketType}
    out = [PairOut(pair=p, selected=p.symbol in chosen[p.market]) for p in pairs]
    return [p for p in out if p.selected] if selected_only else out


def market_data(market: MarketType, symbol: str, interval: str, limit: int) -> MarketData | None:
    if queries.trading_pair(market, symbol) is None:
        return None
    tickers = rows(
        "SELECT last_price, open_price, high_price, low_price, price_change, price_change_pct, "
        "volume, quote_volume, event_time FROM tickers WHERE market = ? AND symbol = ?",
        [str(market), symbol],
    )
    candles = rows(
        "SELECT open_time, open, high, low, close, volume, is_closed FROM klines WHERE "
        "market = ? AND symbol = ? AND interval = ? ORDER BY open_time DESC LIMIT ?",
        [str(market), symbol, interval, limit],
    )
    return MarketData(
        market=market, symbol=symbol, last_price=queries.last_price(market, symbol),
        ticker=tickers[0] if tickers else None, interval=interval,
        candles=[Candle(**c) for c in reversed(candles)],
    )  # fmt: skip


def order(client_order_id: str) -> Order | None:
    found = rows(f"SELECT {ORDER_COLUMNS} FROM orders WHERE client_order_id = ?", [client_order_id])
    return Order(**found[0]) if found else None


def open_orders(market: MarketType | None, symbol: str | None) -> list[Order]:
    found = rows(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE status IN (SELECT unnest(?)) AND "
        "(? IS NULL OR market = ?) AND (? IS NULL OR symbol = ?) ORDER BY created_ms DESC LIMIT ?",
        [sorted(OPEN_STATUSES), _m(market), _m(market), symbol, symbol, MAX_ROWS],
    )
    return [Order(**r) for r in found]


def fills(since_ms: int, symbol: str | None, limit: int) -> list[FillOut]:
    found = rows(
        f"SELECT {FILL_COLUMNS} FROM fills WHERE time >= ? AND (? IS NULL OR symbol = ?) "
        "ORDER BY time, trade_id LIMIT ?",
        [since_ms, symbol, symbol, min(limit, MAX_ROWS)],
    )
    return [FillOut(**r) for r in found]


def positions() -> list[Position]:
    return [
        _position(r) for r in rows("SELECT * FROM positions WHERE amount <> 0 ORDER BY symbol", [])
    ]


def _position(row: dict[str, Any]) -> Position:
    margin = row.get("margin_type")
    return Position(
        symbol=row["symbol"], position_side=row.get("position_side") or "BOTH",
        amount=row["amount"], entry_price=row["entry_price"] or Decimal(0),
        mark_price=row["mark_price"], unrealized_pnl=row["unrealized_pnl"] or Decimal(0),
        leverage=row["leverage"], margin_type=MarginType(margin) if margin else None,
        isolated_margin=row["isolated_margin"] or Decimal(0),
        liquidation_price=row["liquidation_price"], notional=row["notional"],
        time=row["updated_ms"],
    )  # fmt: skip


def portfolio() -> Portfolio:
    valuation = rows(
        "SELECT time, equity, spot_value, futures_wallet, unrealized_pnl, day_start_equity "
        "FROM valuation ORDER BY time DESC LIMIT 1",
        [],
    )
    v = valuation[0] if valuation else {}
    balances = rows(
        "SELECT market, asset, free, locked, updated_ms FROM balances WHERE free + locked > 0 "
        "ORDER BY market, asset",
        [],
    )
    return Portfolio(
        valued_ms=v.get("time"), equity=v.get("equity"), spot_value=v.get("spot_value"),
        futures_wallet=v.get("futures_wallet"), unrealized_pnl=v.get("unrealized_pnl"),
        day_start_equity=v.get("day_start_equity"),
        balances=[Balance(asset=b["asset"], free=b["free"], locked=b["locked"],
                          time=b["updated_ms"]) for b in balances if b["market"] == "spot"],
        futures_balances=[
            MarginBalance(asset=b["asset"], wallet_balance=b["free"] + b["locked"],
                          cross_wallet_balance=b["free"] + b["locked"], available=b["free"],
                          time=b["updated_ms"])
            for b in balances if b["market"] == "futures"
        ],
        positions=positions(),
    )  # fmt: skip


def kill_switch_state() -> KillSwitch:
    return kill_switch()


def _m(market: MarketType | None) -> str | None:
    return None if market is None else str(market)
