"""USD-M accounting for one account: positions (one-way: one per symbol; hedge mode: a LONG and a
SHORT per symbol, keyed `symbol:LONG` / `symbol:SHORT`), margin, fees, funding, liquidation.

Pure state and arithmetic; no I/O. Every amount is a Decimal. Wallet movements (commission,
funding, realized P&L, clearance fees) are rounded to 8 decimals, as Binance books them, and each
one is recorded as an income entry, so the wallet always equals its deposits plus its incomes.
The formulas are in `margin.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.futures.margin import (
    ZERO,
    Fill,
    FillOutcome,
    IncomeEntry,
    LiquidationFill,
    MarginType,
    Position,
    PositionView,
    SymbolSettings,
    book,
    initial_margin,
    liquidation_price,
    position_key,
    unrealized_pnl,
)
from simulator.futures.symbols import MAKER_FEE_RATE, TAKER_FEE_RATE, FuturesSymbol


@dataclass
class FuturesAccount:
    """One USD-M account. `cross_wallet` excludes the isolated wallets held by positions."""

    specs: Mapping[str, FuturesSymbol]
    cross_wallet: Decimal = ZERO
    positions: dict[str, Position] = field(default_factory=dict)
    settings: dict[str, SymbolSettings] = field(default_factory=dict)
    incomes: list[IncomeEntry] = field(default_factory=list)
    next_tran_id: int = 1
    dual_side: bool = False  # hedge mode (POST /fapi/v1/positionSide/dual)

    # --- wallet ---

    @property
    def wallet_balance(self) -> Decimal:
        return self.cross_wallet + sum((p.isolated_wallet for p in self.positions.values()), ZERO)

    def deposit(self, amount: Decimal, time: int) -> None:
        self.cross_wallet += amount
        self._record("", "TRANSFER", amount, time, info="deposit")

    def _record(
        self, symbol: str, income_type: str, amount: Decimal, time: int, info: str = "", trade=""
    ) -> None:
        if amount == 0:
            return
        self.incomes.append(
            IncomeEntry(self.next_tran_id, symbol, income_type, amount, time, info, str(trade))
        )
        self.next_tran_id += 1

    # --- settings ---

    def settings_for(self, symbol: str) -> SymbolSettings:
        return self.settings.setdefault(symbol, SymbolSettings())

    def position(self, symbol: str, side: str = "BOTH") -> Position:
        key = position_key(symbol, side)
        found = self.positions.get(key)
        if found is None:
            found = self.positions[key] = Position(symbol, position_side=side)
        return found

    def positions_of(self, symbol: str) -> list[Position]:
        """The symbol's positions in the current mode: BOTH, or LONG and SHORT."""
        sides = ("LONG", "SHORT") if self.dual_side else ("BOTH",)
        return [self.position(symbol, side) for side in sides]

    def net_amount(self, symbol: str) -> Decimal:
        return sum((p.amount for p in self.positions.values() if p.symbol == symbol), ZERO)

    def set_leverage(self, symbol: str, leverage: int, mark_price: Decimal) -> SymbolSettings:
        spec = self.specs[symbol]
        if not 1 <= leverage <= spec.brackets.max_leverage:
            raise errors.invalid_leverage(leverage)
        settings = self.settings_for(symbol)
        largest = max((abs(p.amount) for p in self.positions.values() if p.symbol == symbol),
                      default=ZERO)  # fmt: skip
        if largest != 0:
            if largest * mark_price > spec.brackets.max_notional_at(leverage):
                raise errors.max_position_at_leverage()
            if settings.margin_type is MarginType.ISOLATED and leverage < settings.leverage:
                raise ApiError(
                    -4161,
                    "Leverage reduction is not supported in Isolated Margin Mode with open "
                    "positions",
                )
        settings.leverage = leverage
        return settings

    def set_margin_type(self, symbol: str, margin_type: MarginType, has_open_orders: bool) -> None:
        settings = self.settings_for(symbol)
        if settings.margin_type is margin_type:
            raise ApiError(-4046, "No need to change margin type.")
        if has_open_orders:
            raise ApiError(-4047, "Margin type cannot be changed if there exists open orders.")
        if any(p.amount != 0 for p in self.positions.values() if p.symbol == symbol):
            raise ApiError(-4048, "Margin type cannot be changed if there exists position.")
        settings.margin_type = margin_type

    # --- valuation ---

    def view(self, symbol: str, marks: Mapping[str, Decimal], side: str = "BOTH") -> PositionView:
        spec = self.specs[symbol]
        position = self.position(symbol, side)
        settings = self.settings_for(symbol)
        mark = marks[symbol]
        notional = position.amount * mark
        return PositionView(
            position=position,
            settings=settings,
            mark_price=mark,
            notional=notional,
            unrealized_pnl=unrealized_pnl(position.amount, position.entry_price, mark),
            initial_margin=initial_margin(notional, settings.leverage),
            maint_margin=spec.brackets.maintenance_margin(notional) if position.amount else ZERO,
            liquidation_price=self.liquidation_price(position.key, marks),
            max_notional=spec.brackets.max_notional_at(settings.leverage),
        )

    def open_symbols(self) -> list[str]:
        """Keys of the open positions (the symbol, or symbol:LONG / symbol:SHORT)."""
        return [k for k, p in self.positions.items() if p.amount != 0]

    def cross_symbols(self) -> list[str]:
        return [
            k
            for k in self.open_symbols()
            if self.settings_for(self.positions[k].symbol).margin_type is MarginType.CROSSED
        ]

    def cross_totals(
        self, marks: Mapping[str, Decimal], exclude: str | None = None
    ) -> tuple[Decimal, Decimal]:
        """(Σ unrealized P&L, Σ maintenance margin) over cross positions, except `exclude`."""
        upnl = ZERO
        maint = ZERO
        for key in self.cross_symbols():
            if key == exclude:
                continue
            position = self.positions[key]
            mark = marks[position.symbol]
            upnl += unrealized_pnl(position.amount, position.entry_price, mark)
            brackets = self.specs[position.symbol].brackets
            maint += brackets.maintenance_margin(position.amount * mark)
        return upnl, maint

    def liquidation_price(self, key: str, marks: Mapping[str, Decimal]) -> Decimal:
        """The liquidation price of the position at `key` (a hedge-mode side is priced as its
        own position, the opposite side counted among the other cross positions)."""
        position = self.positions.get(key)
        if position is None or position.amount == 0:
            return ZERO
        symbol = position.symbol
        spec = self.specs[symbol]
        if self.settings_for(symbol).margin_type is MarginType.ISOLATED:
            return liquidation_price(
                position.amount, position.entry_price, position.isolated_wallet, spec
            )
        others_upnl, others_maint = self.cross_totals(marks, exclude=key)
        return liquidation_price(
            position.amount,
            position.entry_price,
            self.cross_wallet,
            spec,
            others_upnl,
            others_maint,
        )

    def cross_margin_balance(self, marks: Mapping[str, Decimal]) -> Decimal:
        upnl, _ = self.cross_totals(marks)
        return self.cross_wallet + upnl

    def cross_initial_margin(self, marks: Mapping[str, Decimal]) -> Decimal:
        total = ZERO
        for key in self.cross_symbols():
            position = self.positions[key]
            notional = position.amount * marks[position.symbol]
            total += initial_margin(notional, self.settings_for(position.symbol).leverage)
        return total

    def available_balance(
        self, marks: Mapping[str, Decimal], open_order_margin: Decimal
    ) -> Decimal:
        """Cross margin balance less cross position margin and every open order's margin."""
        available = (
            self.cross_margin_balance(marks) - self.cross_initial_margin(marks) - open_order_margin
        )
        return max(available, ZERO)

    # --- trading ---

    def apply_fill(self, fill: Fill) -> FillOutcome:
        """Apply one execution: entry price on adds, realized P&L on reductions, commission."""
        position = self.position(fill.symbol, fill.position_side)
        signed = fill.qty if fill.side == "BUY" else -fill.qty
        realized = ZERO
        if position.amount != 0 and (position.amount > 0) != (signed > 0):
            closing = min(abs(signed), abs(position.amount))
            realized = self._reduce(position, closing, fill)
            signed = signed + closing if signed < 0 else signed - closing
        if signed != 0:
            self._increase(position, signed, fill.price)
        rate = MAKER_FEE_RATE if fill.is_maker else TAKER_FEE_RATE
        commission = book(fill.qty * fill.price * rate)
        self.cross_wallet -= commission
        self._record(fill.symbol, "COMMISSION", -commission, fill.time, trade=fill.trade_id)
        position.update_time = fill.time
        return FillOutcome(realized, commission)

    def _increase(self, position: Position, signed_qty: Decimal, price: Decimal) -> None:
        old_qty = abs(position.amount)
        new_qty = old_qty + abs(signed_qty)
        position.entry_price = (old_qty * position.entry_price + abs(signed_qty) * price) / new_qty
        position.amount += signed_qty
        settings = self.settings_for(position.symbol)
        if settings.margin_type is MarginType.ISOLATED:
            margin = book(abs(signed_qty) * price / Decimal(settings.leverage))
            self.cross_wallet -= margin
            position.isolated_wallet += margin

    def _reduce(self, position: Position, qty: Decimal, fill: Fill) -> Decimal:
        side = Decimal(1) if position.amount > 0 else Decimal(-1)
        realized = book(qty * (fill.price - position.entry_price) * side)
        old_qty = abs(position.amount)
        position.accumulated_realized += realized
        self._record(fill.symbol, "REALIZED_PNL", realized, fill.time, trade=fill.trade_id)
        if self.settings_for(position.symbol).margin_type is MarginType.ISOLATED:
            position.isolated_wallet += realized
            released = (
                position.isolated_wallet
                if qty == old_qty
                else book(position.isolated_wallet * qty / old_qty)
            )
            position.isolated_wallet -= released
            self.cross_wallet += released
        else:
            self.cross_wallet += realized
        position.amount -= side * qty
        if position.amount == 0:
            position.entry_price = ZERO
        return realized

    # --- funding ---

    def apply_funding(self, key: str, mark: Decimal, rate: Decimal, time: int) -> Decimal:
        """Charge or pay one funding period; longs pay shorts when the rate is positive."""
        position = self.positions[key]
        symbol = position.symbol
        if position.amount == 0:
            return ZERO
        income = book(-position.amount * mark * rate)
        if self.settings_for(symbol).margin_type is MarginType.ISOLATED:
            position.isolated_wallet += income
        else:
            self.cross_wallet += income
        self._record(symbol, "FUNDING_FEE", income, time)
        return income

    # --- liquidation ---

    def isolated_breached(self, key: str, mark: Decimal) -> bool:
        position = self.positions[key]
        symbol = position.symbol
        if position.amount == 0:
            return False
        if self.settings_for(symbol).margin_type is not MarginType.ISOLATED:
            return False
        margin_balance = position.isolated_wallet + unrealized_pnl(
            position.amount, position.entry_price, mark
        )
        maint = self.specs[symbol].brackets.maintenance_margin(position.amount * mark)
        return margin_balance <= maint

    def cross_breached(self, marks: Mapping[str, Decimal]) -> bool:
        if not self.cross_symbols():
            return False
        upnl, maint = self.cross_totals(marks)
        return self.cross_wallet + upnl <= maint

    def liquidate(self, key: str, marks: Mapping[str, Decimal], time: int) -> LiquidationFill:
        """Close the whole position at its liquidation price and charge the clearance fee.

        The fill is a taker trade at the formula's price. What is left of the position's
        maintenance margin goes to the insurance fund as the clearance fee, capped at the
        symbol's `liquidationFee` rate of the notional (income type INSURANCE_CLEAR).
        """
        position = self.positions[key]
        symbol = position.symbol
        spec = self.specs[symbol]
        price = self.liquidation_price(key, marks)
        qty = abs(position.amount)
        side = "SELL" if position.amount > 0 else "BUY"
        remaining_maint = spec.brackets.maintenance_margin(qty * price)
        outcome = self.apply_fill(
            Fill(symbol, side, qty, price, False, time, position_side=position.position_side)
        )
        fee_cap = book(qty * price * spec.liquidation_fee)
        # An isolated close has just released the isolated wallet into the cross wallet.
        clearance = max(ZERO, min(fee_cap, book(remaining_maint), self.cross_wallet))
        self.cross_wallet -= clearance
        self._record(symbol, "INSURANCE_CLEAR", -clearance, time)
        if self.cross_wallet < 0:
            # The insurance fund absorbs a deficit; balances never go negative.
            self._record(symbol, "INSURANCE_CLEAR", -self.cross_wallet, time, info="deficit")
            self.cross_wallet = ZERO
        return LiquidationFill(symbol, side, qty, price, outcome, clearance)

    # --- persistence ---

    def to_state(self) -> dict:
        return {
            "cross_wallet": str(self.cross_wallet),
            "next_tran_id": self.next_tran_id,
            "dual_side": self.dual_side,
            "positions": [
                {
                    "symbol": p.symbol,
                    "position_side": p.position_side,
                    "amount": str(p.amount),
                    "entry_price": str(p.entry_price),
                    "isolated_wallet": str(p.isolated_wallet),
                    "accumulated_realized": str(p.accumulated_realized),
                    "update_time": p.update_time,
                }
                for p in self.positions.values()
            ],
            "settings": {
                s: {"leverage": v.leverage, "margin_type": v.margin_type.value}
                for s, v in self.settings.items()
            },
            "incomes": [
                [i.tran_id, i.symbol, i.income_type, str(i.income), i.time, i.info, i.trade_id]
                for i in self.incomes
            ],
        }

    @classmethod
    def from_state(cls, specs: Mapping[str, FuturesSymbol], state: dict) -> FuturesAccount:
        account = cls(specs, cross_wallet=Decimal(state["cross_wallet"]))
        account.next_tran_id = state["next_tran_id"]
        account.dual_side = bool(state.get("dual_side", False))
        for row in state["positions"]:
            position = Position(
                row["symbol"],
                Decimal(row["amount"]),
                Decimal(row["entry_price"]),
                Decimal(row["isolated_wallet"]),
                Decimal(row["accumulated_realized"]),
                row["update_time"],
                row.get("position_side", "BOTH"),
            )
            account.positions[position.key] = position
        for symbol, row in state["settings"].items():
            account.settings[symbol] = SymbolSettings(
                row["leverage"], MarginType(row["margin_type"])
            )
        account.incomes = [
            IncomeEntry(t, s, k, Decimal(v), ts, info, trade)
            for t, s, k, v, ts, info, trade in state["incomes"]
        ]
        return account
