"""The USD-M paper exchange: one account, its plain and conditional orders, funding and
liquidation, on the mark price path.

Time only moves through `advance_to(now_ms)`, which walks every price point and every 8-hour
funding time in order, so results do not depend on how often it is called. User-data events go
to `state.listener`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.futures import persistence, wire
from simulator.futures.accounts import FuturesAccount
from simulator.futures.algo import AlgoOrders
from simulator.futures.funding import DEFAULT_FUNDING_RATE, Funding
from simulator.futures.liquidation import Liquidator
from simulator.futures.listen_keys import ListenKeys
from simulator.futures.margin import MarginType
from simulator.futures.marks import MarkPrices
from simulator.futures.orders import PlainOrders
from simulator.futures.state import Listener, TradeListener, TradingState, no_book, no_tape
from simulator.futures.symbols import FuturesSymbol


class FuturesMatchingEngine:
    def __init__(
        self,
        specs: tuple[FuturesSymbol, ...],
        prices: MarkPrices,
        now_ms: int,
        funding_rate: Decimal = DEFAULT_FUNDING_RATE,
    ) -> None:
        self.funding_rate = funding_rate
        self.listener: Listener | None = None  # user-data events
        self.on_listen_key_closed: Callable[[str], None] = lambda key: None
        self.book_for: Callable[[str], Any] = no_book  # set by the venue (its books)
        self.on_trade: TradeListener = no_tape  # set by the venue (its tape)
        self.reset({s.symbol: s for s in specs}, prices, now_ms)

    def reset(self, specs: dict[str, FuturesSymbol], prices: MarkPrices, now_ms: int) -> None:
        """Start over: an empty account on `prices` (events still go to the same listener)."""
        self.state = TradingState(
            specs, prices, now_ms, FuturesAccount(specs), listener=self._emit,
            book_for=lambda s: self.book_for(s), on_trade=self._trade,
        )  # fmt: skip
        self.orders = PlainOrders(self.state)
        self.algos = AlgoOrders(self.state, self.orders)
        self.orders.after_fill = self.algos.finish_for
        self.liquidation = Liquidator(self.state, self.orders)
        self.funding = Funding(self.state, self.funding_rate)
        self.listen_keys = ListenKeys(self.state)
        self.countdowns: dict[str, int] = {}  # symbol -> when its open orders are canceled
        self.margin_history: list[dict] = []  # POST /fapi/v1/positionMargin, newest last
        self.multi_assets = False
        self.listen_keys.on_closed = lambda key: self.on_listen_key_closed(key)

    def _trade(self, symbol: str, price: Decimal, qty: Decimal, maker: bool, time: int) -> None:
        self.on_trade(symbol, price, qty, maker, time)

    def _emit(self, event: dict) -> None:
        if self.listener is not None:
            self.listener(event)

    @property
    def specs(self) -> dict[str, FuturesSymbol]:
        return self.state.specs

    @property
    def account(self) -> FuturesAccount:
        return self.state.account

    @property
    def prices(self) -> MarkPrices:
        return self.state.prices

    @property
    def now_ms(self) -> int:
        return self.state.now_ms

    def state_mark_price(self, symbol: str) -> Decimal:
        """The mark price now (of whichever state the engine has after a reset)."""
        return self.state.mark_price(symbol)

    # ---- time ---------------------------------------------------------------------------
    def advance_to(self, now_ms: int) -> None:
        """Walk every price point and funding time in (now, now_ms], in time order."""
        state = self.state
        if now_ms <= state.now_ms:
            return
        steps: list[tuple[int, int, str, Decimal, Decimal | None]] = [
            (point.time_ms, 0, symbol, point.price, point.volume)
            for symbol, point in state.prices.points_between(state.now_ms, now_ms)
        ]
        steps += [(t, 1, "", Decimal(0), None) for t in self.funding.times_until(now_ms)]
        steps.sort(key=lambda step: (step[0], step[1]))
        for time_ms, kind, symbol, price, volume in steps:
            state.now_ms = time_ms
            if kind == 0:
                self._on_price(symbol, price, volume)
            else:
                self.funding.settle()
                self.liquidation.check()
        state.now_ms = now_ms
        state.prices.forget_before(now_ms)
        self.listen_keys.expire()
        self._run_countdowns()

    # ---- the dead man's switch (countdownCancelAll) -------------------------------------
    def set_countdown(self, symbol: str, countdown_ms: int) -> None:
        if countdown_ms:
            self.countdowns[symbol] = self.state.now_ms + countdown_ms
        else:
            self.countdowns.pop(symbol, None)

    def _run_countdowns(self) -> None:
        for symbol, deadline in list(self.countdowns.items()):
            if self.state.now_ms >= deadline:
                del self.countdowns[symbol]
                self.cancel_all(symbol)

    def cancel_all(self, symbol: str) -> None:
        """Every open order and algo order of `symbol` (DELETE allOpenOrders, the countdown)."""
        for order in list(self.state.orders.values()):
            if order.is_open and order.symbol == symbol:
                self.orders.finish(order, "CANCELED")
        for algo in list(self.state.algo_orders.values()):
            if algo.is_open and algo.symbol == symbol:
                self.algos.cancel(Params({"algoId": str(algo.algo_id)}))

    def test_order(self, params: Params) -> dict:
        return self.orders.test(params)

    def set_price_now(self, symbol: str, price: Decimal) -> None:
        """Script a symbol's price at the current time and react to it (fills, triggers, liq)."""
        self.state.prices.set_price(symbol, self.state.now_ms, price)
        self._on_price(symbol, price)

    def _on_price(self, symbol: str, price: Decimal, volume: Decimal | None = None) -> None:
        self.orders.match_resting(symbol, price, volume)
        self.algos.trigger(symbol, price)
        self.liquidation.check()

    # ---- account settings ---------------------------------------------------------------
    def change_leverage(self, symbol: str, leverage: int) -> dict:
        state = self.state
        settings = state.account.set_leverage(symbol, leverage, state.mark_price(symbol))
        now = state.now_ms
        config = {"e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": now}
        state.emit({**config, "ac": {"s": symbol, "l": settings.leverage}})
        cap = state.specs[symbol].brackets.max_notional_at(settings.leverage)
        return {"leverage": settings.leverage, "maxNotionalValue": f"{cap:f}", "symbol": symbol}

    def change_margin_type(self, symbol: str, margin_type: str) -> dict:
        try:
            wanted = MarginType(margin_type)
        except ValueError as e:
            raise ApiError(-1130, "Data sent for parameter 'marginType' is not valid.") from e
        self.state.account.set_margin_type(symbol, wanted, self.state.has_open(symbol))
        return {"code": 200, "msg": "success"}

    def deposit(self, amount: Decimal) -> None:
        state = self.state
        state.account.deposit(amount, state.now_ms)
        state.emit(
            wire.account_update(
                state.account, "DEPOSIT", [], state.marks(), state.now_ms, balance_change=amount
            )
        )

    # ---- views --------------------------------------------------------------------------
    def position_risk(self, symbol: str | None) -> list[dict]:
        state = self.state
        marks = state.marks()
        wanted = [symbol] if symbol else list(state.specs)
        with_orders = self.symbols_with_orders()
        return [
            wire.position_risk(state.account.view(s, marks, p.position_side), state.now_ms)
            for s in wanted
            if s in with_orders or any(p.amount for p in state.account.positions_of(s))
            for p in state.account.positions_of(s)
        ]

    def symbols_with_orders(self) -> set[str]:
        """Symbols with open plain orders (positionRisk v3 and account v3 list those)."""
        return {o.symbol for o in self.state.orders.values() if o.is_open}

    def account_info(self) -> dict:
        margin = self.orders.open_order_margin()
        return wire.account_v2(self.state.account, self.state.marks(), margin, self.state.now_ms)

    def account_info_v3(self) -> dict:
        state = self.state
        margin = self.orders.open_order_margin()
        return wire.account_v3(
            state.account, state.marks(), margin, state.now_ms, self.symbols_with_orders()
        )

    def set_dual_side(self, dual: bool) -> dict:
        """POST /fapi/v1/positionSide/dual: hedge mode on (true) or off."""
        account = self.state.account
        if account.dual_side == dual:
            raise ApiError(-4059, "No need to change position side.")
        if any(o.is_open for o in self.state.orders.values()) or any(
            a.is_open for a in self.state.algo_orders.values()
        ):
            raise ApiError(-4067, "Position side cannot be changed if there exists open orders.")
        if any(p.amount != 0 for p in account.positions.values()):
            raise ApiError(-4068, "Position side cannot be changed if there exists position.")
        account.dual_side = dual
        return {"code": 200, "msg": "success"}

    def balances(self) -> list[dict]:
        margin = self.orders.open_order_margin()
        return wire.balance_v3(self.state.account, self.state.marks(), margin, self.state.now_ms)

    def income(self, params: Params) -> list[dict]:
        """GET /fapi/v1/income: the account's income entries, filtered (limit 100, at most 1000)."""
        symbol, kind = params.text("symbol"), params.text("incomeType")
        start, end = params.integer("startTime"), params.integer("endTime")
        limit = min(params.integer("limit") or 100, 1000)
        rows = [
            i
            for i in self.state.account.incomes
            if (symbol is None or i.symbol == symbol)
            and (kind is None or i.income_type == kind)
            and (start is None or i.time >= start)
            and (end is None or i.time <= end)
        ]
        return [i.to_wire() for i in rows[:limit]]

    def premium_index(self, symbol: str) -> dict:
        mark = self.state.mark_price(symbol)
        next_funding = self.funding.next_time()
        return {
            "symbol": symbol,
            "markPrice": f"{mark:f}",
            "indexPrice": f"{mark:f}",
            "estimatedSettlePrice": f"{mark:f}",
            "lastFundingRate": f"{self.funding.rate_at(symbol, next_funding):.8f}",
            "interestRate": "0.00010000",
            "nextFundingTime": next_funding,
            "time": self.state.now_ms,
        }

    # ---- persistence --------------------------------------------------------------------
    def to_state(self) -> dict:
        return persistence.dump(self.state, self.funding)

    def load_state(self, saved: dict) -> None:
        persistence.load(self.state, self.funding, saved)
