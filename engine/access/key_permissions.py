"""What an API key may do, as the exchange reports it: the account's abilities and the key's
own restrictions (never the key itself)."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Frozen


class ApiRestrictions(Frozen):
    """What the exchange lets one API key do (Binance's API key restrictions)."""

    ip_restricted: bool
    reading: bool
    spot_and_margin_trading: bool
    futures: bool
    margin: bool
    withdrawals: bool
    internal_transfer: bool
    universal_transfer: bool
    options: bool
    created_ms: int | None = None


class KeyPermissions(Frozen):
    """What an API key may do, as the exchange reports it (never the key itself).

    `spot_trade`, `withdraw` and `deposit` are the account's abilities; `restrictions` are the
    key's own, when the exchange serves them (Binance's testnet does not: `restrictions_note`).
    """

    spot_trade: bool
    withdraw: bool
    deposit: bool
    account_type: str
    futures_trade: bool | None = None  # None: the futures market was not asked
    futures_wallet: Decimal | None = None
    restrictions: ApiRestrictions | None = None
    restrictions_note: str | None = None  # why there are none
