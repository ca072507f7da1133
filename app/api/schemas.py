"""What the API takes and answers. Requests are the engine's own command models (without the
actor, which is the token's user); answers carry exact decimals as strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from engine.clock import now_ms
from engine.commands import Command, PlaceOrder, Reply
from engine.models import (
    Balance,
    MarginBalance,
    MarketType,
    PlainDecimals,
    Position,
    TradingPair,
)
from engine.orders.commands import PlaceOco

SYMBOL = r"^[A-Z0-9]{5,20}$"


def body_of(command: type[Command], name: str) -> type[BaseModel]:
    """`command`'s fields without `actor` and `command_id`, as a request body (same types,
    same bounds; the command's own cross-field checks run when it is built)."""
    fields: dict[str, Any] = {
        n: (f.annotation, f) for n, f in command.model_fields.items()
        if n not in ("actor", "command_id")
    }  # fmt: skip
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=command.__doc__,
                        **fields)  # fmt: skip


OrderRequest = body_of(PlaceOrder, "OrderRequest")
OcoRequest = body_of(PlaceOco, "OcoRequest")


class PairSelectionRequest(BaseModel):
    """The pairs the desk streams and trades in one market (replaces the selection)."""

    model_config = ConfigDict(extra="forbid")
    market: MarketType = MarketType.SPOT
    symbols: list[str] = Field(max_length=200)


class KillSwitchTrip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class PairOut(PlainDecimals):
    pair: TradingPair
    selected: bool


class Order(PlainDecimals):
    """An order as the desk holds it (the exchange's latest word on it)."""

    client_order_id: str
    market: MarketType
    symbol: str
    side: str
    order_type: str
    time_in_force: str | None
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    reduce_only: bool | None
    post_only: bool | None
    status: str
    exchange_order_id: str | None
    executed_qty: Decimal | None
    avg_price: Decimal | None
    reason: str | None
    actor: str | None
    created_ms: int
    updated_ms: int


class FillOut(PlainDecimals):
    market: MarketType
    symbol: str
    trade_id: int
    client_order_id: str | None
    side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal | None
    commission: Decimal | None
    commission_asset: str | None
    is_maker: bool | None
    realized_pnl: Decimal | None
    time: int


class OrderReply(PlainDecimals):
    """The engine's answer to an order: `order` as stored once it went out."""

    ok: bool
    code: str | None
    message: str
    duplicate: bool = False
    order: Order | None = None


class Candle(PlainDecimals):
    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    is_closed: bool


class MarketData(PlainDecimals):
    market: MarketType
    symbol: str
    last_price: float | None
    ticker: dict[str, Any] | None
    interval: str
    candles: list[Candle]


class Portfolio(PlainDecimals):
    """One valuation of the account, with what it is made of."""

    valued_ms: int | None
    equity: Decimal | None
    spot_value: Decimal | None
    futures_wallet: Decimal | None
    unrealized_pnl: Decimal | None
    day_start_equity: Decimal | None
    balances: list[Balance]
    futures_balances: list[MarginBalance]
    positions: list[Position]


class KillSwitchState(PlainDecimals):
    on: bool
    reason: str | None
    tripped_by: str | None
    tripped_at: int | None
    action: str | None
    outstanding: list[str]
    checked_at: int | None


class CommandReply(PlainDecimals):
    ok: bool
    code: str | None
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


def order_of(command: PlaceOrder, reply: Reply) -> Order:
    """The order as the engine's answer describes it (its row is written in the next batch)."""
    data, stamp = reply.data, now_ms()
    return Order(
        client_order_id=str(data.get("client_order_id") or command.client_order_id),
        market=command.market, symbol=command.symbol, side=str(command.side),
        order_type=str(command.order_type),
        time_in_force=str(command.time_in_force) if command.time_in_force else None,
        quantity=command.quantity, quote_quantity=command.quote_quantity, price=command.price,
        stop_price=command.stop_price, reduce_only=command.reduce_only,
        post_only=command.post_only, status=str(data.get("status", "PENDING_NEW")),
        exchange_order_id=data.get("exchange_order_id"),
        executed_qty=_decimal(data.get("executed_qty")), avg_price=_decimal(data.get("avg_price")),
        reason=None, actor=command.actor, created_ms=stamp, updated_ms=stamp,
    )  # fmt: skip


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "", "None") else Decimal(str(value))
