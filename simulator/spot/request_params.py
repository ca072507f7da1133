"""Request parameters of the spot REST API: symbols, order fields, order ids, time ranges, and
the request weights that depend on them. Every malformed value is Binance's refusal."""

from __future__ import annotations

import re
from decimal import Decimal

import orjson

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.spot.matching import OrderRequest
from simulator.spot.symbols import ORDER_TYPES, SymbolSpec, SymbolTable

SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
CLIENT_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
_SYMBOLS = re.compile(SYMBOLS_RANGE)
_CLIENT_ID = re.compile(CLIENT_ID_RANGE)
SIDES = ("BUY", "SELL")
TIFS = ("GTC", "IOC", "FOK")
RESP_TYPES = ("ACK", "RESULT", "FULL")


def symbol_spec(symbols: SymbolTable, params: Params, required: bool = True) -> SymbolSpec | None:
    name = params.symbol(symbols.specs, required)
    return None if name is None else symbols.specs[name]


def required_spec(symbols: SymbolTable, params: Params) -> SymbolSpec:
    spec = symbol_spec(symbols, params)
    assert spec is not None
    return spec


def symbol_list(symbols: SymbolTable, params: Params) -> list[SymbolSpec] | None:
    """`symbols=["BTCUSDT","ETHUSDT"]`, or None when absent."""
    raw = params.text("symbols", max_len=20_000)
    if raw is None:
        return None
    if not _SYMBOLS.match(raw):
        raise errors.illegal_chars("symbols", SYMBOLS_RANGE)
    names = orjson.loads(raw)
    if not names:
        raise errors.mandatory("symbols")
    specs = [symbols.get(n) for n in names]
    if any(s is None for s in specs):
        raise errors.invalid_symbol()
    return [s for s in specs if s is not None]


def chosen_symbols(symbols: SymbolTable, params: Params) -> tuple[list[SymbolSpec], bool]:
    """(specs, single): `symbol`, else `symbols`, else every symbol."""
    if params.has("symbol") and params.has("symbols"):
        raise ApiError(-1101, "Too many parameters; expected 'symbol' or 'symbols'.")
    single = symbol_spec(symbols, params, required=False)
    if single is not None:
        return [single], True
    many = symbol_list(symbols, params)
    return (many if many is not None else list(symbols.specs.values())), False


def client_id(params: Params, name: str) -> str | None:
    value = params.values.get(name)
    if value is None:
        return None
    if value == "":
        raise ApiError(
            -1118 if name == "newClientOrderId" else -1119,
            "New order client ID was empty."
            if name == "newClientOrderId"
            else "Original order client ID was empty.",
        )
    if not _CLIENT_ID.match(value):
        raise errors.illegal_chars(name, CLIENT_ID_RANGE)
    return value


def many_weight(params: Params, one: int, many: int, all_: int) -> int:
    if params.has("symbol"):
        return one
    if params.has("symbols"):
        return many
    return all_


def price_weight(params: Params) -> int:
    """ticker/price and ticker/bookTicker."""
    return many_weight(params, 2, 4, 4)


def open_orders_weight(params: Params) -> int:
    return 6 if params.has("symbol") else 80


def test_order_weight(params: Params) -> int:
    return 20 if params.values.get("computeCommissionRates") == "true" else 1


def depth_weight(params: Params) -> int:
    raw = params.values.get("limit", "")
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 100
    for bound, weight in ((100, 5), (500, 25), (1000, 50)):
        if limit <= bound:
            return weight
    return 250


def ticker_weight(params: Params) -> int:
    if params.has("symbol"):
        return 2
    raw = params.values.get("symbols")
    if raw is None:
        return 80
    count = raw.count(",") + 1
    return 2 if count <= 20 else 40 if count <= 100 else 80


# ---- order parameters -----------------------------------------------------------------------
def forbid(params: Params, name: str, code: int = -1106) -> None:
    if params.has(name):
        if code == -1114:
            raise ApiError(-1114, "TimeInForce parameter sent when not required.")
        raise errors.not_required(name)


def order_request(symbols: SymbolTable, params: Params) -> OrderRequest:
    """Parses and cross-checks POST /api/v3/order parameters (Binance's -11xx checks)."""
    spec = symbol_spec(symbols, params)
    assert spec is not None
    side = params.enum("side", SIDES, ApiError(-1117, "Invalid side."), required=True)
    order_type = params.enum(
        "type", ORDER_TYPES, ApiError(-1116, "Invalid orderType."), required=True
    )
    tif = params.enum("timeInForce", TIFS, ApiError(-1115, "Invalid timeInForce."))
    quantity = params.decimal("quantity")
    quote_qty = params.decimal("quoteOrderQty")
    price = params.decimal("price")
    stop_price = params.decimal("stopPrice")
    if params.has("trailingDelta"):
        raise ApiError(-1014, "Unsupported order combination.")
    if params.has("icebergQty") and (params.decimal("icebergQty") or 0) > 0:
        raise ApiError(-1014, "Unsupported order combination.")
    params.enum("newOrderRespType", RESP_TYPES, errors.invalid_value("newOrderRespType"))
    _check_combination(params, order_type or "", quantity, quote_qty)
    return OrderRequest(
        spec=spec,
        side=side or "",
        type=order_type or "",
        time_in_force=tif,
        quantity=quantity,
        quote_qty=quote_qty,
        price=price,
        stop_price=stop_price,
        client_order_id=client_id(params, "newClientOrderId"),
    )


def _check_combination(
    params: Params, order_type: str, quantity: Decimal | None, quote_qty: Decimal | None
) -> None:
    _check_amounts(params, order_type, quantity, quote_qty)
    needs_price = order_type in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    needs_tif = order_type in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
    needs_stop = order_type in ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
    _check_needed(params, "timeInForce", needs_tif, not_required_code=-1114)
    _check_needed(params, "price", needs_price)
    _check_needed(params, "stopPrice", needs_stop)


def _check_amounts(
    params: Params, order_type: str, quantity: Decimal | None, quote_qty: Decimal | None
) -> None:
    """MARKET takes quantity or quoteOrderQty (one of them); every other type a quantity."""
    if order_type == "MARKET":
        if quantity is None and quote_qty is None:
            raise errors.either_mandatory("quantity", "quoteOrderQty")
        if quantity is not None and quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
    else:
        forbid(params, "quoteOrderQty")
        if quantity is None:
            raise errors.mandatory("quantity")


def _check_needed(params: Params, name: str, needed: bool, not_required_code: int = -1106) -> None:
    if needed and not params.has(name):
        raise errors.mandatory(name)
    if not needed:
        forbid(params, name, code=not_required_code)


def default_resp_type(order_type: str) -> str:
    return "FULL" if order_type in ("MARKET", "LIMIT") else "ACK"


def order_id_pair(
    params: Params, orig_name: str = "origClientOrderId", id_name: str = "orderId"
) -> tuple[int | None, str | None]:
    order_id = params.integer(id_name)
    orig = client_id(params, orig_name)
    if order_id is None and orig is None:
        raise errors.either_mandatory(id_name, orig_name)
    return order_id, orig


def time_range(params: Params) -> tuple[int | None, int | None]:
    start, end = params.integer("startTime"), params.integer("endTime")
    if start is not None and end is not None and start > end:
        raise ApiError(-1023, "Start time is greater than end time.")
    return start, end
