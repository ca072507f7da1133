"""Moving-average crossover with an ATR stop: the example strategy (off until an admin
switches it on).

On each closed bar, long only:
- flat, and the fast SMA crosses above the slow SMA (fast <= slow on the bar before, fast > slow
  now): buy, with a stop at this bar's close minus `atr_mult` x ATR(`atr_period`);
- long, and the fast SMA crosses below the slow one, or the bar closes below the stop: sell the
  whole holding.
Orders are market orders, so they fill at the next bar's open.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.indicators import atr, sma
from engine.strategies.api import Candles, Intent, Position, Strategy


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fast: int = Field(10, ge=2, le=500, description="bars of the fast SMA")
    slow: int = Field(30, ge=3, le=1000, description="bars of the slow SMA")
    atr_period: int = Field(14, ge=2, le=500, description="bars of the ATR")
    atr_mult: float = Field(2.0, gt=0, le=20, description="stop distance in ATRs")
    quantity: Decimal | None = Field(None, gt=0, description="base quantity per entry")
    quote_amount: Decimal | None = Field(
        Decimal(100), gt=0, description="quote amount per entry (when no quantity is given)"
    )

    @model_validator(mode="after")
    def _periods(self) -> Params:
        if self.fast >= self.slow:
            raise ValueError("the fast SMA must be shorter than the slow one")
        return self


class MaCrossover(Strategy):
    """Long when a fast SMA crosses above a slow one; out on the cross back or at an ATR stop."""

    name = "ma_crossover"
    Params = Params
    markets = ("spot",)

    def __init__(self, params: Params, pair) -> None:
        super().__init__(params, pair)
        self.stop: float | None = None

    @property
    def warmup(self) -> int:
        return max(self.params.slow, self.params.atr_period) + 1

    def on_candle(self, candles: Candles, position: Position) -> list[Intent]:
        p = self.params
        if len(candles) < self.warmup:
            return []
        close = candles.close
        fast = sma(close[-(p.fast + 1) :], p.fast)[-2:]
        slow = sma(close[-(p.slow + 1) :], p.slow)[-2:]
        if position.is_flat:
            if fast[0] <= slow[0] and fast[1] > slow[1]:
                band = atr(candles.high, candles.low, close, p.atr_period)[-1]
                self.stop = float(close[-1]) - p.atr_mult * float(band)
                size = (
                    {"quantity": p.quantity} if p.quantity else {"quote_quantity": p.quote_amount}
                )
                return [
                    Intent.buy(**size, reason=f"fast SMA crossed above slow; stop {self.stop:.8g}")
                ]
            return []
        if fast[0] >= slow[0] and fast[1] < slow[1]:
            return [Intent.sell(quantity=position.quantity, reason="fast SMA crossed below slow")]
        if self.stop is not None and close[-1] < self.stop:
            return [
                Intent.sell(quantity=position.quantity, reason=f"close below stop {self.stop:.8g}")
            ]
        return []
