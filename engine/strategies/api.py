"""What a strategy file sees: candles, its position and fills, and the intents it returns.

    from engine.strategies.api import Candles, Intent, Position, Strategy

    class Breakout(Strategy):
        class Params(BaseModel):
            lookback: int = Field(20, ge=2)

        def on_candle(self, candles: Candles, position: Position) -> list[Intent]:
            if position.is_flat and candles.close[-1] > candles.high[-21:-1].max():
                return [Intent.buy(quantity=Decimal("0.01"), reason="breakout")]
            return []

The host rounds quantities down to the pair's step and prices to its tick, as the order ticket
does; the engine then checks the order exactly as it checks a person's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.models import MarketType, OrderType, Side

CANDLE_FIELDS = ("open_time", "open", "high", "low", "close", "volume")


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pair(BaseModel):
    """The pair a strategy instance trades, with the rules its orders must meet."""

    model_config = ConfigDict(frozen=True)

    market: MarketType
    symbol: str
    interval: str
    base: str
    quote: str
    step_size: Decimal = Decimal(0)
    tick_size: Decimal = Decimal(0)


class Candles:
    """The closed candles of the strategy's pair, oldest first, as numpy arrays.

    `open_time` (ms), `open`, `high`, `low`, `close`, `volume`; `candles.close[-1]` is the bar
    that just closed. The window keeps the newest `capacity` bars.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._data = np.zeros((len(CANDLE_FIELDS), 2 * capacity))
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, row: list[float]) -> None:
        if self._end == self._data.shape[1]:
            keep = self.capacity - 1
            self._data[:, :keep] = self._data[:, self._end - keep : self._end]
            self._start, self._end = 0, keep
        self._data[:, self._end] = row
        self._end += 1
        if len(self) > self.capacity:
            self._start += 1

    def _column(self, index: int) -> np.ndarray:
        return self._data[index, self._start : self._end]

    @property
    def open_time(self) -> np.ndarray:
        return self._column(0).astype(np.int64)

    @property
    def open(self) -> np.ndarray:
        return self._column(1)

    @property
    def high(self) -> np.ndarray:
        return self._column(2)

    @property
    def low(self) -> np.ndarray:
        return self._column(3)

    @property
    def close(self) -> np.ndarray:
        return self._column(4)

    @property
    def volume(self) -> np.ndarray:
        return self._column(5)


class Position(BaseModel):
    """The strategy's own holding from its fills: base quantity (net of fees paid in the base
    asset; negative is short on futures), average entry price, realized P&L in the quote."""

    model_config = ConfigDict(frozen=True)

    quantity: Decimal = Decimal(0)
    entry_price: Decimal | None = None
    realized_pnl: Decimal = Decimal(0)

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0


class StrategyFill(BaseModel):
    """One fill of one of the strategy's own orders."""

    model_config = ConfigDict(frozen=True)

    client_order_id: str
    side: Side
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str | None
    time: int


class Intent(BaseModel):
    """An order the strategy wants: the host turns it into a `PlaceOrder` on its pair."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    side: Side
    order_type: OrderType = OrderType.MARKET
    quantity: Decimal | None = Field(None, gt=0)
    quote_quantity: Decimal | None = Field(None, gt=0)
    price: Decimal | None = Field(None, gt=0)
    stop_price: Decimal | None = Field(None, gt=0)
    stop_loss: Decimal | None = Field(None, gt=0)  # for the risk-per-trade rule, not sent
    reduce_only: bool = False
    leverage: int | None = Field(None, ge=1, le=125)
    reason: str = Field("", max_length=200)  # why: shown with the signal on the chart

    @model_validator(mode="after")
    def _one_size(self) -> Intent:
        if (self.quantity is None) == (self.quote_quantity is None):
            raise ValueError("an intent gives either a quantity or a quote amount")
        return self

    @classmethod
    def buy(cls, **fields: object) -> Intent:
        return cls.model_validate({"side": Side.BUY, **fields})

    @classmethod
    def sell(cls, **fields: object) -> Intent:
        return cls.model_validate({"side": Side.SELL, **fields})


class Strategy:
    """Base class of a strategy. Override `on_candle`, and `on_fill` if fills matter to it.

    `Params` (a pydantic model) validates the parameters an admin sets; `warmup` is how many
    closed bars the strategy needs before it can decide (the host gives it the stored history
    first, without asking it to trade on old bars).
    """

    name: ClassVar[str] = ""  # default: the file's name
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams
    markets: ClassVar[tuple[Literal["spot", "futures"], ...]] = ("spot", "futures")

    def __init__(self, params: BaseModel, pair: Pair) -> None:
        self.params = params
        self.pair = pair

    @property
    def warmup(self) -> int:
        return 1

    def on_candle(self, candles: Candles, position: Position) -> list[Intent]:
        raise NotImplementedError

    def on_fill(self, fill: StrategyFill, position: Position) -> list[Intent]:
        return []
