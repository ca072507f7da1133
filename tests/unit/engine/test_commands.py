from decimal import Decimal

import pytest
from pydantic import ValidationError

from engine.command_queue import CommandQueue, EngineStopped, QueueFull, ReplyTimeout
from engine.commands import Ping, PlaceOrder


def test_a_full_queue_refuses_at_once():
    q = CommandQueue(maxsize=2)
    q.open()
    q.submit(Ping(actor="t"))
    q.submit(Ping(actor="t"))
    with pytest.raises(QueueFull, match="2 commands waiting"):
        q.submit(Ping(actor="t"))


def test_a_closed_queue_refuses_and_fails_what_was_waiting():
    q = CommandQueue(maxsize=5)
    q.open()
    waiting = q.submit(Ping(actor="t"))
    q.close()
    with pytest.raises(EngineStopped):
        waiting.result(timeout=1)
    with pytest.raises(EngineStopped, match="not running"):
        q.submit(Ping(actor="t"))


def test_an_unanswered_command_times_out_with_advice():
    q = CommandQueue(maxsize=1)
    q.open()
    handle = q.submit(Ping(actor="t"))
    with pytest.raises(ReplyTimeout, match="check the Status page"):
        handle.result(timeout=0.01)


def test_commands_are_immutable_and_carry_the_actor():
    cmd = Ping(actor="alice")
    with pytest.raises(ValidationError):
        cmd.actor = "mallory"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Ping(actor="")


def limit(**changes):
    fields = dict(
        actor="t", market="spot", symbol="BTCUSDT", side="BUY", order_type="LIMIT",
        quantity=Decimal("0.01"), price=Decimal("50000"),
    )  # fmt: skip
    fields.update(changes)
    return PlaceOrder(**fields)


def test_a_valid_limit_order_builds():
    assert limit().price == Decimal("50000")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"price": None}, "needs a price"),
        ({"quantity": None}, "either a quantity or a quote amount"),
        ({"quote_quantity": Decimal(10)}, "either a quantity or a quote amount"),
        ({"order_type": "MARKET"}, "takes no limit price"),
        ({"order_type": "STOP_LIMIT"}, "needs a stop"),
        ({"reduce_only": True}, "futures-only"),
        ({"quantity": Decimal("-1")}, "greater than 0"),
        ({"symbol": "btc/usdt"}, "String should match pattern"),
    ],
)
def test_inconsistent_orders_are_refused_before_queueing(changes, reason):
    with pytest.raises(ValidationError, match=reason):
        limit(**changes)
