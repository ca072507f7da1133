"""Commands the UI sends to the engine, the engine's replies, and the queue between them.

Commands are immutable pydantic models: a bad field is refused when the command is built, in the
caller's thread, before anything is queued. Every command names the acting user (`actor`), so
role checks and the audit trail have it. The queue is bounded and never blocks the caller: a full
queue or a stopped engine raises at once, and a reply is awaited with a timeout.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.models import MarginType, MarketType, OrderType, Side, TimeInForce

_ids = itertools.count(1)


class Command(BaseModel):
    """Base of every command: who asks, and a process-unique id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1, max_length=64)
    command_id: int = Field(default_factory=lambda: next(_ids))


class Ping(Command):
    """Ask the engine to answer; measures the command round trip."""

    payload: str = ""


class GetStatus(Command):
    """Ask the engine for its health snapshot (state, uptime, loop lag, queue, tasks)."""


Quantity = Decimal


class PlaceOrder(Command):
    """Place one order. Exactly one of `quantity` and `quote_quantity` is given."""

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

    @model_validator(mode="after")
    def _consistent(self) -> PlaceOrder:
        problems = _order_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _order_problems(o: PlaceOrder) -> list[str]:
    problems = []
    if (o.quantity is None) == (o.quote_quantity is None) and not o.close_position:
        problems.append("give either a quantity or a quote amount, not both")
    if o.quote_quantity is not None and not (
        o.market is MarketType.SPOT and o.order_type is OrderType.MARKET
    ):
        problems.append("a quote amount is only for spot market orders")
    if o.order_type.has_limit_price and o.price is None:
        problems.append(f"a {o.order_type} order needs a price")
    if not o.order_type.has_limit_price and o.price is not None:
        problems.append(f"a {o.order_type} order takes no limit price")
    if o.order_type.has_stop_price and o.stop_price is None:
        problems.append(f"a {o.order_type} order needs a stop (trigger) price")
    if o.market is MarketType.SPOT and (o.reduce_only or o.close_position):
        problems.append("reduce-only and close-position are futures-only")
    if o.order_type is OrderType.TRAILING_STOP_MARKET and (
        o.market is MarketType.SPOT or o.callback_rate is None
    ):
        problems.append("a trailing stop is futures-only and needs a callback rate")
    if o.post_only and o.order_type is not OrderType.LIMIT:
        problems.append("post-only applies to limit orders")
    if o.leverage is not None and o.market is MarketType.SPOT:
        problems.append("leverage applies to futures orders")
    return problems


class CancelOrder(Command):
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    client_order_id: str = Field(min_length=1, max_length=36)


class CancelAllOrders(Command):
    market: MarketType
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")


class SetLeverage(Command):
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    leverage: int = Field(ge=1, le=125)


class SetMarginType(Command):
    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    margin_type: MarginType


class ClosePosition(Command):
    """Close a futures position at market (reduce-only); optionally cancel its reduce-only
    orders first, which would have nothing left to reduce."""

    symbol: str = Field(pattern=r"^[A-Z0-9]{5,20}$")
    cancel_reduce_only: bool = False


class SelectPairs(Command):
    """Replace the selected pairs of one market; the engine subscribes and backfills."""

    market: MarketType
    symbols: tuple[str, ...]


class Reconcile(Command):
    """Re-read balances, orders, fills and positions from the exchange now."""


class TestConnection(Command):
    """Check the keys against the exchange: account permissions, both markets."""


class SaveTradingConfig(Command):
    """Store a new trading configuration version (validated by the engine)."""

    config: dict[str, Any]


class SaveRiskConfig(Command):
    """Store a new risk configuration version (validated by the engine)."""

    config: dict[str, Any]


class TripKillSwitch(Command):
    """Pull the kill switch by hand (any trader or admin)."""

    reason: str = Field(min_length=1, max_length=500)
    roles: tuple[str, ...] = ()


class ResetKillSwitch(Command):
    """Reset the kill switch; the engine refuses unless `roles` holds admin."""

    roles: tuple[str, ...] = ()


class SaveFavourites(Command):
    """Store the trader's favourite pairs of one market (a versioned preference)."""

    market: MarketType
    symbols: tuple[str, ...] = Field(max_length=200)


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
    roles: tuple[str, ...] = ()


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
    roles: tuple[str, ...] = ()


class CancelReplay(Command):
    run_id: str = Field(pattern=r"^[a-z0-9\-]{1,40}$")
    roles: tuple[str, ...] = ()


class Reply(BaseModel):
    """The engine's answer to one command."""

    model_config = ConfigDict(frozen=True)

    command_id: int
    ok: bool
    message: str = ""
    code: str | None = None  # machine-readable reason on refusal, e.g. "filter.LOT_SIZE"
    data: dict[str, Any] = Field(default_factory=dict)


class CommandError(RuntimeError):
    """The command could not be delivered or answered."""


class QueueFull(CommandError):
    pass


class EngineStopped(CommandError):
    pass


class ReplyTimeout(CommandError):
    pass


class Handle:
    """The caller's side of one submitted command."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self._future: Future[Reply] = Future()

    def result(self, timeout: float) -> Reply:
        """Wait up to `timeout` seconds for the reply."""
        try:
            return self._future.result(timeout=timeout)
        except FutureTimeout:
            raise ReplyTimeout(
                f"The engine did not answer {type(self.command).__name__} within {timeout:g} s. "
                "It may still act on it: check the Status page before sending it again."
            ) from None

    def done(self) -> bool:
        return self._future.done()

    def when_done(self, callback: Callable[[Reply | None], None]) -> None:
        """Call `callback(reply)` once answered (None when the engine failed the command)."""
        self._future.add_done_callback(
            lambda f: callback(None if f.exception() is not None else f.result())
        )

    def resolve(self, reply: Reply) -> None:
        if not self._future.done():
            self._future.set_result(reply)

    def fail(self, error: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(error)


State = Literal["open", "closed"]


class CommandQueue:
    """Bounded, thread-safe queue of handles; `submit` never blocks."""

    def __init__(self, maxsize: int, on_submit: Callable[[], None] | None = None) -> None:
        self.maxsize = maxsize
        self._queue: queue.Queue[Handle] = queue.Queue(maxsize=maxsize)
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._on_submit = on_submit
        self.submitted = 0
        self.last_submit_monotonic = time.monotonic()

    def open(self, on_submit: Callable[[], None] | None = None) -> None:
        with self._lock:
            self._state = "open"
            if on_submit is not None:
                self._on_submit = on_submit

    def submit(self, command: Command) -> Handle:
        """Queue `command`; raise `EngineStopped` or `QueueFull` at once instead of waiting."""
        handle = Handle(command)
        with self._lock:
            if self._state != "open":
                raise EngineStopped("The engine is not running; start it and try again.")
            try:
                self._queue.put_nowait(handle)
            except queue.Full:
                raise QueueFull(
                    f"The engine has {self.maxsize} commands waiting; try again in a moment."
                ) from None
            self.submitted += 1
            self.last_submit_monotonic = time.monotonic()
            wake = self._on_submit
        if wake is not None:
            wake()
        return handle

    def take_nowait(self) -> Handle | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def depth(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Refuse new commands and fail the ones still waiting."""
        with self._lock:
            self._state = "closed"
        while (handle := self.take_nowait()) is not None:
            handle.fail(EngineStopped("The engine stopped before it could run this command."))
