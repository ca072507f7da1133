"""Binance balance and position payloads (REST and user-data events) -> domain models."""

from __future__ import annotations

from decimal import Decimal

from engine.access.key_permissions import ApiRestrictions, KeyPermissions
from engine.binance.schemas.common import Payload, _dec, _dec_or_none, _get
from engine.models import (
    Balance,
    BalanceChange,
    FundingPayment,
    MarginBalance,
    MarginType,
    Position,
)

# --- balances and positions ---------------------------------------------------------------------


def balances_from_spot_account(payload: Payload) -> list[Balance]:
    """GET /api/v3/account."""
    what = "spot account"
    time = int(payload.get("updateTime", 0))
    return [
        Balance(
            asset=_get(row, "asset", what),
            free=_dec(row, "free", what),
            locked=_dec(row, "locked", what),
            time=time,
        )
        for row in _get(payload, "balances", what)
    ]


def balances_from_account_position(event: Payload) -> list[Balance]:
    """An `outboundAccountPosition` event: the assets that may have changed."""
    what = "outboundAccountPosition"
    time = int(_get(event, "u", what))
    return [
        Balance(
            asset=_get(row, "a", what),
            free=_dec(row, "f", what),
            locked=_dec(row, "l", what),
            time=time,
        )
        for row in _get(event, "B", what)
    ]


def balance_change_from_update(event: Payload) -> BalanceChange:
    """A `balanceUpdate` event (deposit, withdrawal, transfer): a delta."""
    what = "balanceUpdate"
    return BalanceChange(
        asset=_get(event, "a", what),
        delta=_dec(event, "d", what),
        time=int(_get(event, "T", what)),
    )


def margin_balances_from_account_update(event: Payload) -> list[MarginBalance]:
    """The `B` (balances) part of a USD-M `ACCOUNT_UPDATE`."""
    what = "ACCOUNT_UPDATE"
    update = _get(event, "a", what)
    time = int(_get(event, "T", what))
    return [
        MarginBalance(
            asset=_get(row, "a", what),
            wallet_balance=_dec(row, "wb", what),
            cross_wallet_balance=_dec(row, "cw", what),
            time=time,
        )
        for row in _get(update, "B", what)
    ]


def margin_balances_from_futures_balance(rows: list[Payload]) -> list[MarginBalance]:
    """GET /fapi/v3/balance (futures_account_balance)."""
    what = "futures balance"
    return [
        MarginBalance(
            asset=_get(row, "asset", what),
            wallet_balance=_dec(row, "balance", what),
            cross_wallet_balance=_dec(row, "crossWalletBalance", what),
            available=_dec(row, "availableBalance", what),
            time=int(row.get("updateTime", 0)),
        )
        for row in rows
    ]


def _margin_type(raw: str | None) -> MarginType | None:
    if raw is None:
        return None
    return {"cross": MarginType.CROSSED, "isolated": MarginType.ISOLATED}[raw.lower()]


def positions_from_position_risk(rows: list[Payload]) -> list[Position]:
    """GET /fapi/v2|v3/positionRisk. v3 has no leverage or margin type; they stay None."""
    what = "positionRisk"
    return [
        Position(
            symbol=_get(row, "symbol", what),
            position_side=row.get("positionSide", "BOTH"),
            amount=_dec(row, "positionAmt", what),
            entry_price=_dec(row, "entryPrice", what),
            break_even_price=Decimal(row["breakEvenPrice"]) if "breakEvenPrice" in row else None,
            mark_price=_dec(row, "markPrice", what),
            unrealized_pnl=_dec(row, "unRealizedProfit", what),
            leverage=int(row["leverage"]) if "leverage" in row else None,
            margin_type=_margin_type(row.get("marginType")),
            isolated_margin=_dec(row, "isolatedMargin", what),
            liquidation_price=_dec_or_none(row, "liquidationPrice", what),
            notional=Decimal(row["notional"]) if "notional" in row else None,
            time=int(row.get("updateTime", 0)),
        )
        for row in rows
    ]


