"""Binance error codes -> our error classes and trader-facing reasons."""

from __future__ import annotations

import json
import re

import pytest
import requests
from binance.exceptions import BinanceAPIException
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from engine.binance.error_rules import RULES, from_binance, from_transport_failure
from engine.binance.errors import (
    AuthError,
    ClockSkew,
    ExchangeError,
    IpBanned,
    NotFound,
    NothingToChange,
    OrderRejected,
    RateLimited,
    TemporaryError,
    Throttled,
    parse_retry_after,
)
from engine.models import MarketType
from tests.conftest import REPO_ROOT

NOTES = REPO_ROOT.parent / "shared" / "notes" / "binance-api.md"


def _codes_in_error_section(text: str) -> set[int]:
    section = text[text.index("## 2. Error codes") : text.index("## 3. Rate limits")]
    codes: set[int] = set()
    for line in section.splitlines():
        if re.match(r"^\|\s*\**-\d", line):
            first_column = line.split("|")[1]
            codes |= {int(code) for code in re.findall(r"-\d{4}", first_column)}
    return codes


def test_every_code_in_the_notes_has_a_rule() -> None:
    if not NOTES.exists():
        pytest.skip(f"Binance notes not found at {NOTES}")
    codes = _codes_in_error_section(NOTES.read_text(encoding="utf-8"))
    assert len(codes) > 100, "the parser found too few codes; has the notes layout changed?"
    missing = sorted(codes - RULES.keys())
    assert not missing, f"codes without a rule: {missing}"


def test_every_rule_has_a_reason_for_the_trader() -> None:
    for code, rule in RULES.items():
        assert issubclass(rule.error, ExchangeError), code
        assert len(rule.reason) > 10 and rule.reason.endswith("."), code


def _api_exception(status: int, body: str, headers: dict[str, str] | None = None):
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers = CaseInsensitiveDict(headers or {})
    return BinanceAPIException(response, status, body)


def _body(code: int, msg: str) -> str:
    return json.dumps({"code": code, "msg": msg})


def test_lot_size_filter_failure_explains_the_step_size() -> None:
    error = from_binance(_api_exception(400, _body(-1013, "Filter failure: LOT_SIZE")))
    assert isinstance(error, OrderRejected)
    assert error.reason == (
        "Quantity is not a multiple of the step size or is outside the allowed range for this pair."
    )
    assert (error.code, error.http_status) == (-1013, 400)
    assert "Filter failure: LOT_SIZE" in str(error)


@pytest.mark.parametrize(
    ("msg", "expected_words"),
    [
        ("Filter failure: PERCENT_PRICE_BY_SIDE", "on this side"),
        ("Filter failure: PERCENT_PRICE", "average price"),
        ("Filter failure: MARKET_LOT_SIZE", "market orders"),
        ("Filter failure: NOTIONAL", "allowed range"),
        ("Filter failure: MIN_NOTIONAL", "below the pair's minimum"),
        ("Filter failure: PRICE_FILTER", "tick size"),
    ],
)
def test_each_filter_failure_has_its_own_reason(msg: str, expected_words: str) -> None:
    assert expected_words in from_binance(-1013, msg, 400).reason


@pytest.mark.parametrize(
    ("msg", "expected_class", "expected_words"),
    [
        ("Account has insufficient balance for requested action.", OrderRejected, "balance"),
        ("Duplicate order sent.", OrderRejected, "already open"),
        ("Order would immediately match and take.", OrderRejected, "Post-only"),
        ("Order would trigger immediately.", OrderRejected, "wrong side"),
        ("Market is closed.", OrderRejected, "closed"),
        ("Filter failure: MAX_NUM_ORDERS", OrderRejected, "Too many open orders"),
        ("Filter failure: MAX_NUM_ALGO_ORDERS", OrderRejected, "stop/take-profit"),
        ("This symbol is not permitted for this account.", AuthError, "not permitted"),
        ("Market orders are not supported for this symbol.", OrderRejected, "not supported"),
        ("Something new Binance says.", OrderRejected, "The exchange rejected the order."),
    ],
)
def test_new_order_rejected_is_refined_by_message(
    msg: str, expected_class: type[ExchangeError], expected_words: str
) -> None:
    error = from_binance(-2010, msg, 400)
    assert type(error) is expected_class
    assert expected_words in error.reason


def test_cancel_of_an_unknown_order_is_not_found() -> None:
    assert isinstance(from_binance(-2011, "Unknown order sent.", 400), NotFound)
    restricted = from_binance(-2011, "Order was not canceled due to cancel restrictions.", 400)
    assert type(restricted) is OrderRejected
    assert isinstance(from_binance(-2013, "Order does not exist.", 400), NotFound)


