"""Binance JSON shapes for USD-M account data and user-data events, built from account state."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from simulator.futures.accounts import FuturesAccount
from simulator.futures.margin import ZERO, MarginType, PositionView
from simulator.futures.order_types import Order, fmt
from simulator.futures.symbols import MARGIN_ASSET

EIGHT = Decimal("0.00000001")


def money(value: Decimal) -> str:
    return f"{value.quantize(EIGHT):f}"


def view_of(account: FuturesAccount, key: str, marks: Mapping[str, Decimal]) -> PositionView:
    position = account.positions[key]
    return account.view(position.symbol, marks, position.position_side)


def position_risk(view: PositionView, now_ms: int) -> dict:
    """One entry of `GET /fapi/v3/positionRisk` (plus the v2 fields leverage and marginType)."""
    position = view.position
    isolated = view.settings.margin_type is MarginType.ISOLATED
    isolated_margin = position.isolated_wallet + view.unrealized_pnl if isolated else ZERO
    return {
        "symbol": position.symbol,
        "positionSide": position.position_side,
        "positionAmt": fmt(position.amount),
        "entryPrice": money(position.entry_price),
        "breakEvenPrice": money(position.entry_price),
        "markPrice": money(view.mark_price),
        "unRealizedProfit": money(view.unrealized_pnl),
        "liquidationPrice": money(view.liquidation_price),
        "isolatedMargin": money(isolated_margin),
        "notional": money(view.notional),
        "marginAsset": MARGIN_ASSET,
        "isolatedWallet": money(position.isolated_wallet),
        "initialMargin": money(view.initial_margin),
        "maintMargin": money(view.maint_margin),
        "positionInitialMargin": money(view.initial_margin),
        "openOrderInitialMargin": "0",
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": position.update_time or now_ms,
        "leverage": str(view.settings.leverage),
        "marginType": view.settings.margin_type.wire,
        "maxNotionalValue": fmt(view.max_notional),
        "isAutoAddMargin": "false",
    }


def account_totals(
    account: FuturesAccount, marks: Mapping[str, Decimal], open_order_margin: Decimal
) -> dict[str, Decimal]:
    views = [view_of(account, k, marks) for k in account.open_symbols()]
    upnl = sum((v.unrealized_pnl for v in views), ZERO)
    position_im = sum((v.initial_margin for v in views), ZERO)
    cross_upnl, _ = account.cross_totals(marks)
    available = account.available_balance(marks, open_order_margin)
    return {
        "totalInitialMargin": position_im + open_order_margin,
        "totalMaintMargin": sum((v.maint_margin for v in views), ZERO),
        "totalWalletBalance": account.wallet_balance,
        "totalUnrealizedProfit": upnl,
        "totalMarginBalance": account.wallet_balance + upnl,
        "totalPositionInitialMargin": position_im,
        "totalOpenOrderInitialMargin": open_order_margin,
        "totalCrossWalletBalance": account.cross_wallet,
        "totalCrossUnPnl": cross_upnl,
        "availableBalance": available,
        "maxWithdrawAmount": min(available, account.cross_wallet),
    }


def account_v2(
    account: FuturesAccount, marks: Mapping[str, Decimal], open_order_margin: Decimal, now: int
) -> dict:
    totals = account_totals(account, marks, open_order_margin)
    asset = {
        "asset": MARGIN_ASSET,
        "walletBalance": money(totals["totalWalletBalance"]),
        "unrealizedProfit": money(totals["totalUnrealizedProfit"]),
        "marginBalance": money(totals["totalMarginBalance"]),
        "maintMargin": money(totals["totalMaintMargin"]),
        "initialMargin": money(totals["totalInitialMargin"]),
        "positionInitialMargin": money(totals["totalPositionInitialMargin"]),
        "openOrderInitialMargin": money(totals["totalOpenOrderInitialMargin"]),
        "crossWalletBalance": money(totals["totalCrossWalletBalance"]),
        "crossUnPnl": money(totals["totalCrossUnPnl"]),
        "availableBalance": money(totals["availableBalance"]),
        "maxWithdrawAmount": money(totals["maxWithdrawAmount"]),
        "marginAvailable": True,
        "updateTime": now,
    }
    positions = [
        _v2_position(account.view(symbol, marks, p.position_side))
        for symbol in account.specs
        for p in account.positions_of(symbol)
    ]
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": False,
        "tradeGroupId": -1,
        **{k: money(v) for k, v in totals.items()},
        "assets": [asset],
        "positions": positions,
    }


def _v2_position(view: PositionView) -> dict:
    return {
        "symbol": view.position.symbol,
        "initialMargin": money(view.initial_margin),
        "maintMargin": money(view.maint_margin),
        "unrealizedProfit": money(view.unrealized_pnl),
        "positionInitialMargin": money(view.initial_margin),
        "openOrderInitialMargin": "0",
        "leverage": str(view.settings.leverage),
        "isolated": view.settings.margin_type is MarginType.ISOLATED,
        "entryPrice": money(view.position.entry_price),
        "breakEvenPrice": money(view.position.entry_price),
        "maxNotional": fmt(view.max_notional),
        "bidNotional": "0",
        "askNotional": "0",
        "positionSide": view.position.position_side,
        "positionAmt": fmt(view.position.amount),
        "isolatedWallet": money(view.position.isolated_wallet),
        "notional": money(view.notional),
        "updateTime": view.position.update_time,
    }


def account_v3(
    account: FuturesAccount,
    marks: Mapping[str, Decimal],
    open_order_margin: Decimal,
    now: int,
    with_orders: set[str],
) -> dict:
    """`GET /fapi/v3/account`: totals, assets, and only the positions that are open or have
    open orders, each with its isolated margin (no leverage: that is /fapi/v1/symbolConfig)."""
    body = account_v2(account, marks, open_order_margin, now)
    positions = []
    for key, position in account.positions.items():
        if position.amount == 0 and position.symbol not in with_orders:
            continue
        view = view_of(account, key, marks)
        isolated = view.settings.margin_type is MarginType.ISOLATED
        margin = position.isolated_wallet + view.unrealized_pnl if isolated else ZERO
        positions.append({
            "symbol": position.symbol, "positionSide": position.position_side,
            "positionAmt": fmt(position.amount), "unrealizedProfit": money(view.unrealized_pnl),
            "isolatedMargin": money(margin), "notional": money(view.notional),
            "isolatedWallet": money(position.isolated_wallet),
            "initialMargin": money(view.initial_margin), "maintMargin": money(view.maint_margin),
            "updateTime": position.update_time,
        })  # fmt: skip
    totals = {k: v for k, v in body.items() if k.startswith(("total", "available", "maxW"))}
    asset = {k: v for k, v in body["assets"][0].items() if k != "marginAvailable"}
    return {**totals, "assets": [asset], "positions": positions}


def balance_v3(
    account: FuturesAccount, marks: Mapping[str, Decimal], open_order_margin: Decimal, now: int
) -> list[dict]:
    totals = account_totals(account, marks, open_order_margin)
    return [
        {
            "accountAlias": "SimFutures",
            "asset": MARGIN_ASSET,
            "balance": money(totals["totalWalletBalance"]),
            "crossWalletBalance": money(totals["totalCrossWalletBalance"]),
            "crossUnPnl": money(totals["totalCrossUnPnl"]),
            "availableBalance": money(totals["availableBalance"]),
            "maxWithdrawAmount": money(totals["maxWithdrawAmount"]),
            "marginAvailable": True,
            "updateTime": now,
        }
    ]


# --- user-data events ---


def order_trade_update(
    order: Order,
    execution: str,
    now: int,
    last_qty: Decimal = ZERO,
    last_price: Decimal = ZERO,
    commission: Decimal = ZERO,
    realized: Decimal = ZERO,
    is_maker: bool = False,
    trade_id: int = 0,
    expiry_reason: str = "0",
) -> dict:
    return {
        "e": "ORDER_TRADE_UPDATE",
        "E": now,
        "T": now,
        "o": {
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side,
            "o": order.order_type,
            "f": order.time_in_force,
            "q": fmt(order.qty),
            "p": fmt(order.price),
            "ap": fmt(order.avg_price),
            "sp": fmt(order.stop_price),
            "x": execution,
            "X": order.status,
            "i": order.order_id,
            "l": fmt(last_qty),
            "z": fmt(order.executed_qty),
            "L": fmt(last_price),
            "N": MARGIN_ASSET,
            "n": money(commission),
            "T": now,
            "t": trade_id,
            "b": "0",
            "a": "0",
            "m": is_maker,
            "R": order.reduce_only,
            "wt": order.working_type,
            "ot": order.orig_type or order.order_type,
            "ps": order.position_side,
            "cp": order.close_position,
            "rp": money(realized),
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "EXPIRE_MAKER",
            "pm": "NONE",
            "gtd": 0,
            "er": expiry_reason,
        },
    }


def account_update(
    account: FuturesAccount,
    reason: str,
    symbols: list[str],
    marks: Mapping[str, Decimal],
    now: int,
    balance_change: Decimal = ZERO,
) -> dict:
    positions = []
    for key in symbols:
        view = view_of(account, key, marks)
        positions.append(
            {
                "s": view.position.symbol,
                "pa": fmt(view.position.amount),
                "ep": money(view.position.entry_price),
                "bep": money(view.position.entry_price),
                "cr": money(view.position.accumulated_realized),
                "up": money(view.unrealized_pnl),
                "mt": view.settings.margin_type.wire,
                "iw": money(view.position.isolated_wallet),
                "ps": view.position.position_side,
            }
        )
    return {
        "e": "ACCOUNT_UPDATE",
        "E": now,
        "T": now,
        "a": {
            "m": reason,
            "B": [
                {
                    "a": MARGIN_ASSET,
                    "wb": money(account.wallet_balance),
                    "cw": money(account.cross_wallet),
                    "bc": money(balance_change),
                }
            ],
            "P": positions,
        },
    }
