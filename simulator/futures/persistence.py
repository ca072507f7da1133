"""The USD-M paper account as the `futures` section of the simulator's state.json."""

from __future__ import annotations

from decimal import Decimal

from simulator.futures.accounts import FuturesAccount
from simulator.futures.funding import Funding
from simulator.futures.order_types import AlgoOrder, Order
from simulator.futures.state import TradingState

_DECIMAL_FIELDS = ("qty", "price", "stop_price", "executed_qty", "cum_quote", "realized_pnl")
_ALGO_DECIMALS = ("qty", "price", "trigger_price", "actual_price", "actual_qty")
_ALGO_OPTIONAL = ("activate_price", "callback_rate", "extreme")


def dump(state: TradingState, funding: Funding) -> dict:
    return {
        "now_ms": state.now_ms,
        "account": state.account.to_state(),
        "orders": [_order_state(o) for o in state.orders.values()],
        "algo_orders": [_algo_state(a) for a in state.algo_orders.values()],
        "next_order_id": state.next_order_id,
        "next_trade_id": state.next_trade_id,
        "trades": state.trades,
        "funding_rates": {s: str(r) for s, r in funding.rates.items()},
    }


def load(state: TradingState, funding: Funding, saved: dict) -> None:
    state.now_ms = max(state.now_ms, saved["now_ms"])
    state.account = FuturesAccount.from_state(state.specs, saved["account"])
    state.orders = {row["order_id"]: _order_from(row) for row in saved["orders"]}
    state.algo_orders = {row["algo_id"]: _algo_from(row) for row in saved["algo_orders"]}
    state.next_order_id = saved["next_order_id"]
    state.next_trade_id = saved["next_trade_id"]
    state.trades = list(saved.get("trades", []))
    rates = {s: Decimal(r) for s, r in saved["funding_rates"].items() if s in funding.rates}
    funding.rates.update(rates)


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