def test_429_carries_retry_after_from_the_response_headers() -> None:
    body = _body(-1003, "Too much request weight used; current limit is 6000 per 1 MINUTE.")
    error = from_binance(_api_exception(429, body, {"Retry-After": "7"}))
    assert type(error) is RateLimited
    assert error.retry_after == 7.0


def test_418_with_a_non_json_body_is_an_ip_ban() -> None:
    error = from_binance(_api_exception(418, "<html>banned</html>", {"retry-after": "120"}))
    assert type(error) is IpBanned
    assert error.code == 0
    assert error.retry_after == 120.0


def test_ip_banned_message_is_a_ban_even_on_429() -> None:
    error = from_binance(-1003, "Way too much request weight used; IP banned until 1.", 429)
    assert type(error) is IpBanned


def test_5xx_html_body_means_the_outcome_is_unknown() -> None:
    error = from_binance(_api_exception(502, "<html>Bad Gateway</html>"))
    assert type(error) is TemporaryError
    assert error.outcome_unknown


def test_503_service_unavailable_was_not_executed() -> None:
    error = from_binance(0, "Service Unavailable.", 503)
    assert isinstance(error, Throttled) and not error.outcome_unknown


def test_throttling_code_wins_over_its_503_status() -> None:
    error = from_binance(-1008, "Request throttled by system-level protection.", 503)
    assert isinstance(error, Throttled) and not error.outcome_unknown


def test_backend_timeout_has_unknown_outcome() -> None:
    error = from_binance(-1007, "Timeout waiting for response from backend server.", 408)
    assert isinstance(error, TemporaryError) and error.outcome_unknown


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (-1021, ClockSkew),
        (-5028, ClockSkew),
        (-2015, AuthError),
        (-2014, AuthError),
        (-1022, AuthError),
        (-4046, NothingToChange),
        (-4164, OrderRejected),
        (-2019, OrderRejected),
    ],
)
def test_code_classes(code: int, expected: type[ExchangeError]) -> None:
    assert type(from_binance(code, "msg", 400)) is expected


def test_market_decides_codes_that_differ_between_spot_and_futures() -> None:
    assert isinstance(from_binance(-2026, "archived", 400, market=MarketType.SPOT), NotFound)
    futures = from_binance(-2026, "not supported", 400, market=MarketType.FUTURES)
    assert type(futures) is OrderRejected
    assert "reduce-only" in futures.reason


def test_unknown_code_keeps_binances_message() -> None:
    error = from_binance(-9876, "Brand new failure.", 400)
    assert type(error) is OrderRejected
    assert "Brand new failure." in error.reason


def test_transport_failure_is_temporary_with_unknown_outcome() -> None:
    error = from_transport_failure(requests.exceptions.ReadTimeout("read timed out"))
    assert error.outcome_unknown
    assert "ReadTimeout" in str(error)


@pytest.mark.parametrize(
    ("value", "expected"), [("7", 7.0), ("0", 0.0), (None, None), ("soon", None), ("-1", None)]
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@given(
    code=st.integers(min_value=-9999, max_value=0),
    msg=st.text(max_size=80),
    status=st.sampled_from([None, 400, 401, 403, 404, 408, 418, 429, 500, 502, 503, 504]),
)
def test_any_error_maps_to_a_class_with_a_reason(code: int, msg: str, status: int | None) -> None:
    error = from_binance(code, msg, status)
    assert isinstance(error, ExchangeError)
    assert error.reason
    assert msg in str(error)
    if status == 429:
        assert isinstance(error, RateLimited)
    if status == 418:
        assert isinstance(error, IpBanned)


@pytest.mark.parametrize(
    "status, body",
    [
        (404, "404: Not Found"),
        (404, "<html><body>Not here</body></html>"),
        (400, "<bound method ClientResponse.text of <ClientResponse(http://x/fapi)>>"),
    ],
)
def test_an_answer_without_a_binance_body_gives_words_not_the_body(status: int, body: str) -> None:
    """Issue 19 defect 2: the futures cancel-all's 404 reached the page as a Python repr."""
    from engine.binance.client import _error_body
    from engine.orders.words import exchange_refusal

    code, message = _error_body(body, status)
    error = from_binance(code, message, status)
    assert not isinstance(error, TemporaryError)  # an answer came: nothing is unknown
    assert "<" not in error.reason and "Not Found" not in error.reason
    assert body.split()[0] not in error.reason
    code_text, words = exchange_refusal(error, "the cancel-all")
    assert code_text == f"binance.http.{status}"
    assert words.startswith(f"The exchange refused the cancel-all (HTTP {status}, no Binance code)")
    assert "<" not in words and "bound method" not in words
