"""The USD-M paper exchange: orders, conditional orders, price path, funding and liquidation.

One futures account (the simulator has one paper account). Time only moves through
`advance_to(now_ms)`, which walks every scripted price point and every 8-hour funding time in
order, so results do not depend on how often it is called. User-data events go to `listener`.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from simulator import futures_wire as wire
from simulator.futures_accounts import ZERO, Fill, FuturesAccount, MarginType
from simulator.futures_errors import (
    FuturesError,
    invalid_listen_key,
    margin_insufficient,
    max_position_at_leverage,
    no_such_order,
    reduce_only_rejected,
    stop_order_switch_algo,
    unknown_order,
)
from simulator.futures_orders import (
    CONDITIONAL_TYPES,
    PLAIN_TYPES,
    TIME_IN_FORCE,
    WORKING_TYPES,
    AlgoOrder,
    Order,
    check_client_id,
    check_min_notional,
    check_percent_price,
    check_price,
    check_quantity,
)
from simulator.futures_params import FuturesParams
from simulator.futures_prices import ScriptedPrices
from simulator.futures_symbols import FuturesSymbol

FUNDING_INTERVAL_MS = 8 * 3600 * 1000
LISTEN_KEY_TTL_MS = 60 * 60 * 1000
DEFAULT_FUNDING_RATE = Decimal("0.0001")
Listener = Callable[[dict], None]


class FuturesExchange:
    def __init__(
        self,
        specs: tuple[FuturesSymbol, ...],
        prices: ScriptedPrices,
        now_ms: int,
        funding_rate: Decimal = DEFAULT_FUNDING_RATE,
    ) -> None:
        self.specs = {s.symbol: s for s in specs}
        self.prices = prices
        self.now_ms = now_ms
        self.account = FuturesAccount(self.specs)
        self.orders: dict[int, Order] = {}
        self.algo_orders: dict[int, AlgoOrder] = {}
        self.funding_rates = dict.fromkeys(self.specs, funding_rate)
        self.scheduled_rates: dict[str, dict[int, Decimal]] = {s: {} for s in self.specs}
        self.next_order_id = 1
        self.next_trade_id = 1
        self.trades: list[dict] = []  # /fapi/v1/userTrades rows, oldest first
        self.listen_key: str | None = None
        self.listen_key_expires = 0
        self.listener: Listener | None = None
        self.on_listen_key_closed: Callable[[str], None] | None = None

    # --- time ---

    def mark_price(self, symbol: str) -> Decimal:
        return self.prices.price_at(symbol, self.now_ms)

    def marks(self) -> dict[str, Decimal]:
        return {s: self.mark_price(s) for s in self.specs}

    def next_funding_time(self, now_ms: int | None = None) -> int:
        now = self.now_ms if now_ms is None else now_ms
        return (now // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS

    def funding_rate_at(self, symbol: str, funding_time: int) -> Decimal:
        return self.scheduled_rates[symbol].get(funding_time, self.funding_rates[symbol])

    def advance_to(self, now_ms: int) -> None:
        """Walk every price point and funding time in (now, now_ms], in time order."""
        if now_ms <= self.now_ms:
            return
        steps: list[tuple[int, int, str, Decimal]] = [
            (point.time_ms, 0, symbol, point.price)
            for symbol, point in self.prices.points_between(self.now_ms, now_ms)
        ]
        funding = self.next_funding_time()
        while funding <= now_ms:
            steps.append((funding, 1, "", ZERO))
            funding += FUNDING_INTERVAL_MS
        steps.sort(key=lambda step: (step[0], step[1]))
        for time_ms, kind, symbol, price in steps:
            self.now_ms = time_ms
            if kind == 0:
                self._on_price(symbol, price)
            else:
                self._settle_funding()
        self.now_ms = now_ms
        self._expire_listen_key()

    def set_price_now(self, symbol: str, price: Decimal) -> None:
        """Move a symbol's price at the current time and react to it (fills, triggers, liq)."""
        self.prices.set_price(symbol, self.now_ms, price)
        self._on_price(symbol, price)

    def _on_price(self, symbol: str, price: Decimal) -> None:
        self._match_resting(symbol, price)
        self._trigger_algo_orders(symbol, price)
        self._check_liquidation()

    # --- funding ---

    def _settle_funding(self) -> None:
        marks = self.marks()
        for symbol in self.account.open_symbols():
            rate = self.funding_rate_at(symbol, self.now_ms)
            income = self.account.apply_funding(symbol, marks[symbol], rate, self.now_ms)
            isolated = self.account.settings_for(symbol).margin_type is MarginType.ISOLATED
            shown = [symbol] if isolated else []
            self._emit(
                wire.account_update(
                    self.account, "FUNDING_FEE", shown, marks, self.now_ms, balance_change=income
                )
            )
        self._check_liquidation()

    # --- plain orders ---

    def place_order(self, params: FuturesParams) -> dict:
        symbol = params.symbol(self.specs)
        assert symbol is not None
        spec = self.specs[symbol]
        order_type = params.required_text("type")
        if order_type in CONDITIONAL_TYPES:
            raise stop_order_switch_algo()
        if order_type not in PLAIN_TYPES:
            raise FuturesError(-1116, "Invalid orderType.")
        side = self._side(params)
        self._check_position_side(params)
        order = self._new_order(params, spec, symbol, side, order_type)
        self._check_engine_rules(order)
        self.orders[order.order_id] = order
        ack = order.to_wire()
        self._emit(wire.order_trade_update(order, "NEW", self.now_ms))
        self._execute_new(order)
        if params.text("newOrderRespType", default="ACK") == "RESULT":
            return order.to_wire()
        return ack

    def _side(self, params: FuturesParams) -> str:
        side = params.required_text("side")
        if side not in ("BUY", "SELL"):
            raise FuturesError(-1117, "Invalid side.")
        return side

    def _check_position_side(self, params: FuturesParams) -> None:
        if params.text("positionSide", default="BOTH") != "BOTH":
            raise FuturesError(-4061, "Order's position side does not match user's setting.")

    def _new_order(
        self, params: FuturesParams, spec: FuturesSymbol, symbol: str, side: str, order_type: str
    ) -> Order:
        qty = params.required_decimal("quantity")
        check_quantity(spec, qty, is_market=order_type == "MARKET")
        reduce_only = params.boolean("reduceOnly")
        mark = self.mark_price(symbol)
        if order_type == "LIMIT":
            tif = params.required_text("timeInForce")
            if tif not in TIME_IN_FORCE:
                raise FuturesError(-1115, "Invalid timeInForce.")
            price = params.required_decimal("price")
            check_price(spec, price)
            check_percent_price(spec, side, price, mark)
        else:
            if params.has("price"):
                raise FuturesError(-1106, "Parameter 'price' sent when not required.")
            tif, price = "GTC", ZERO
        if not reduce_only:
            check_min_notional(spec, qty, price if order_type == "LIMIT" else mark)
        client_id = params.text("newClientOrderId") or f"sim-{secrets.token_hex(8)}"
        check_client_id(client_id)
        if any(o.client_order_id == client_id and o.is_open for o in self.orders.values()):
            raise FuturesError(-4116, "clientOrderId is duplicated")
        order = Order(
            self._order_id(), client_id, symbol, side, order_type, tif, qty, price,
            reduce_only, self.now_ms,
        )  # fmt: skip
        return order

    def _order_id(self) -> int:
        order_id = self.next_order_id
        self.next_order_id += 1
        return order_id

    def _check_engine_rules(self, order: Order) -> None:
        position = self.account.position(order.symbol).amount
        if order.reduce_only and not _reduces(order.side, position):
            raise reduce_only_rejected()
        increasing = _increasing_qty(order.side, order.qty, position)
        if increasing == 0:
            return
        price = self._reference_price(order)
        settings = self.account.settings_for(order.symbol)
        resulting = abs(position) + increasing + self._same_side_open_qty(order)
        cap = self.specs[order.symbol].brackets.max_notional_at(settings.leverage)
        if resulting * price > cap:
            raise max_position_at_leverage()
        required = increasing * price / Decimal(settings.leverage)
        if order.order_type == "LIMIT":
            required += increasing * max(
                ZERO, _signed(order.side) * (price - self.mark_price(order.symbol))
            )
        if required > self.account.available_balance(self.marks(), self.open_order_margin()):
            raise margin_insufficient()
        if order.time_in_force == "GTX" and self._marketable(order):
            raise FuturesError(
                -5022,
                "Due to the order could not be executed as maker, the Post Only order will be "
                "rejected.",
            )
        if order.time_in_force == "FOK" and not self._marketable(order):
            raise FuturesError(
                -5021,
                "Due to the order could not be filled immediately, the FOK order has been "
                "rejected.",
            )

    def _reference_price(self, order: Order) -> Decimal:
        return order.price if order.order_type == "LIMIT" else self.mark_price(order.symbol)

    def _same_side_open_qty(self, order: Order) -> Decimal:
        return sum(
            (
                o.qty - o.executed_qty
                for o in self.orders.values()
                if o.is_open and o.symbol == order.symbol and o.side == order.side
            ),
            ZERO,
        )

    def open_order_margin(self) -> Decimal:
        """Initial margin held by resting orders that would open or add to a position."""
        total = ZERO
        for order in self.orders.values():
            if not order.is_open or order.order_type != "LIMIT":
                continue
            position = self.account.position(order.symbol).amount
            increasing = _increasing_qty(order.side, order.qty - order.executed_qty, position)
            leverage = Decimal(self.account.settings_for(order.symbol).leverage)
            total += increasing * order.price / leverage
        return total

    def _marketable(self, order: Order) -> bool:
        if order.order_type == "MARKET":
            return True
        last = self.mark_price(order.symbol)
        return last <= order.price if order.side == "BUY" else last >= order.price

    def _execute_new(self, order: Order) -> None:
        if self._marketable(order):
            self._fill(order, self.mark_price(order.symbol), is_maker=False)
        elif order.time_in_force == "IOC":
            self._finish(order, "EXPIRED", expiry_reason="2")

    def _match_resting(self, symbol: str, price: Decimal) -> None:
        for order in sorted(self.orders.values(), key=lambda o: o.order_id):
            if not order.is_open or order.symbol != symbol or order.order_type != "LIMIT":
                continue
            crossed = price <= order.price if order.side == "BUY" else price >= order.price
            if crossed:
                self._fill(order, order.price, is_maker=True)

    def _fill(self, order: Order, price: Decimal, is_maker: bool) -> None:
        position = self.account.position(order.symbol).amount
        qty = order.qty - order.executed_qty
        if order.reduce_only:
            if not _reduces(order.side, position):
                self._finish(order, "EXPIRED", expiry_reason="4")
                return
            qty = min(qty, abs(position))
        trade_id = self._trade_id()
        outcome = self.account.apply_fill(
            Fill(order.symbol, order.side, qty, price, is_maker, self.now_ms, trade_id)
        )
        order.executed_qty += qty
        order.cum_quote += qty * price
        order.realized_pnl += outcome.realized_pnl
        self._record_trade(order, trade_id, qty, price, outcome, is_maker)
        order.status = "FILLED" if order.executed_qty == order.qty else "PARTIALLY_FILLED"
        order.update_time = self.now_ms
        self._emit(
            wire.order_trade_update(
                order, "TRADE", self.now_ms, qty, price, outcome.commission,
                outcome.realized_pnl, is_maker, trade_id,
            )
        )  # fmt: skip
        if order.status == "PARTIALLY_FILLED":  # reduce-only remainder beyond the position
            self._finish(order, "EXPIRED", expiry_reason="4")
        self._emit(
            wire.account_update(self.account, "ORDER", [order.symbol], self.marks(), self.now_ms)
        )
        self._finish_algo_for(order)

    def _record_trade(
        self, order: Order, trade_id: int, qty: Decimal, price: Decimal, outcome: Any, maker: bool
    ) -> None:
        self.trades.append({
            "symbol": order.symbol, "id": trade_id, "orderId": order.order_id,
            "side": order.side, "price": f"{price:f}", "qty": f"{qty:f}",
            "realizedPnl": f"{outcome.realized_pnl:f}", "quoteQty": f"{qty * price:f}",
            "commission": f"{outcome.commission:f}", "commissionAsset": "USDT",
            "time": self.now_ms, "positionSide": "BOTH", "buyer": order.side == "BUY",
            "maker": maker,
        })  # fmt: skip

    def user_trades(self, params: FuturesParams) -> list[dict]:
        """GET /fapi/v1/userTrades: one symbol's trades, by time or from an id (limit 500/1000)."""
        symbol = params.required_text("symbol")
        start, end = params.integer("startTime"), params.integer("endTime")
        from_id = params.integer("fromId")
        limit = min(params.integer("limit") or 500, 1000)
        rows = [
            t for t in self.trades
            if t["symbol"] == symbol
            and (start is None or t["time"] >= start)
            and (end is None or t["time"] <= end)
            and (from_id is None or t["id"] >= from_id)
        ]  # fmt: skip
        return rows[:limit]

    def _trade_id(self) -> int:
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        return trade_id

    def _finish(self, order: Order, status: str, expiry_reason: str = "0") -> None:
        order.status = status
        order.update_time = self.now_ms
        execution = "CANCELED" if status == "CANCELED" else "EXPIRED"
        self._emit(
            wire.order_trade_update(order, execution, self.now_ms, expiry_reason=expiry_reason)
        )

    def find_order(self, params: FuturesParams) -> Order:
        symbol = params.symbol(self.specs)
        order_id = params.integer("orderId")
        client_id = params.text("origClientOrderId")
        if order_id is None and client_id is None:
            raise FuturesError(
                -1102,
                "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
            )
        for order in self.orders.values():
            if order.symbol != symbol:
                continue
            if order.order_id == order_id or (client_id and order.client_order_id == client_id):
                return order
        raise no_such_order()

    def cancel_order(self, params: FuturesParams) -> dict:
        try:
            order = self.find_order(params)
        except FuturesError as e:
            if e.code == -2013:
                raise unknown_order() from e
            raise
        if not order.is_open:
            raise unknown_order()
        self._finish(order, "CANCELED")
        return order.to_wire()

    def open_orders(self, symbol: str | None) -> list[dict]:
        return [
            o.to_wire()
            for o in self.orders.values()
            if o.is_open and (symbol is None or o.symbol == symbol)
        ]

    # --- algo (conditional) orders ---

    def place_algo_order(self, params: FuturesParams) -> dict:
        symbol = params.symbol(self.specs)
        assert symbol is not None
        spec = self.specs[symbol]
        if params.required_text("algoType") != "CONDITIONAL":
            raise FuturesError(-1130, "Data sent for parameter 'algoType' is not valid.")
        order_type = params.required_text("type")
        if order_type not in CONDITIONAL_TYPES:
            raise FuturesError(-1116, "Invalid orderType.")
        side = self._side(params)
        self._check_position_side(params)
        algo = self._new_algo(params, spec, symbol, side, order_type)
        self._check_immediate_trigger(algo)
        if sum(1 for a in self.algo_orders.values() if a.is_open and a.symbol == symbol) >= (
            spec.max_num_algo_orders
        ):
            raise FuturesError(-4045, "Reach max stop order limit.")
        self.algo_orders[algo.algo_id] = algo
        self._emit(_algo_event(algo, self.now_ms))
        return algo.to_wire()

    def _new_algo(
        self, params: FuturesParams, spec: FuturesSymbol, symbol: str, side: str, order_type: str
    ) -> AlgoOrder:
        close_position = params.boolean("closePosition")
        if close_position and order_type not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise FuturesError(-1106, "Parameter 'closePosition' sent when not required.")
        if close_position and params.has("quantity"):
            raise FuturesError(-4137, "Quantity must be zero with closePosition equals true")
        if close_position and params.has("reduceOnly"):
            raise FuturesError(-1106, "Parameter 'reduceOnly' sent when not required.")
        qty = ZERO if close_position else params.required_decimal("quantity")
        if not close_position:
            check_quantity(spec, qty, is_market=order_type.endswith("MARKET"))
        working_type = params.text("workingType", default="CONTRACT_PRICE")
        if working_type not in WORKING_TYPES:
            raise FuturesError(-4031, f"Invalid parameter working type: {working_type}")
        trigger, activate, callback = self._algo_prices(params, spec, order_type)
        price = ZERO
        if order_type in ("STOP", "TAKE_PROFIT"):
            price = params.required_decimal("price")
            check_price(spec, price)
        client_id = params.text("clientAlgoId") or f"sim-{secrets.token_hex(8)}"
        check_client_id(client_id)
        if any(a.client_algo_id == client_id and a.is_open for a in self.algo_orders.values()):
            raise FuturesError(-4116, "clientOrderId is duplicated")
        return AlgoOrder(
            self._order_id(), client_id, symbol, side, order_type, qty, price, trigger,
            params.text("timeInForce", default="GTC") or "GTC", working_type or "CONTRACT_PRICE",
            params.boolean("reduceOnly"), close_position, self.now_ms, activate, callback,
        )  # fmt: skip

    def _algo_prices(
        self, params: FuturesParams, spec: FuturesSymbol, order_type: str
    ) -> tuple[Decimal, Decimal | None, Decimal | None]:
        if order_type != "TRAILING_STOP_MARKET":
            trigger = params.required_decimal("triggerPrice")
            check_price(spec, trigger, stop=True)
            return trigger, None, None
        callback = params.required_decimal("callbackRate")
        if not Decimal("0.1") <= callback <= Decimal(10):
            raise FuturesError(-1130, "Data sent for parameter 'callbackRate' is not valid.")
        activate = params.decimal("activatePrice")
        if activate is not None:
            check_price(spec, activate, stop=True)
        return ZERO, activate, callback

    def _check_immediate_trigger(self, algo: AlgoOrder) -> None:
        price = self.mark_price(algo.symbol)
        if algo.order_type == "TRAILING_STOP_MARKET":
            if algo.activate_price is None:
                return
            wrong = (
                algo.activate_price <= price
                if algo.side == "SELL"
                else algo.activate_price >= price
            )
            if wrong:
                raise FuturesError(-2021, "Order would immediately trigger.")
            return
        if _triggered(algo, price):
            raise FuturesError(-2021, "Order would immediately trigger.")

    def _trigger_algo_orders(self, symbol: str, price: Decimal) -> None:
        for algo in sorted(self.algo_orders.values(), key=lambda a: a.algo_id):
            if not algo.is_open or algo.symbol != symbol:
                continue
            if algo.order_type == "TRAILING_STOP_MARKET":
                fire = _trailing_fires(algo, price)
            else:
                fire = _triggered(algo, price)
            if fire:
                self._fire(algo)

    def _fire(self, algo: AlgoOrder) -> None:
        algo.trigger_time = self.now_ms
        algo.update_time = self.now_ms
        position = self.account.position(algo.symbol).amount
        qty = algo.qty
        if algo.close_position:
            qty = abs(position) if _reduces(algo.side, position) else ZERO
        if qty == 0:
            algo.status = "EXPIRED"
            self._emit(_algo_event(algo, self.now_ms))
            return
        is_market = algo.order_type.endswith("MARKET")
        order = Order(
            self._order_id(), f"{algo.client_algo_id}"[:36], algo.symbol, algo.side,
            "MARKET" if is_market else "LIMIT", algo.time_in_force if not is_market else "GTC",
            qty, algo.price, algo.reduce_only or algo.close_position, self.now_ms,
            orig_type=algo.order_type, close_position=algo.close_position,
            stop_price=algo.trigger_price, working_type=algo.working_type,
        )  # fmt: skip
        algo.status = "TRIGGERED"
        algo.actual_order_id = str(order.order_id)
        self._emit(_algo_event(algo, self.now_ms))
        self.orders[order.order_id] = order
        self._emit(wire.order_trade_update(order, "NEW", self.now_ms))
        self._execute_new(order)
        if algo.status == "TRIGGERED":
            algo.status = "FINISHED"
            self._emit(_algo_event(algo, self.now_ms))

    def _finish_algo_for(self, order: Order) -> None:
        for algo in self.algo_orders.values():
            if algo.actual_order_id == str(order.order_id):
                algo.actual_qty = order.executed_qty
                algo.actual_price = order.avg_price
                if algo.status == "TRIGGERED":
                    algo.status = "FINISHED"
                    self._emit(_algo_event(algo, self.now_ms))

    def find_algo(self, params: FuturesParams) -> AlgoOrder:
        algo_id = params.integer("algoId")
        client_id = params.text("clientAlgoId")
        if algo_id is None and client_id is None:
            raise FuturesError(
                -1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!"
            )
        for algo in self.algo_orders.values():
            if algo.algo_id == algo_id or (client_id and algo.client_algo_id == client_id):
                return algo
        raise no_such_order()

    def cancel_algo_order(self, params: FuturesParams) -> dict:
        try:
            algo = self.find_algo(params)
        except FuturesError as e:
            if e.code == -2013:
                raise unknown_order() from e
            raise
        if not algo.is_open:
            raise unknown_order()
        algo.status = "CANCELED"
        algo.update_time = self.now_ms
        self._emit(_algo_event(algo, self.now_ms))
        return {
            "algoId": algo.algo_id,
            "clientAlgoId": algo.client_algo_id,
            "code": "200",
            "msg": "success",
        }

    def open_algo_orders(self, symbol: str | None) -> list[dict]:
        return [
            a.to_wire()
            for a in self.algo_orders.values()
            if a.is_open and (symbol is None or a.symbol == symbol)
        ]

    # --- liquidation ---

    def _check_liquidation(self) -> None:
        marks = self.marks()
        for symbol in self.account.open_symbols():
            if self.account.isolated_breached(symbol, marks[symbol]):
                self._liquidate(symbol)
        while self.account.cross_breached(self.marks()):
            marks = self.marks()
            first = max(
                self.account.cross_symbols(),
                key=lambda s: self.specs[s].brackets.maintenance_margin(
                    self.account.positions[s].amount * marks[s]
                ),
            )
            self._liquidate(first)

    def _liquidate(self, symbol: str) -> None:
        for order in self.orders.values():
            if order.is_open and order.symbol == symbol:
                self._finish(order, "EXPIRED", expiry_reason="5")
        position = self.account.position(symbol).amount
        order = Order(
            self._order_id(), f"autoclose-{self.now_ms}", symbol,
            "SELL" if position > 0 else "BUY", "LIQUIDATION", "IOC", abs(position), ZERO,
            False, self.now_ms, orig_type="LIQUIDATION",
        )  # fmt: skip
        self.orders[order.order_id] = order
        self._emit(wire.order_trade_update(order, "NEW", self.now_ms))
        fill = self.account.liquidate(symbol, self.marks(), self.now_ms)
        order.price = fill.price
        order.executed_qty = fill.qty
        order.cum_quote = fill.qty * fill.price
        order.realized_pnl = fill.outcome.realized_pnl
        order.status = "FILLED"
        order.update_time = self.now_ms
        self._emit(
            wire.order_trade_update(
                order, "CALCULATED", self.now_ms, fill.qty, fill.price, fill.outcome.commission,
                fill.outcome.realized_pnl, False, self._trade_id(),
            )
        )  # fmt: skip
        self._emit(wire.account_update(self.account, "ORDER", [symbol], self.marks(), self.now_ms))

    # --- account settings ---

    def change_leverage(self, symbol: str, leverage: int) -> dict:
        settings = self.account.set_leverage(symbol, leverage, self.mark_price(symbol))
        self._emit(
            {
                "e": "ACCOUNT_CONFIG_UPDATE",
                "E": self.now_ms,
                "T": self.now_ms,
                "ac": {"s": symbol, "l": settings.leverage},
            }
        )
        cap = self.specs[symbol].brackets.max_notional_at(settings.leverage)
        return {"leverage": settings.leverage, "maxNotionalValue": f"{cap:f}", "symbol": symbol}

    def change_margin_type(self, symbol: str, margin_type: str) -> dict:
        try:
            wanted = MarginType(margin_type)
        except ValueError as e:
            raise FuturesError(-1130, "Data sent for parameter 'marginType' is not valid.") from e
        has_orders = any(o.is_open and o.symbol == symbol for o in self.orders.values()) or any(
            a.is_open and a.symbol == symbol for a in self.algo_orders.values()
        )
        self.account.set_margin_type(symbol, wanted, has_orders)
        return {"code": 200, "msg": "success"}

    def deposit(self, amount: Decimal) -> None:
        self.account.deposit(amount, self.now_ms)
        self._emit(
            wire.account_update(
                self.account, "DEPOSIT", [], self.marks(), self.now_ms, balance_change=amount
            )
        )

    # --- views ---

    def position_risk(self, symbol: str | None) -> list[dict]:
        marks = self.marks()
        wanted = [symbol] if symbol else list(self.specs)
        with_orders = {o.symbol for o in self.orders.values() if o.is_open}
        return [
            wire.position_risk(self.account.view(s, marks), self.now_ms)
            for s in wanted
            if self.account.position(s).amount != 0 or s in with_orders
        ]

    def account_info(self) -> dict:
        return wire.account_v2(self.account, self.marks(), self.open_order_margin(), self.now_ms)

    def balances(self) -> list[dict]:
        return wire.balance_v3(self.account, self.marks(), self.open_order_margin(), self.now_ms)

    def income(self, params: FuturesParams) -> list[dict]:
        symbol = params.text("symbol")
        kind = params.text("incomeType")
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = min(params.integer("limit") or 100, 1000)
        rows = [
            i
            for i in self.account.incomes
            if (symbol is None or i.symbol == symbol)
            and (kind is None or i.income_type == kind)
            and (start is None or i.time >= start)
            and (end is None or i.time <= end)
        ]
        return [i.to_wire() for i in rows[:limit]]

    def premium_index(self, symbol: str) -> dict:
        mark = self.mark_price(symbol)
        next_funding = self.next_funding_time()
        return {
            "symbol": symbol,
            "markPrice": f"{mark:f}",
            "indexPrice": f"{mark:f}",
            "estimatedSettlePrice": f"{mark:f}",
            "lastFundingRate": f"{self.funding_rate_at(symbol, next_funding):.8f}",
            "interestRate": "0.00010000",
            "nextFundingTime": next_funding,
            "time": self.now_ms,
        }

    # --- listen key ---

    def create_listen_key(self) -> str:
        if self.listen_key is None or self.now_ms >= self.listen_key_expires:
            self.listen_key = secrets.token_hex(32)
        self.listen_key_expires = self.now_ms + LISTEN_KEY_TTL_MS
        return self.listen_key

    def keepalive_listen_key(self, key: str) -> None:
        if key != self.listen_key or self.now_ms >= self.listen_key_expires:
            raise invalid_listen_key()
        self.listen_key_expires = self.now_ms + LISTEN_KEY_TTL_MS

    def close_listen_key(self, key: str) -> None:
        if key != self.listen_key:
            raise invalid_listen_key()
        self.listen_key = None
        if self.on_listen_key_closed:
            self.on_listen_key_closed(key)

    def listen_key_valid(self, key: str) -> bool:
        return key == self.listen_key and self.now_ms < self.listen_key_expires

    def _expire_listen_key(self) -> None:
        if self.listen_key and self.now_ms >= self.listen_key_expires:
            key = self.listen_key
            self._emit({"e": "listenKeyExpired", "E": self.now_ms, "listenKey": key})
            self.listen_key = None
            if self.on_listen_key_closed:
                self.on_listen_key_closed(key)

    # --- events and persistence ---

    def _emit(self, event: dict) -> None:
        if self.listener is not None:
            self.listener(event)

    def to_state(self) -> dict:
        return {
            "now_ms": self.now_ms,
            "account": self.account.to_state(),
            "orders": [_order_state(o) for o in self.orders.values()],
            "algo_orders": [_algo_state(a) for a in self.algo_orders.values()],
            "next_order_id": self.next_order_id,
            "next_trade_id": self.next_trade_id,
            "trades": self.trades,
            "funding_rates": {s: str(r) for s, r in self.funding_rates.items()},
        }

    def load_state(self, state: dict) -> None:
        self.now_ms = max(self.now_ms, state["now_ms"])
        self.account = FuturesAccount.from_state(self.specs, state["account"])
        self.orders = {row["order_id"]: _order_from(row) for row in state["orders"]}
        self.algo_orders = {row["algo_id"]: _algo_from(row) for row in state["algo_orders"]}
        self.next_order_id = state["next_order_id"]
        self.next_trade_id = state["next_trade_id"]
        self.trades = list(state.get("trades", []))
        self.funding_rates.update({s: Decimal(r) for s, r in state["funding_rates"].items()})

    def save(self, path: Path) -> None:
        """Write the state atomically: a crash mid-write leaves the previous file intact."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_state()))
        os.replace(tmp, path)

    def load(self, path: Path) -> bool:
        if not path.exists():
            return False
        self.load_state(json.loads(path.read_text()))
        return True


# --- helpers ---


def _signed(side: str) -> Decimal:
    return Decimal(1) if side == "BUY" else Decimal(-1)


def _reduces(side: str, position: Decimal) -> bool:
    return (position > 0 and side == "SELL") or (position < 0 and side == "BUY")


def _increasing_qty(side: str, qty: Decimal, position: Decimal) -> Decimal:
    if _reduces(side, position):
        return max(ZERO, qty - abs(position))
    return qty


def _triggered(algo: AlgoOrder, price: Decimal) -> bool:
    is_stop = algo.order_type in ("STOP", "STOP_MARKET")
    if is_stop:
        return price >= algo.trigger_price if algo.side == "BUY" else price <= algo.trigger_price
    return price <= algo.trigger_price if algo.side == "BUY" else price >= algo.trigger_price


def _trailing_fires(algo: AlgoOrder, price: Decimal) -> bool:
    """SELL: after the high reaches activation, fire on a drop of callbackRate% from the high."""
    rate = (algo.callback_rate or ZERO) / Decimal(100)
    if algo.side == "SELL":
        algo.extreme = price if algo.extreme is None else max(algo.extreme, price)
        if not algo.activated:
            algo.activated = algo.activate_price is None or algo.extreme >= algo.activate_price
        return algo.activated and price <= algo.extreme * (1 - rate)
    algo.extreme = price if algo.extreme is None else min(algo.extreme, price)
    if not algo.activated:
        algo.activated = algo.activate_price is None or algo.extreme <= algo.activate_price
    return algo.activated and price >= algo.extreme * (1 + rate)


def _algo_event(algo: AlgoOrder, now: int) -> dict:
    return {"e": "ALGO_UPDATE", "T": now, "E": now, "o": algo.to_event()}


_DECIMAL_FIELDS = ("qty", "price", "stop_price", "executed_qty", "cum_quote", "realized_pnl")
_ALGO_DECIMALS = ("qty", "price", "trigger_price", "actual_price", "actual_qty")
_ALGO_OPTIONAL = ("activate_price", "callback_rate", "extreme")


def _order_state(order: Order) -> dict:
    state = dict(order.__dict__)
    for name in _DECIMAL_FIELDS:
        state[name] = str(state[name])
    return state


def _order_from(row: dict) -> Order:
    values = dict(row)
    for name in _DECIMAL_FIELDS:
        values[name] = Decimal(values[name])
    return Order(**values)


def _algo_state(algo: AlgoOrder) -> dict:
    state = dict(algo.__dict__)
    for name in _ALGO_DECIMALS:
        state[name] = str(state[name])
    for name in _ALGO_OPTIONAL:
        state[name] = None if state[name] is None else str(state[name])
    return state


def _algo_from(row: dict) -> AlgoOrder:
    values = dict(row)
    for name in _ALGO_DECIMALS:
        values[name] = Decimal(values[name])
    for name in _ALGO_OPTIONAL:
        values[name] = None if values[name] is None else Decimal(values[name])
    return AlgoOrder(**values)
