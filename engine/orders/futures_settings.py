"""A futures symbol's leverage and margin type: set by command, or with an order and set back.

A futures order may carry its leverage: it is set before the order is sent and set back when
the exchange refuses the order, so a refused order leaves the account as it was.
"""

from __future__ import annotations

from typing import Any

from engine.account.state import AccountReader
from engine.binance.errors import ExchangeError
from engine.binance.rest import BinanceRest
from engine.clock import now_ms
from engine.commands import PlaceOrder, Reply, SetLeverage, SetMarginType
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import MarketType
from engine.orders.recorder import OrderRecorder
from engine.orders.words import exchange_refusal, local_refusal
from engine.risk.component import Risk
from engine.store import holdings


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class FuturesSettings:
    def __init__(
        self, rest: BinanceRest, account: AccountReader, risk: Risk, recorder: OrderRecorder
    ) -> None:
        self.rest = rest
        self.account = account
        self.risk = risk
        self.recorder = recorder
        self.ctx: EngineContext | None = None

    def current_leverage(self, symbol: str) -> int:
        return self.account.state().leverage.get(symbol, 1)

    async def apply_for(self, command: PlaceOrder) -> int | Reply | None:
        """Set the order's leverage first; return the one to set back if the order is refused."""
        if command.leverage is None or command.market is not MarketType.FUTURES:
            return None
        before = self.current_leverage(command.symbol)
        if before == command.leverage:
            return None
        try:
            await self._set(command.symbol, command.leverage)
        except ExchangeError as exc:
            code, message = exchange_refusal(exc, "the leverage change")
            return _reply(command, False, message, code, sent=False)
        return before

    async def restore(self, symbol: str, leverage: int) -> None:
        try:
            await self._set(symbol, leverage)
        except ExchangeError as exc:
            self._record(
                Level.ERROR, EventKind.LEVERAGE_RESTORED,
                f"{symbol}: the order was refused, and setting the leverage back to "
                f"{leverage}x failed: {exc.reason}",
            )  # fmt: skip
            return
        self._record(
            Level.INFO, EventKind.LEVERAGE_RESTORED,
            f"{symbol}: the order was refused; leverage set back to {leverage}x.",
        )  # fmt: skip

    async def _set(self, symbol: str, leverage: int) -> int:
        applied = await self.rest.set_leverage(symbol, leverage)
        stamp = now_ms()

        def work(con: Any) -> None:
            holdings.set_symbol_setting(con, symbol, stamp, leverage=applied)
            con.execute("UPDATE positions SET leverage = ? WHERE symbol = ?", [applied, symbol])

        await self.recorder.write(work, "holdings")
        return applied

    async def set_leverage(self, command: SetLeverage) -> Reply:
        refusal = self.risk.check_leverage(command.symbol, command.leverage)
        if refusal is not None:
            code, message = local_refusal(refusal)
            return _reply(command, False, message, code)
        try:
            leverage = await self._set(command.symbol, command.leverage)
        except ExchangeError as exc:
            code, message = exchange_refusal(exc, "the leverage change")
            return _reply(command, False, message, code)
        return _reply(
            command, True, f"{command.symbol} leverage is {leverage}x.", leverage=leverage
        )

    async def set_margin_type(self, command: SetMarginType) -> Reply:
        try:
            await self.rest.set_margin_type(command.symbol, command.margin_type)
        except ExchangeError as exc:
            code, message = exchange_refusal(exc, "the margin change")
            return _reply(command, False, message, code)
        margin, stamp = command.margin_type.value, now_ms()
        await self.recorder.write(
            lambda con: holdings.set_symbol_setting(con, command.symbol, stamp, margin_type=margin),
            "holdings",
        )
        words = "isolated" if margin == "ISOLATED" else "cross"
        return _reply(command, True, f"{command.symbol} now uses {words} margin.", margin=margin)

    def _record(self, level: Level, kind: EventKind, message: str) -> None:
        if self.ctx is not None:
            self.ctx.record(level, kind, message)
