"""User-data streams on the wire: connect, subscribe, keep alive, and turn frames into events.

- Spot: the WebSocket API subscription `userDataStream.subscribe.signature`, signed with the
  key's secret (HMAC-SHA256 over `apiKey=..&timestamp=..`, as python-binance signs it).
- USD-M: a listenKey from REST, the private stream `<root>/private/ws?listenKey=...`, and a
  keepalive `PUT` every 30 minutes (Binance expires an unkept key after 60).

A quiet account sends nothing for hours: silence is not death. The connection is watched by
websockets' own ping/pong (a peer that stops answering pings closes it), never by a read timeout.
Each stream yields `Connected` first (the caller reconciles: events before it were missed), then
domain events. It ends with `StreamEnded` when the exchange ends the subscription.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import websockets
from pydantic import ValidationError

from engine.binance.rest import BinanceRest
from engine.binance.schemas import account, order_lists, orders
from engine.binance.schemas.common import SchemaError
from engine.models import (
    Balance,
    Fill,
    MarginBalance,
    MarketType,
    OrderUpdate,
    Position,
)
from engine.order_lists import OrderListUpdate

LISTEN_KEY_KEEPALIVE_S = 30 * 60.0
SUBSCRIBE_ANSWER_TIMEOUT_S = 10.0
MAX_FRAME_BYTES = 1 << 20
WS_API_SUBSCRIBE_WEIGHT = 2
DEFAULT_RETRY_AFTER_S = 10.0
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0

_request_ids = itertools.count(1)


class StreamEnded(ConnectionError):
    """The exchange ended the subscription (terminated, key expired, refused)."""


class MalformedEvent(StreamEnded):
    """A frame did not parse into our types (a changed or broken payload)."""


def _parsed(
    parse: Callable[[dict[str, Any]], UserEvent | None], raw: str | bytes
) -> UserEvent | None:
    try:
        return parse(orjson.loads(raw))
    except (SchemaError, ValidationError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise MalformedEvent(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]) from exc


@dataclass(frozen=True)
class Connected:
    """The stream is live from now on; whatever happened before must be reconciled."""

    market: MarketType


@dataclass(frozen=True)
class OrderEvent:
    update: OrderUpdate
    fill: Fill | None


@dataclass(frozen=True)
class ListEvent:
    """A spot order list (OCO) changed: started, or over (one leg done, the other expired)."""

    update: OrderListUpdate


@dataclass(frozen=True)
class SpotBalances:
    balances: list[Balance]


@dataclass(frozen=True)
class FuturesAccount:
    wallets: list[MarginBalance]
    positions: list[Position]
    reason: str  # Binance's event reason: ORDER, FUNDING_FEE, DEPOSIT, ...


UserEvent = Connected | OrderEvent | ListEvent | SpotBalances | FuturesAccount


def _connect(url: str) -> Any:
    # A short close timeout: a stream whose reader has stopped (as at shutdown) has unread
    # frames queued, the exchange's close frame waits behind them, and the default 10 s
    # closing handshake would hold the engine's stop for that long.
    return websockets.connect(
        url,
        max_size=MAX_FRAME_BYTES,
        open_timeout=10,
        close_timeout=2,
        ping_interval=PING_INTERVAL_S,
        ping_timeout=PING_TIMEOUT_S,
    )


# --- spot ---------------------------------------------------------------------------------------


async def spot_events(rest: BinanceRest) -> AsyncIterator[UserEvent]:
    """The spot account's events, through the WebSocket API subscription."""
    await rest.admit_ws_request(MarketType.SPOT, WS_API_SUBSCRIBE_WEIGHT)
    async with _connect(rest.endpoints.spot_ws_api) as ws:
        await ws.send(orjson.dumps(subscribe_request(rest)).decode())
        async with asyncio.timeout(SUBSCRIBE_ANSWER_TIMEOUT_S):
            answer = orjson.loads(await ws.recv())
        _check_subscribed(rest, answer)
        yield Connected(MarketType.SPOT)
        async for raw in ws:
            event = _parsed(spot_event, raw)
            if event is not None:
                yield event
    raise StreamEnded("the exchange closed the spot user-data connection")


