"""A USD-M symbol's leverage and margin mode: set with an order, or on their own.

An order may carry the leverage and the margin mode (isolated or cross) to trade at: both are set
before it is sent (the margin mode first, as the exchange refuses it more often), and both are
set back when the order is refused, so a refused order leaves the symbol as it was. Binance does
not change the margin mode while the symbol has a position (-4048) or open orders (-4047); the
refusal says so and what to do, and the order is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.account.state import AccountReader
from engine.binance.errors import ExchangeError
from engine.binance.rest import BinanceRest
from engine.clock import now_ms
from engine.commands import PlaceOrder, Reply, SetLeverage, SetMarginType
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.models import MarginType, MarketType
from engine.orders.recorder import OrderRecorder
from engine.orders.words import exchange_refusal, local_refusal
from engine.risk.component import Risk
from engine.store import holdings

MARGIN_WORDS = {MarginType.ISOLATED: "isolated", MarginType.CROSSED: "cross"}


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


@dataclass(frozen=True)
class Restore:
    """What to set back if the order is refused (None: it was not changed)."""

    leverage: int | None = None
    margin_type: MarginType | None = None


class FuturesSettings:
    def __init__(
        self, rest: BinanceRest, account: AccountReader, risk: Risk, recorder: OrderRecorder
    ) -> None:
        self.rest = rest
        self.account = account
        self.risk = risk
        self.recorder = recorder
        self.ctx: EngineContext | None = None

    def leverage(self, symbol: str) -> int:
        return self.account.state().leverage.get(symbol, 1)

    def margin_type(self, symbol: str) -> MarginType:
        """As last set or reported; Binance's default for a symbol never set is cross."""
        return self.account.state().margin_types.get(symbol, MarginType.CROSSED)

    # --- with an order --------------------------------------------------------------------------

    async def apply(self, command: PlaceOrder) -> Restore | Reply:
        """Set the order's margin mode and leverage; a Reply when the exchange refused one."""
        if command.market is not MarketType.FUTURES:
            return Restore()
        symbol, margin_before = command.symbol, None
        wanted_margin = command.margin_type
        if wanted_margin is not None and wanted_margin is not self.margin_type(symbol):
            margin_before = self.margin_type(symbol)
            try:
                await self._set_margin(symbol, wanted_margin)
            except ExchangeError as exc:
                code, message = margin_refusal(exc, symbol, wanted_margin, margin_before, True)
                return _reply(command, False, message, code, sent=False)
        leverage_before = None
        if command.leverage is not None and command.leverage != self.leverage(symbol):
            leverage_before = self.leverage(symbol)
            try:
                await self._set_leverage(symbol, command.leverage)
            except ExchangeError as exc:
                await self.restore(symbol, Restore(margin_type=margin_before))
                code, message = exchange_refusal(exc, "the leverage change")
                return _reply(command, False, message, code, sent=False)
        return Restore(leverage_before, margin_before)

    async def restore(self, symbol: str, restore: Restore) -> None:
        """The order was refused: set back what `apply` changed, and say so in the event log."""
        done = []
        try:
            if restore.leverage is not None:
                await self._set_leverage(symbol, restore.leverage)
                done.append(f"leverage set back to {restore.leverage}x")
            if restore.margin_type is not None:
                await self._set_margin(symbol, restore.margin_type)
                done.append(f"margin set back to {MARGIN_WORDS[restore.margin_type]}")
        except ExchangeError as exc:
            self._record(
                Level.ERROR, EventKind.LEVERAGE_RESTORED,
                f"{symbol}: the order was refused, and setting its leverage or margin mode back "
                f"failed: {exc.reason}",
            )  # fmt: skip
            return
        if done:
            self._record(
                Level.INFO, EventKind.LEVERAGE_RESTORED,
                f"{symbol}: the order was refused; " + ", ".join(done) + ".",
            )  # fmt: skip

    # --- on their own ---------------------------------------------------------------------------

    async def set_leverage(self, command: SetLeverage) -> Reply:
        refusal = self.risk.check_leverage(command.symbol, command.leverage)
        if refusal is not None:
            code, message = local_refusal(refusal)
            return _reply(command, False, message, code)
        try:
            leverage = await self._set_leverage(command.symbol, command.leverage)
        except ExchangeError as exc:
            code, message = exchange_refusal(exc, "the leverage change")
            return _reply(command, False, message, code)
        return _reply(
            command, True, f"{command.symbol} leverage is {leverage}x.", leverage=leverage
        )

    async def set_margin_type(self, command: SetMarginType) -> Reply:
        before = self.margin_type(command.symbol)
        try:
            await self._set_margin(command.symbol, command.margin_type)
        except ExchangeError as exc:
            code, message = margin_refusal(exc, command.symbol, command.margin_type, before, False)
            return _reply(command, False, message, code)
        words = MARGIN_WORDS[command.margin_type]
        return _reply(
            command, True, f"{command.symbol} now uses {words} margin.",
            margin=command.margin_type.value,
        )  # fmt: skip

    # --- the exchange ---------------------------------------------------------------------------

    async def _set_leverage(self, symbol: str, leverage: int) -> int:
        applied = await self.rest.set_leverage(symbol, leverage)
        stamp = now_ms()

        def work(con: Any) -> None:
            holdings.set_symbol_setting(con, symbol, stamp, leverage=applied)
            con.execute("UPDATE positions SET leverage = ? WHERE symbol = ?", [applied, symbol])

        await self.recorder.write(work, "holdings")
        return applied

    async def _set_margin(self, symbol: str, margin_type: MarginType) -> None:
        await self.rest.set_margin_type(symbol, margin_type)
        margin, stamp = margin_type.value, now_ms()
        await self.recorder.write(
            lambda con: holdings.set_symbol_setting(con, symbol, stamp, margin_type=margin),
            "holdings",
        )

    def _record(self, level: Level, kind: EventKind, message: str) -> None:
        if self.ctx is not None:
            self.ctx.record(level, kind, message)


def margin_refusal(
    error: ExchangeError, symbol: str, wanted: MarginType, current: MarginType, order: bool
) -> tuple[str, str]:
    """(code, message) of a refused margin change, with what to do about it."""
    code, message = exchange_refusal(error, f"the switch to {MARGIN_WORDS[wanted]} margin")
    blocker = {-4048: f"Close the {symbol} position first", -4047: f"Cancel the open {symbol} "
               "orders first"}.get(error.code)  # fmt: skip
    if blocker is None:
        return code, message
    if order:
        return code, (
            f"{message} {blocker}, or send the order in {MARGIN_WORDS[current]} margin. "
            "The order was not sent."
        )
    return code, (
        f"{message} {blocker}: Binance changes the margin mode only while the symbol has no "
        f"position and no open orders. It stays {MARGIN_WORDS[current]}."
    )
