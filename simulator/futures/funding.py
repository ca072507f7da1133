"""USD-M funding: every 8 hours each open position pays or receives notional × rate."""

from __future__ import annotations

from decimal import Decimal

from simulator.futures import wire
from simulator.futures.margin import MarginType
from simulator.futures.state import TradingState

FUNDING_INTERVAL_MS = 8 * 3600 * 1000
DEFAULT_FUNDING_RATE = Decimal("0.0001")


class Funding:
    def __init__(self, state: TradingState, rate: Decimal = DEFAULT_FUNDING_RATE) -> None:
        self.state = state
        self.rates = dict.fromkeys(state.specs, rate)
        self.scheduled: dict[str, dict[int, Decimal]] = {s: {} for s in state.specs}

    def next_time(self, now_ms: int | None = None) -> int:
        now = self.state.now_ms if now_ms is None else now_ms
        return (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS

    def rate_at(self, symbol: str, funding_time: int) -> Decimal:
        return self.scheduled[symbol].get(funding_time, self.rates[symbol])

    def times_until(self, now_ms: int) -> list[int]:
        """Funding times after the exchange's time, up to and including `now_ms`."""
        return list(range(self.next_time(), now_ms + 1, FUNDING_INTERVAL_MS))

    def settle(self) -> None:
        """Charge every open position for the funding time that is now."""
        state = self.state
        marks = state.marks()
        for key in state.account.open_symbols():
            symbol = state.account.positions[key].symbol
            rate = self.rate_at(symbol, state.now_ms)
            income = state.account.apply_funding(key, marks[symbol], rate, state.now_ms)
            isolated = state.account.settings_for(symbol).margin_type is MarginType.ISOLATED
            shown = [key] if isolated else []
            state.emit(
                wire.account_update(
                    state.account, "FUNDING_FEE", shown, marks, state.now_ms, balance_change=income
                )
            )