def subscribe_request(rest: BinanceRest) -> dict[str, Any]:
    """`userDataStream.subscribe.signature`, signed now with the exchange's clock."""
    creds = rest.credentials
    if creds is None:
        raise StreamEnded("no API key: the user-data stream needs one")
    params: dict[str, Any] = {"apiKey": creds.api_key, "timestamp": rest.signed_now_ms()}
    payload = urlencode(sorted(params.items()))
    params["signature"] = hmac.new(
        creds.api_secret.encode(), payload.encode(), hashlib.sha256
    ).hexdigest()
    return {
        "id": next(_request_ids),
        "method": "userDataStream.subscribe.signature",
        "params": params,
    }


def _check_subscribed(rest: BinanceRest, answer: dict[str, Any]) -> None:
    status = answer.get("status")
    if status in (429, 418):
        rest.slow_down(_retry_after_s(answer), "The exchange asked us to slow down.")
    if status != 200:
        error = answer.get("error") or {}
        raise SubscriptionRefused(int(error.get("code", 0) or 0), str(error.get("msg", "")))


class SubscriptionRefused(StreamEnded):
    """The WebSocket API refused the subscription; `code` is Binance's (-1021: clock)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"user-data subscription refused ({code}: {message})")
        self.code = code

    @property
    def clock_skew(self) -> bool:
        return self.code == -1021


def spot_event(message: dict[str, Any]) -> UserEvent | None:
    """One WebSocket API frame -> our event (None for what the engine does not use)."""
    event = message.get("event", message)
    kind = event.get("e")
    if kind == "executionReport":
        update = orders.order_from_execution_report(event)
        return OrderEvent(update, orders.fill_from_execution_report(event))
    if kind == "listStatus":
        return ListEvent(order_lists.order_list_from_list_status(event))
    if kind == "outboundAccountPosition":
        return SpotBalances(account.balances_from_account_position(event))
    if kind == "eventStreamTerminated":
        raise StreamEnded("the exchange ended the user-data subscription")
    return None


def _retry_after_s(answer: dict[str, Any]) -> float:
    """WS API errors carry `data.retryAfter` (epoch ms) on 429/418; else wait a safe while."""
    data = (answer.get("error") or {}).get("data") or {}
    retry_at = data.get("retryAfter")
    if isinstance(retry_at, int | float):
        return max(1.0, retry_at / 1000 - time.time())
    return DEFAULT_RETRY_AFTER_S


# --- USD-M --------------------------------------------------------------------------------------


async def futures_events(rest: BinanceRest) -> AsyncIterator[UserEvent]:
    """The USD-M account's events, through a listenKey kept alive while connected."""
    key = await rest.futures_listen_key()
    url = f"{rest.endpoints.futures_ws_private}/ws?listenKey={key}"
    async with _connect(url) as ws:
        keepalive = asyncio.create_task(_keep_alive(rest, key), name="listen-key-keepalive")
        try:
            yield Connected(MarketType.FUTURES)
            async for raw in ws:
                event = _parsed(futures_event, raw)
                if event is not None:
                    yield event
        finally:
            keepalive.cancel()
    raise StreamEnded("the exchange closed the USD-M user-data connection")


async def _keep_alive(rest: BinanceRest, key: str) -> None:
    while True:
        await asyncio.sleep(LISTEN_KEY_KEEPALIVE_S)
        await rest.keep_futures_listen_key(key)


def futures_event(event: dict[str, Any]) -> UserEvent | None:
    """One private-stream frame -> our event (None for what the engine does not use)."""
    kind = event.get("e")
    if kind == "ORDER_TRADE_UPDATE":
        update = orders.order_from_order_trade_update(event)
        return OrderEvent(update, orders.fill_from_order_trade_update(event))
    if kind == "ALGO_UPDATE":
        return OrderEvent(orders.order_from_algo_update(event), None)
    if kind == "ACCOUNT_UPDATE":
        return FuturesAccount(
            account.margin_balances_from_account_update(event),
            account.positions_from_account_update(event),
            account.account_update_reason(event),
        )
    if kind == "listenKeyExpired":
        raise StreamEnded("the listen key expired")
    return None
