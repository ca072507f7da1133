"""API keys and Binance's request security: X-MBX-APIKEY, HMAC-SHA256, timestamp and recvWindow."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from simulator.core import errors
from simulator.core.errors import ApiError
from simulator.core.params import Params, parse_pairs

DEFAULT_RECV_WINDOW = Decimal(5000)
MAX_RECV_WINDOW = Decimal(60000)
_KEY_FORMAT = re.compile(r"^[A-Za-z0-9]{1,128}$")
_SIGNATURE_PARAM = re.compile(r"(^|&)signature=[^&]*")
_HEX_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True, slots=True)
class ApiKey:
    key: str
    secret: str = field(repr=False)

    def masked(self) -> str:
        return f"{self.key[:4]}…{self.key[-4:]}"


def generate_key() -> ApiKey:
    return ApiKey(key=secrets.token_hex(32), secret=secrets.token_hex(32))


def bad_key_format() -> ApiError:
    return ApiError(-2014, "API-key format invalid.", status=401)


def rejected_key() -> ApiError:
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def bad_signature() -> ApiError:
    return ApiError(-1022, "Signature for this request is not valid.")


class KeyStore:
    """The keys the simulator accepts, all mapped to the one paper account."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._by_key = {k.key: k for k in keys}

    def lookup(self, header_value: str | None) -> ApiKey:
        if not header_value or not _KEY_FORMAT.match(header_value):
            raise bad_key_format()
        found = self._by_key.get(header_value)
        if found is None:
            raise rejected_key()
        return found


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def strip_signature(raw: str) -> str:
    return _SIGNATURE_PARAM.sub("", raw).lstrip("&") if "signature=" in raw else raw


def signed_payloads(raw_query: str, raw_body: str) -> list[str]:
    """What the client may have signed: Binance's raw totalParams, and the decoded form
    python-binance signs when a value needed percent-encoding (see python-binance.md §6)."""
    raw = strip_signature(raw_query) + strip_signature(raw_body)
    decoded_pairs = [
        (k, v) for k, v in parse_pairs(raw_query) + parse_pairs(raw_body) if k != "signature"
    ]
    decoded = "&".join(f"{k}={v}" for k, v in decoded_pairs)
    return [raw, decoded]


def verify_signature(key: ApiKey, params: Params, raw_query: str, raw_body: str) -> None:
    signature = params.text("signature", required=True, max_len=512)
    if signature is None or not _HEX_SIGNATURE.match(signature):
        raise bad_signature()
    wanted = signature.lower()
    for payload in signed_payloads(raw_query, raw_body):
        if hmac.compare_digest(hmac_hex(key.secret, payload), wanted):
            return
    raise bad_signature()


def verify_ws_signature(key: ApiKey, ws_params: dict[str, object]) -> None:
    """WebSocket API: HMAC over all params but `signature`, sorted by name, urlencoded."""
    signature = ws_params.get("signature")
    if not isinstance(signature, str) or not signature:
        raise errors.mandatory("signature")
    if not _HEX_SIGNATURE.match(signature):
        raise bad_signature()
    payload = urlencode(sorted((k, str(v)) for k, v in ws_params.items() if k != "signature"))
    if not hmac.compare_digest(hmac_hex(key.secret, payload), signature.lower()):
        raise bad_signature()


def check_timestamp(params: Params, server_ms: int) -> None:
    timestamp = params.integer("timestamp", required=True)
    assert timestamp is not None
    if timestamp >= 10**14:  # microseconds
        timestamp //= 1000
    recv_window = params.decimal("recvWindow")
    if recv_window is None:
        recv_window = DEFAULT_RECV_WINDOW
    if recv_window > MAX_RECV_WINDOW:
        raise ApiError(-1131, "recvWindow must be less than 60000")
    if timestamp >= server_ms + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server_ms - timestamp > recv_window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def authenticate(
    store: KeyStore,
    header_key: str | None,
    params: Params,
    raw_query: str,
    raw_body: str,
    server_ms: int,
) -> ApiKey:
    """Binance's order: key, then signature, then the timestamp window."""
    key = store.lookup(header_key)
    verify_signature(key, params, raw_query, raw_body)
    check_timestamp(params, server_ms)
    return key
