"""What a trader reads about a refusal: who refused, with which code, and why."""

from __future__ import annotations

from decimal import Decimal

from engine.binance.error_rules import from_binance
from engine.binance.errors import TemporaryError
from engine.models import Refusal
from engine.orders.words import exchange_refusal, local_refusal, num


def test_a_binance_refusal_names_binance_and_its_code() -> None:
    error = from_binance(-2019, "Margin is insufficient.", 400)
    code, words = exchange_refusal(error, "the order")
    assert code == "binance.-2019"
    assert words.startswith("Binance refused the order (Binance code -2019): ")
    assert "margin" in words.lower()


def test_a_desk_refusal_says_nothing_was_sent() -> None:
    code, words = local_refusal(Refusal("filter.NOTIONAL", "Order value 1.85 USDT is too small"))
    assert code == "desk.filter.NOTIONAL"
    assert words == "Order value 1.85 USDT is too small. The desk did not send it."


def test_no_answer_is_not_called_a_refusal_by_binance() -> None:
    code, words = exchange_refusal(TemporaryError("Binance did not confirm the result."), "x")
    assert code == "binance.no_answer" and words.startswith("No answer from the exchange for x")


def test_numbers_keep_every_decimal_and_never_round() -> None:
    assert num(Decimal("0.00999000")) == "0.00999"
    assert num(Decimal("95123.45")) == "95,123.45"
