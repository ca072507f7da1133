"""Every intent a strategy returns, stored with its outcome in `strategy_signals`."""

from __future__ import annotations

from typing import Any

from engine.clock import now_ms
from engine.context import EngineContext
from engine.store.strategy_rows import next_signal_seq, upsert_signals
from engine.strategies.api import Intent
from engine.strategies.config import StrategyInstance

LIVE_RUN = "live"  # signals of the engine's own trading (a replay's are re-tagged with its run)


class Signals:
    def __init__(self, run_id: str = LIVE_RUN) -> None:
        self.run_id = run_id
        self._seq = 0
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._seq = await ctx.store.write(lambda con: next_signal_seq(con, self.run_id)) - 1

    def new(self, config: StrategyInstance, intent: Intent, candle_time: int) -> dict[str, Any]:
        self._seq += 1
        return {
            "run_id": self.run_id, "seq": self._seq, "strategy": config.strategy,
            "market": config.market.value, "symbol": config.symbol,
            "interval": config.interval, "candle_time": candle_time, "time": now_ms(),
            "side": intent.side.value, "order_type": intent.order_type.value,
            "quantity": intent.quantity, "quote_quantity": intent.quote_quantity,
            "price": intent.price, "reason": intent.reason,
        }  # fmt: skip

    async def store(
        self,
        signal: dict[str, Any],
        outcome: str,
        code: str | None,
        message: str,
        client_order_id: str | None = None,
    ) -> None:
        row = {**signal, "outcome": outcome, "code": code, "message": message[:500],
               "client_order_id": client_order_id}  # fmt: skip
        assert self._ctx is not None
        await self._ctx.store.write(lambda con: upsert_signals(con, [row]))
