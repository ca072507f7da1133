"""The tables the batch writer upserts into: columns in order, key and Arrow types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class TableSpec:
    """A table the writer upserts into: its columns (in order), key and Arrow types."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    types: tuple[pa.DataType, ...]

    def from_dicts(self, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
        """An Arrow table of `rows` (missing keys are NULL; decimals kept exact)."""
        rows = list(rows)
        arrays = [
            pa.array([_cell(row.get(name), kind) for row in rows], type=kind)
            for name, kind in zip(self.columns, self.types, strict=True)
        ]
        return pa.Table.from_arrays(arrays, names=list(self.columns))

    def key_of(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self._key_index)

    @property
    def _key_index(self) -> tuple[int, ...]:
        return tuple(self.columns.index(k) for k in self.key)


_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
DEC = pa.decimal128(38, 18)
_D = DEC
_QUANTUM = Decimal("1e-18")


def _cell(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if kind == DEC:
        return Decimal(value).quantize(_QUANTUM)
    if kind == _S:
        return str(value)
    return value


KLINES = TableSpec(
    "klines",
    ("market", "symbol", "interval", "open_time", "open", "high", "low", "close", "volume",
     "close_time", "quote_volume", "trades", "is_closed"),
    ("market", "symbol", "interval", "open_time"),
    (_S, _S, _S, _I, _F, _F, _F, _F, _F, _I, _F, _I, _B),
)  # fmt: skip
TICKERS = TableSpec(
    "tickers",
    ("market", "symbol", "last_price", "open_price", "high_price", "low_price", "price_change",
     "price_change_pct", "volume", "quote_volume", "event_time"),
    ("market", "symbol"),
    (_S, _S, _F, _F, _F, _F, _F, _F, _F, _F, _I),
)  # fmt: skip
MARK_PRICES = TableSpec(
    "mark_prices",
    ("symbol", "mark_price", "index_price", "funding_rate", "next_funding_time", "event_time"),
    ("symbol",),
    (_S, _F, _F, _F, _I, _I),
)

ORDERS = TableSpec(
    "orders",
    ("client_order_id", "market", "symbol", "side", "order_type", "time_in_force", "quantity",
     "quote_quantity", "price", "stop_price", "reduce_only", "post_only", "status",
     "exchange_order_id", "executed_qty", "cum_quote", "avg_price", "reason", "actor",
     "created_ms", "updated_ms", "order_list_id", "list_client_id", "position_side"),
    ("client_order_id",),
    (_S, _S, _S, _S, _S, _S, _D, _D, _D, _D, _B, _B, _S, _S, _D, _D, _D, _S, _S, _I, _I,
     _S, _S, _S),
)  # fmt: skip
FILLS = TableSpec(
    "fills",
    ("market", "symbol", "trade_id", "client_order_id", "exchange_order_id", "side", "price",
     "qty", "quote_qty", "commission", "commission_asset", "is_maker", "realized_pnl", "time"),
    ("market", "symbol", "trade_id"),
    (_S, _S, _I, _S, _S, _S, _D, _D, _D, _D, _S, _B, _D, _I),
)  # fmt: skip
BALANCES = TableSpec(
    "balances",
    ("market", "asset", "free", "locked", "updated_ms"),
    ("market", "asset"),
    (_S, _S, _D, _D, _I),
)
POSITIONS = TableSpec(
    "positions",
    ("symbol", "position_side", "amount", "entry_price", "mark_price", "unrealized_pnl",
     "leverage", "margin_type", "isolated_margin", "liquidation_price", "notional", "updated_ms"),
    ("symbol", "position_side"),
    (_S, _S, _D, _D, _D, _D, _I, _S, _D, _D, _D, _I),
)  # fmt: skip

# --- order books (issue 15): samples a user queries later, not every update ---------------------
BOOK_TOP = TableSpec(
    "book_top",
    ("market", "symbol", "time", "bid", "bid_qty", "ask", "ask_qty", "mid", "spread",
     "spread_bps", "bid_depth_10bps", "ask_depth_10bps", "bid_depth_50bps", "ask_depth_50bps",
     "bid_depth_100bps", "ask_depth_100bps", "update_id"),
    ("market", "symbol", "time"),
    (_S, _S, _I, _F, _F, _F, _F, _F, _F, _F, _F, _F, _F, _F, _F, _F, _I),
)  # fmt: skip
BOOK_LEVELS = TableSpec(
    "book_levels",
    ("market", "symbol", "side", "level", "price", "qty", "time", "update_id"),
    ("market", "symbol", "side", "level"),
    (_S, _S, _S, _I, _D, _D, _I, _I),
)
BOOK_STATE = TableSpec(
    "book_state",
    ("market", "symbol", "state", "reason", "update_id", "last_event_ms", "resyncs", "gaps",
     "time"),
    ("market", "symbol"),
    (_S, _S, _S, _S, _I, _I, _I, _I, _I),
)  # fmt: skip
TAPE = TableSpec(
    "tape",
    ("market", "symbol", "trade_id", "price", "qty", "buyer_is_maker", "time"),
    ("market", "symbol", "trade_id"),
    (_S, _S, _I, _D, _D, _B, _I),
)
BOOK_SPECS = (BOOK_TOP, BOOK_LEVELS, BOOK_STATE, TAPE)
