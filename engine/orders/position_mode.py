"""The USD-M position mode: one-way (one BOTH position per symbol) or hedge (a LONG and a SHORT).

The exchange's answer is the truth: the mode is read at every reconciliation (a change made
outside the desk shows up) and after every switch, and kept in `account_settings`, so the
account reading (`AccountState.hedge_mode`) and the pages see it. Binance changes the mode only
with no open position (-4068) and no open order (-4067) on any symbol; those refusals are
relayed with what to do.
"""

from __future__ import annotations

from typing import Any

from engine.binance.errors import ExchangeError, NothingToChange
from engine.binance.rest import BinanceRest
from engine.clock import now_ms
from engine.commands import Reply
from engine.orders.commands import SetPositionMode
from engine.orders.recorder import OrderRecorder
from engine.orders.words import exchange_refusal
from engine.store import holdings

_WHAT_TO_DO = {
    -4067: "Cancel every open futures order first (Orders page), then switch.",
    -4068: "Close every futures position first (Portfolio), then switch.",
}


def mode_words(hedge: bool) -> str:
    return "hedge mode (a long and a short per symbol)" if hedge else "one-way mode"


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


async def store_mode(recorder: OrderRecorder, hedge: bool) -> None:
    """Keep the exchange's mode where the account reading and the pages find it."""
    value, stamp = "true" if hedge else "false", now_ms()
    await recorder.write(
        lambda con: holdings.set_account_setting(con, holdings.HEDGE_MODE, value, stamp),
        part="holdings",
    )


async def read_mode(rest: BinanceRest, recorder: OrderRecorder) -> bool:
    """Ask the exchange for the mode, and keep it."""
    hedge = await rest.hedge_mode()
    await store_mode(recorder, hedge)
    return hedge


async def set_position_mode(
    rest: BinanceRest, recorder: OrderRecorder, command: SetPositionMode
) -> Reply:
    """Switch the mode at the exchange; say plainly why not when Binance refuses."""
    wanted = mode_words(command.hedge)
    try:
        await rest.set_hedge_mode(command.hedge)
    except NothingToChange:
        await store_mode(recorder, command.hedge)
        return _reply(command, True, f"The futures account is already in {wanted}.",
                      hedge=command.hedge)  # fmt: skip
    except ExchangeError as exc:
        code, message = exchange_refusal(exc, f"the switch to {wanted}")
        advice = _WHAT_TO_DO.get(exc.code or 0, "")
        return _reply(command, False, f"{message} {advice}".strip(), code)
    await store_mode(recorder, command.hedge)
    return _reply(command, True, f"The futures account is now in {wanted}.", hedge=command.hedge)
