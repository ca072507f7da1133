"""USD-M account settings and views beyond balances and positions: position mode (hedge), multi-
assets mode, isolated margin adjustments and their history, commission, symbol and account
configuration, ADL quantiles, liquidation orders, the order-count limits, the v3 account."""

from __future__ import annotations

from typing import Any

from simulator.core import errors
from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.core.params import Params
from simulator.core.ratelimit import RateLimiter
from simulator.futures.margin import MarginType, book
from simulator.futures.matching import FuturesMatchingEngine
from simulator.futures.order_types import fmt
from simulator.futures.symbols import MAKER_FEE_RATE, MARGIN_ASSET, TAKER_FEE_RATE

SIGNED = "SIGNED"
SUCCESS = {"code": 200, "msg": "success"}


def _flag(params: Params, name: str) -> bool:
    value = params.boolean(name)
    if value is None:
        raise errors.mandatory(name)
    return value


class FuturesAccountRest:
    def __init__(self, engine: FuturesMatchingEngine, limiter: RateLimiter) -> None:
        self.engine = engine
        self.limiter = limiter

    def routes(self) -> list[Route]:
        v1, v3 = "/fapi/v1", "/fapi/v3"
        return [
            Route("GET", f"{v3}/account", self.account_v3, 5, SIGNED),
            Route("GET", f"{v1}/positionSide/dual", self.get_dual, 30, SIGNED),
            Route("POST", f"{v1}/positionSide/dual", self.set_dual, 1, SIGNED),
            Route("GET", f"{v1}/multiAssetsMargin", self.get_multi, 30, SIGNED),
            Route("POST", f"{v1}/multiAssetsMargin", self.set_multi, 1, SIGNED),
            Route("POST", f"{v1}/positionMargin", self.position_margin, 1, SIGNED),
            Route("GET", f"{v1}/positionMargin/history", self.margin_history, 1, SIGNED),
            Route("GET", f"{v1}/commissionRate", self.commission, 20, SIGNED),
            Route("GET", f"{v1}/symbolConfig", self.symbol_config, 5, SIGNED),
            Route("GET", f"{v1}/accountConfig", self.account_config, 5, SIGNED),
            Route("GET", f"{v1}/adlQuantile", self.adl, 5, SIGNED),
            Route("GET", f"{v1}/forceOrders", self.force_orders, 20, SIGNED),
            Route("GET", f"{v1}/rateLimit/order", self.order_limits, 1, SIGNED),
        ]

    def _symbol(self, params: Params, required: bool = True) -> str | None:
        return params.symbol(self.engine.specs, required)

    def account_v3(self, call: Call) -> dict[str, Any]:
        return self.engine.account_info_v3()

    def get_dual(self, call: Call) -> dict[str, Any]:
        return {"dualSidePosition": self.engine.account.dual_side}

    def set_dual(self, call: Call) -> dict[str, Any]:
        return self.engine.set_dual_side(_flag(call.params, "dualSidePosition"))

    def get_multi(self, call: Call) -> dict[str, Any]:
        return {"multiAssetsMargin": self.engine.multi_assets}

    def set_multi(self, call: Call) -> dict[str, Any]:
        wanted = _flag(call.params, "multiAssetsMargin")
        if wanted == self.engine.multi_assets:
            raise ApiError(-4171, "Adjusted asset mode is currently set and does not need to be "
                           "adjusted repeatedly")  # fmt: skip
        self.engine.multi_assets = wanted
        return SUCCESS

    def position_margin(self, call: Call) -> dict[str, Any]:
        """Add (type 1) or remove (type 2) isolated margin of an open isolated position."""
        params = call.params
        symbol = self._symbol(params)
        assert symbol is not None
        side = params.text("positionSide", default="BOTH") or "BOTH"
        amount = params.required_decimal("amount")
        kind = params.integer("type", required=True)
        if kind not in (1, 2) or amount <= 0:
            raise ApiError(-1130, "Data sent for parameter 'type' is not valid.")
        account = self.engine.account
        if account.settings_for(symbol).margin_type is not MarginType.ISOLATED:
            raise ApiError(-4046, "Margin type cannot be changed to cross: it is not isolated.")
        position = account.position(symbol, side)
        if position.amount == 0:
            raise ApiError(-2024, "Position is not sufficient.")
        delta = book(amount if kind == 1 else -amount)
        if kind == 1 and amount > account.cross_wallet:
            raise ApiError(-2018, "Balance is insufficient")
        if kind == 2 and amount > position.isolated_wallet:
            raise ApiError(-4051, "Isolated balance insufficient.")
        position.isolated_wallet += delta
        account.cross_wallet -= delta
        self.engine.margin_history.append({
            "symbol": symbol, "type": kind, "deltaType": "USER_ADJUST", "amount": fmt(amount),
            "asset": MARGIN_ASSET, "time": call.now_ms, "positionSide": side,
        })  # fmt: skip
        msg = "Successfully modify position margin."
        return {"amount": float(amount), "code": 200, "msg": msg, "type": kind}

    def margin_history(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params)
        kind = params.integer("type")
        start, end = params.integer("startTime"), params.integer("endTime")
        rows = [
            r
            for r in self.engine.margin_history
            if r["symbol"] == symbol
            and (kind is None or r["type"] == kind)
            and (start is None or r["time"] >= start)
            and (end is None or r["time"] <= end)
        ]
        return rows[-params.limit(500, 500) :]

    def commission(self, call: Call) -> dict[str, Any]:
        symbol = self._symbol(call.params)
        return {
            "symbol": symbol,
            "makerCommissionRate": fmt(MAKER_FEE_RATE),
            "takerCommissionRate": fmt(TAKER_FEE_RATE),
            "rpiCommissionRate": "0",
        }

    def symbol_config(self, call: Call) -> list[dict[str, Any]]:
        symbol = self._symbol(call.params, required=False)
        wanted = [symbol] if symbol else list(self.engine.specs)
        rows = []
        for s in wanted:
            settings = self.engine.account.settings_for(s)
            cap = self.engine.specs[s].brackets.max_notional_at(settings.leverage)
            rows.append({
                "symbol": s, "marginType": settings.margin_type.value, "isAutoAddMargin": "false",
                "leverage": settings.leverage, "maxNotionalValue": fmt(cap),
            })  # fmt: skip
        return rows

    def account_config(self, call: Call) -> dict[str, Any]:
        return {
            "feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
            "dualSidePosition": self.engine.account.dual_side, "updateTime": 0,
            "multiAssetsMargin": self.engine.multi_assets, "tradeGroupId": -1,
        }  # fmt: skip

    def adl(self, call: Call) -> list[dict[str, Any]]:
        """ADL quantile (0 to 4) of each symbol with a position: 1 for a profitable side, else 0
        (one paper account cannot rank itself against the others)."""
        symbol = self._symbol(call.params, required=False)
        account, marks = self.engine.account, self.engine.state.marks()
        rows = []
        for s in [symbol] if symbol else list(self.engine.specs):
            held = [p for p in account.positions.values() if p.symbol == s and p.amount]
            if not held:
                continue
            quantile = {"LONG": 0, "SHORT": 0, "HEDGE" if account.dual_side else "BOTH": 0}
            for p in held:
                profitable = p.amount * (marks[s] - p.entry_price) > 0
                side = (
                    p.position_side if account.dual_side else ("LONG" if p.amount > 0 else "SHORT")
                )
                quantile[side] = 1 if profitable else 0
            rows.append({"symbol": s, "adlQuantile": quantile})
        return rows

    def force_orders(self, call: Call) -> list[dict[str, Any]]:
        params = call.params
        symbol = self._symbol(params, required=False)
        start, end = params.integer("startTime"), params.integer("endTime")
        rows = [
            o.to_wire()
            for o in self.engine.state.orders.values()
            if o.order_type == "LIQUIDATION"
            and (symbol is None or o.symbol == symbol)
            and (start is None or o.time >= start)
            and (end is None or o.time <= end)
        ]
        return rows[-params.limit(50, 100) :]

    def order_limits(self, call: Call) -> list[dict[str, Any]]:
        return [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
             "limit": self.limiter.orders_per_10s},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ]  # fmt: skip
