"""Commands the UI sends to the engine, and the engine's replies.

Commands are immutable pydantic models: a bad field is refused when the command is built, in the
caller's thread, before anything is queued. Every command names the acting user (`actor`) and
nothing else about them: each command type says which role it takes (`required_role`), and both
the app's command path and the engine look the actor's role up in the user store. Whether the
app must ask for the password again first is the command's too (`needs_password`). They travel
to the engine through engine/command_queue.py.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from engine.access.roles import Role
from engine.models import (
    Environment,
    MarginType,
    MarketType,
    OrderType,
    PositionSide,
    Side,
    TimeInForce,
)

_ids = itertools.count(1)


class Command(BaseModel):
    """Base of every command: who asks, and a process-unique id.

    `required_role` is the least role that may send it (admin unless a command says less: a new
    command is closed until someone decides who may send it); None means no user is needed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    required_role: ClassVar[Role | None] = Role.ADMIN
    needs_password: ClassVar[bool] = False

    actor: str = Field(min_length=1, max_length=64)
    command_id: int = Field(default_factory=lambda: next(_ids))


class Ping(Command):
    """Ask the engine to answer; measures the command round trip."""

    required_role = Role.VIEWER
    payload: str = ""


class GetStatus(Command):
    """Ask the engine for its health snapshot (state, uptime, loop lag, queue, tasks)."""

    required_role = Role.VIEWER


Quantity = Decimal


CLIENT_ORDER_ID = r"^[.A-Za-z0-9:/_-]{1,36}$"  # Binance's newClientOrderId


class PlaceOrder(Command):
    """Place one order. Exactly one of `quantity` and `quote_quantity` is given."""

    required_role = Role.TRADER
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    side: Side
    order_type: OrderType
    quantity: Quantity | None = Field(None, gt=0)
    quote_quantity: Quantity | None = Field(None, gt=0)
    price: Decimal | None = Field(None, gt=0)
    stop_price: Decimal | None = Field(None, gt=0)
    time_in_force: TimeInForce | None = None
    post_only: bool = False
    reduce_only: bool = False
    close_position: bool = False
    callback_rate: Decimal | None = Field(None, ge=Decimal("0.1"), le=Decimal("10"))
    # The trader's protective stop for sizing the risk of this trade (not sent to the exchange).
    stop_loss: Decimal | None = Field(None, gt=0)
    # Futures: the leverage to trade at. Set before the order is sent, and set back if the
    # exchange refuses the order, so a refused order leaves the leverage as it was.
    leverage: int | None = Field(None, ge=1, le=125)
    # Futures: the margin mode to trade in (isolated or cross), set before the order like the
    # leverage, and set back if the exchange refuses the order. Binance refuses the change while
    # the symbol has a position (-4048) or open orders (-4047): the order is then refused too.
    margin_type: MarginType | None = None
    # Futures in hedge mode: the position the order opens or closes (LONG or SHORT; a SELL on
    # LONG closes the long). Required in hedge mode, refused in one-way mode (the engine checks
    # the account's mode); Binance takes no reduce-only in hedge mode: closing is by side.
    position_side: PositionSide | None = None
    # The caller's own id for the order (Binance's newClientOrderId): with one, the same id
    # twice places one order; the second answer is the first order's. None: the desk makes one.
    client_order_id: str | None = Field(None, pattern=CLIENT_ORDER_ID)

    @model_validator(mode="after")
    def _consistent(self) -> PlaceOrder:
        problems = _order_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _order_problems(o: PlaceOrder) -> list[str]:
    return _size_and_price_problems(o) + _market_problems(o)


def _size_and_price_problems(o: PlaceOrder) -> list[str]:
    problems = []
    if (o.quantity is None) == (o.quote_quantity is None) and not o.close_position:
        problems.append("give either a quantity or a quote amount, not both")
    if o.order_type.has_limit_price and o.price is None:
        problems.append(f"a {o.order_type} order needs a price")
    if not o.order_type.has_limit_price and o.price is not None:
        problems.append(f"a {o.order_type} order takes no limit price")
    if o.order_type.has_stop_price and o.stop_price is None:
        problems.append(f"a {o.order_type} order needs a stop (trigger) price")
    if o.post_only and o.order_type is not OrderType.LIMIT:
        problems.append("post-only applies to limit orders")
    return problems


def _market_problems(o: PlaceOrder) -> list[str]:
    """What only one market takes."""
    problems = []
    spot = o.market is MarketType.SPOT
    if o.quote_quantity is not None and not (spot and o.order_type is OrderType.MARKET):
        problems.append("a quote amount is only for spot market orders")
    if spot and (o.reduce_only or o.close_position):
        problems.append("reduce-only and close-position are futures-only")
    if o.order_type is OrderType.TRAILING_STOP_MARKET and (spot or o.callback_rate is None):
        problems.append("a trailing stop is futures-only and needs a callback rate")
    if o.leverage is not None and spot:
        problems.append("leverage applies to futures orders")
    if o.margin_type is not None and spot:
        problems.append("the margin mode applies to futures orders")
    if o.position_side is not None and spot:
        problems.append("a position side (long or short) applies to futures orders")
    hedged = o.position_side in (PositionSide.LONG, PositionSide.SHORT)
    if hedged and o.reduce_only:
        problems.append(
            "reduce-only is not taken in hedge mode: to close, send the opposite side on the "
            "position's side (a SELL on LONG closes the long)"
        )
    return problems


class CancelOrder(Command):
    required_role = Role.TRADER
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    client_order_id: str = Field(min_length=1, max_length=36)


