"""Request security and parameter parsing of the simulator, against Binance's documented cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simulator.core import auth
from simulator.core.errors import ApiError
from simulator.core.params import Params, merge_params
from simulator.core.ratelimit import RateLimiter

DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def code_of(fn, *args) -> tuple[int, str]:
    with pytest.raises(ApiError) as e:
        fn(*args)
    return e.value.code, e.value.msg


def test_binance_documented_signature_vector_verifies_in_query_body_and_split():
    key = auth.ApiKey(
        "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", DOC_SECRET
    )
    store = auth.KeyStore([key])
    now = 1499827319559 + 100
    query = f"{DOC_PAYLOAD}&signature={DOC_SIGNATURE}"
    auth.authenticate(store, key.key, Params(merge_params(query, "")), query, "", now)
    auth.authenticate(store, key.key, Params(merge_params("", query)), "", query, now)
    head, tail = DOC_PAYLOAD[:40], DOC_PAYLOAD[40:]
    body = f"{tail}&signature={DOC_SIGNATURE}"
    auth.authenticate(store, key.key, Params(merge_params(head, body)), head, body, now)
    tampered = query.replace("price=0.1", "price=0.2")
    assert code_of(
        auth.authenticate, store, key.key, Params(merge_params(tampered, "")), tampered, "", now
    ) == (-1022, "Signature for this request is not valid.")


@pytest.mark.parametrize(
    ("header", "code"), [(None, -2014), ("", -2014), ("bad key!", -2014), ("A" * 64, -2015)]
)
def test_key_lookup_codes(header, code):
    store = auth.KeyStore([auth.generate_key()])
    assert code_of(store.lookup, header)[0] == code


@pytest.mark.parametrize(
    ("timestamp", "recv_window", "msg"),
    [
        (10_000 - 5_001, None, "Timestamp for this request is outside of the recvWindow."),
        (10_000 + 1_000, None, "Timestamp for this request was 1000ms ahead of the server's time."),
        (10_000 - 3_001, "3000", "Timestamp for this request is outside of the recvWindow."),
    ],
)
def test_timestamp_window(timestamp, recv_window, msg):
    values = {"timestamp": str(timestamp)} | ({"recvWindow": recv_window} if recv_window else {})
    assert code_of(auth.check_timestamp, Params(values), 10_000) == (-1021, msg)


def test_negative_or_oversized_recv_window_and_timestamp():
    assert code_of(auth.check_timestamp, Params({"timestamp": "-1"}), 10_000)[0] == -1100
    oversized = Params({"timestamp": "10000", "recvWindow": "60001"})
    assert code_of(auth.check_timestamp, oversized, 10_000) == (
        -1131,
        "recvWindow must be less than 60000",
    )


def test_timestamp_window_accepts_edges_and_microseconds():
    auth.check_timestamp(Params({"timestamp": str(10_000 - 5_000)}), 10_000)
    auth.check_timestamp(Params({"timestamp": str(10_000 + 999)}), 10_000)
    auth.check_timestamp(Params({"timestamp": "1700000000000123"}), 1_700_000_000_100)


def test_params_parsing_errors():
    assert code_of(merge_params, "a=1&a=2", "")[0] == -1101
    assert merge_params("a=1", "a=2&b=3") == {"a": "1", "b": "3"}  # the query wins
    p = Params({"q": "1.5", "bad": "1,5", "deep": "0.000000001", "n": "-3", "e": ""})
    assert p.decimal("q") == Decimal("1.5")
    assert code_of(p.decimal, "bad")[0] == -1100
    assert code_of(p.decimal, "deep") == (-1111, "Parameter 'deep' has too much precision.")
    assert code_of(p.integer, "n")[0] == -1100
    assert code_of(p.text, "e", True)[0] == -1102
    assert p.decimal("absent") is None


def test_rate_limiter_window_rolls_on_the_minute():
    limiter = RateLimiter(weight_limit=10)
    limiter.add("ip", 10, 60_000)
    with pytest.raises(ApiError) as e:
        limiter.check("ip", 1, 61_000)
    assert e.value.status == 429 and e.value.headers["Retry-After"] == "59"
    limiter.check("ip", 1, 120_000)  # the next minute, and the backoff has run out
    assert limiter.used_weight("ip", 120_000) == 0
