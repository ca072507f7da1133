"""Spot balances of the paper account: free and locked per asset, exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.core import errors
from simulator.core.control_bodies import BadBody, decimal_field
from simulator.spot.symbols import fmt8

ZERO = Decimal(0)
MAX_ASSETS_PER_REQUEST = 100
MAX_ASSET_CHARS = 20


class InsufficientBalance(Exception):
    pass


class Balances:
    def __init__(self, initial: dict[str, Decimal] | None = None) -> None:
        self.free: dict[str, Decimal] = dict(initial or {})
        self.locked: dict[str, Decimal] = {}
        self.changed: set[str] = set()

    def free_of(self, asset: str) -> Decimal:
        return self.free.get(asset, ZERO)

    def locked_of(self, asset: str) -> Decimal:
        return self.locked.get(asset, ZERO)

    def _add(self, book: dict[str, Decimal], asset: str, amount: Decimal) -> None:
        value = book.get(asset, ZERO) + amount
        if value < 0:
            raise InsufficientBalance(asset)
        book[asset] = value
        self.changed.add(asset)

    def lock(self, asset: str, amount: Decimal) -> None:
        if self.free_of(asset) < amount:
            raise errors.rejected(errors.INSUFFICIENT_BALANCE)
        self._add(self.free, asset, -amount)
        self._add(self.locked, asset, amount)

    def unlock(self, asset: str, amount: Decimal) -> None:
        self._add(self.locked, asset, -amount)
        self._add(self.free, asset, amount)

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        self._add(self.locked, asset, -amount)

    def spend_free(self, asset: str, amount: Decimal) -> None:
        self._add(self.free, asset, -amount)

    def credit(self, asset: str, amount: Decimal) -> None:
        self._add(self.free, asset, amount)

    def set_free(self, asset: str, amount: Decimal) -> Decimal:
        """Sets the free amount; returns the delta (for balanceUpdate)."""
        delta = amount - self.free_of(asset)
        self.free[asset] = amount
        self.changed.add(asset)
        return delta

    def take_changed(self) -> list[str]:
        changed = sorted(self.changed)
        self.changed.clear()
        return changed

    def row(self, asset: str) -> dict[str, str]:
        return {
            "asset": asset,
            "free": fmt8(self.free_of(asset)),
            "locked": fmt8(self.locked_of(asset)),
        }

    def rows(self, omit_zero: bool = False) -> list[dict[str, str]]:
        assets = sorted(set(self.free) | set(self.locked))
        rows = [self.row(a) for a in assets]
        if omit_zero:
            rows = [r for r in rows if Decimal(r["free"]) or Decimal(r["locked"])]
        return rows

    def to_state(self) -> dict[str, Any]:
        return {
            "free": {a: str(v) for a, v in self.free.items()},
            "locked": {a: str(v) for a, v in self.locked.items()},
        }

    def load_state(self, data: dict[str, Any]) -> None:
        self.free = {a: Decimal(v) for a, v in data.get("free", {}).items()}
        self.locked = {a: Decimal(v) for a, v in data.get("locked", {}).items()}

    def reset(self, free: dict[str, Decimal]) -> None:
        self.free, self.locked = dict(free), {}
        self.changed.clear()


def parse_balance_body(body: dict[str, Any]) -> dict[str, Decimal]:
    """`{"balances": {"USDT": "10000"}}` (a /_sim/balances body) -> amounts by asset: at most
    100 assets of up to 20 letters and digits, each amount in [0, 1e15] with 8 decimals."""
    wanted = body.get("balances")
    if not isinstance(wanted, dict) or not wanted:
        raise BadBody('expected {"balances": {"ASSET": "amount", ...}}')
    if len(wanted) > MAX_ASSETS_PER_REQUEST:
        raise BadBody(f"at most {MAX_ASSETS_PER_REQUEST} assets in one request")
    amounts = {}
    for asset, amount in wanted.items():
        name = asset.upper()
        if not name.isalnum() or not name.isascii() or len(name) > MAX_ASSET_CHARS:
            raise BadBody(f"an asset is 1 to {MAX_ASSET_CHARS} letters and digits, not {asset!r}")
        amounts[name] = decimal_field(amount, name)
    return amounts


def parse_balances(text: str) -> dict[str, Decimal]:
    """`USDT=10000,BTC=0.5` -> {"USDT": Decimal("10000"), "BTC": Decimal("0.5")}."""
    result: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        asset, sep, amount = part.partition("=")
        asset = asset.strip().upper()
        if not sep or not asset.isalnum():
            raise ValueError(f"bad balance {part!r}: expected ASSET=AMOUNT, e.g. USDT=10000")
        try:
            value = Decimal(amount.strip())
        except ArithmeticError as e:
            raise ValueError(f"bad amount in {part!r}") from e
        if not value.is_finite() or value < 0:
            raise ValueError(f"bad amount in {part!r}: must be a finite number >= 0")
        result[asset] = value
    return result