class CancelAllOrders(Command):
    required_role = Role.TRADER
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")


class SetLeverage(Command):
    required_role = Role.TRADER
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    leverage: int = Field(ge=1, le=125)


class SetMarginType(Command):
    required_role = Role.TRADER
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    margin_type: MarginType


class ClosePosition(Command):
    """Close a futures position at market (reduce-only); optionally cancel its reduce-only
    orders first, which would have nothing left to reduce. In hedge mode `position_side`
    names the side to close (LONG or SHORT); the other side stays open."""

    required_role = Role.TRADER
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    cancel_reduce_only: bool = False
    position_side: PositionSide | None = None


class SelectPairs(Command):
    """Replace the selected pairs of one market; the engine subscribes and backfills."""

    required_role = Role.TRADER
    market: MarketType
    symbols: tuple[str, ...]


class Reconcile(Command):
    """Re-read balances, orders, fills and positions from the exchange now."""

    required_role = Role.TRADER


class TestConnection(Command):
    """Check the running engine's keys against its exchange: what they may do, both markets.

    The result is kept per environment and key (a live key must pass before going live)."""


class SaveTradingConfig(Command):
    """Store a new trading configuration version (validated by the engine)."""

    needs_password = True
    config: dict[str, Any]


class SaveRiskConfig(Command):
    """Store a new risk configuration version (validated by the engine)."""

    needs_password = True
    config: dict[str, Any]


class TripKillSwitch(Command):
    """Pull the kill switch by hand (any trader or admin)."""

    required_role = Role.TRADER
    reason: str = Field(min_length=1, max_length=500)


class ResetKillSwitch(Command):
    """Reset the kill switch (an admin, who gives the password again)."""

    needs_password = True


class SaveFavourites(Command):
    """Store the trader's favourite pairs of one market (a versioned preference)."""

    required_role = Role.TRADER
    market: MarketType
    symbols: tuple[str, ...] = Field(max_length=200)


# --- the audit trail's records from the UI process, keys and the environment ---------------------

USER_UNKNOWN = "(unknown user)"
LoginOutcome = Literal["succeeded", "failed", "locked", "logged_out", "expired"]


class RecordLogin(Command):
    """A login, a failed one, a logout or an expired session, for the audit trail.

    `actor` is the user name, or USER_UNKNOWN when the name typed is nobody's (that text is not
    kept: people type passwords into it). Nobody needs to be logged in to send it.
    """

    required_role = None
    outcome: LoginOutcome
    method: Literal["password", "cookie", "setup", "reauth", "token"] | None = None
    address: str | None = Field(None, max_length=64)
    forwarded_for: str | None = Field(None, max_length=200)


class RecordUserChange(Command):
    """An admin's change to the users (the app writes the user store; this is its record)."""

    change: Literal["created", "role", "password", "disabled", "enabled"]
    username: str = Field(min_length=1, max_length=64)
    role: Role | None = None


class RecordTokenChange(Command):
    """An admin made or revoked an API token (the app writes the token store; this is its
    record, never the token)."""

    change: Literal["created", "revoked"]
    token_id: str = Field(pattern=r"^[0-9a-f]{12}$")
    username: str = Field(min_length=1, max_length=64)
    role: Role
    label: str = Field("", max_length=60)


class StoreApiKey(Command):
    """Encrypt an API key and its secret into the vault for `environment` (testnet or live)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)
    needs_password = True
    environment: Environment
    api_key: SecretStr = Field(min_length=16, max_length=256)
    api_secret: SecretStr = Field(min_length=16, max_length=512)


class DeleteApiKey(Command):
    """Remove `environment`'s key from the vault."""

    needs_password = True
    environment: Environment


class TestKeys(Command):
    """Check the keys the desk holds for `environment` against that environment's exchange and
    keep the result (a live key must pass before the desk may go live)."""

    environment: Environment


class SwitchEnvironment(Command):
    """May the desk switch to `target`? The engine answers with the gate (for live: a key that
    passed its test, and the typed confirmation); the app then restarts it in `target`."""

    needs_password = True
    target: Environment
    confirmation: str = Field("", max_length=40)


class SetStrategy(Command):
    """Switch a strategy on or off for one pair, with its parameters (admin; a new version of
    the `strategies` configuration)."""

    strategy: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    interval: str = Field("1m", max_length=4)
    enabled: bool
    params: dict[str, Any] = Field(default_factory=dict)
    budget_ms: int = Field(1000, ge=10, le=60_000)


class RescanStrategies(Command):
    """Look at the strategies folder again (new or changed files)."""


class StartReplay(Command):
    """Run a strategy over a candle file through a simulator on its virtual clock (admin)."""

    strategy: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    market: MarketType = MarketType.SPOT
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    interval: str = Field("5m", max_length=4)
    file: str = Field(min_length=1, max_length=1000)
    params: dict[str, Any] = Field(default_factory=dict)
    bars: int | None = Field(None, ge=1, le=10_000_000)
    quote_balance: Decimal = Field(Decimal(10_000), gt=0, le=Decimal(10) ** 12)


class CancelReplay(Command):
    run_id: str = Field(pattern=r"^[a-z0-9\-]{1,40}$")


class Reply(BaseModel):
    """The engine's answer to one command."""

    model_config = ConfigDict(frozen=True)

    command_id: int
    ok: bool
    message: str = ""
    code: str | None = None  # machine-readable reason on refusal, e.g. "filter.LOT_SIZE"
    data: dict[str, Any] = Field(default_factory=dict)