def positions_from_account_update(event: Payload) -> list[Position]:
    """The `P` (positions) part of a USD-M `ACCOUNT_UPDATE`: no mark, leverage or liq price."""
    what = "ACCOUNT_UPDATE"
    update = _get(event, "a", what)
    time = int(_get(event, "T", what))
    return [
        Position(
            symbol=_get(row, "s", what),
            position_side=row.get("ps", "BOTH"),
            amount=_dec(row, "pa", what),
            entry_price=_dec(row, "ep", what),
            break_even_price=Decimal(row["bep"]) if "bep" in row else None,
            unrealized_pnl=_dec(row, "up", what),
            margin_type=_margin_type(_get(row, "mt", what)),
            isolated_margin=_dec(row, "iw", what),
            time=time,
        )
        for row in update.get("P", [])
    ]


def leverage_caps_from_brackets(rows: list[Payload]) -> dict[str, int]:
    """GET /fapi/v1/leverageBracket: each symbol's highest leverage (its first bracket)."""
    return {
        row["symbol"]: int(row["brackets"][0]["initialLeverage"])
        for row in rows
        if row.get("brackets")
    }


def hedge_mode_from_answer(payload: Payload) -> bool:
    """GET /fapi/v1/positionSide/dual: `dualSidePosition` true is hedge mode."""
    raw = _get(payload, "dualSidePosition", "position mode answer")
    return raw is True or str(raw).lower() == "true"


def leverage_from_answer(payload: Payload) -> int:
    """POST /fapi/v1/leverage."""
    return int(_get(payload, "leverage", "leverage answer"))


def permissions_from_accounts(spot: Payload, futures: Payload | None) -> KeyPermissions:
    """GET /api/v3/account (and /fapi/v2/account): what the key may do."""
    what = "spot account"
    return KeyPermissions(
        spot_trade=bool(_get(spot, "canTrade", what)),
        withdraw=bool(spot.get("canWithdraw", False)),
        deposit=bool(spot.get("canDeposit", False)),
        account_type=str(spot.get("accountType", "")),
        futures_trade=None if futures is None else bool(futures.get("canTrade", True)),
        futures_wallet=None
        if futures is None
        else _dec_or_none(futures, "totalWalletBalance", "futures account"),
    )


def api_restrictions_from(payload: Payload) -> ApiRestrictions:
    """GET /sapi/v1/account/apiRestrictions: what this key may do."""

    def flag(name: str) -> bool:
        return bool(payload.get(name, False))

    return ApiRestrictions(
        ip_restricted=bool(_get(payload, "ipRestrict", "API key restrictions")),
        reading=flag("enableReading"),
        spot_and_margin_trading=flag("enableSpotAndMarginTrading"),
        futures=flag("enableFutures"),
        margin=flag("enableMargin"),
        withdrawals=flag("enableWithdrawals"),
        internal_transfer=flag("enableInternalTransfer"),
        universal_transfer=flag("permitsUniversalTransfer"),
        options=flag("enableVanillaOptions"),
        created_ms=int(payload["createTime"]) if payload.get("createTime") else None,
    )


def funding_from_income(row: Payload) -> FundingPayment:
    """One FUNDING_FEE row of GET /fapi/v1/income."""
    what = "income row"
    return FundingPayment(
        symbol=_get(row, "symbol", what),
        time=int(_get(row, "time", what)),
        asset=_get(row, "asset", what),
        amount=_dec(row, "income", what),
        tran_id=int(_get(row, "tranId", what)),
    )


def account_update_reason(event: Payload) -> str:
    """Why a USD-M `ACCOUNT_UPDATE` was sent (`a.m`): ORDER, FUNDING_FEE, DEPOSIT, ..."""
    return str(_get(event, "a", "ACCOUNT_UPDATE").get("m", ""))
