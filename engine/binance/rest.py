"""The engine's REST calls to Binance, typed: our arguments in, domain objects out.

This is the adapter's one door for REST. Every method names what it does in the engine's words
(submit, cancel, query, cancel-all, set leverage, account, open orders, prices, listen key);
python-binance, Binance's paths and Binance's JSON keys stay behind it. Reads retry temporary
failures (`ExchangeClient.read`); actions are sent once (`ExchangeClient.signed`), so an order
whose answer is lost surfaces as a `TemporaryError` with `outcome_unknown` and is resolved by
querying it, never by sending it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.access.key_permissions import ApiRestrictions, KeyPermissions
from engine.binance.client import ExchangeClient, RequestMetrics
from engine.binance.depth import MAX_SNAPSHOT_LIMIT, DepthSnapshot, depth_snapshot_from_rest
from engine.binance.errors import ExchangeError, NothingToChange
from engine.binance.limits import RequestGate
from engine.binance.params import OcoRequest, futures_order_params, oco_params, spot_order_params
from engine.binance.schemas import account, order_lists, orders, trades
from engine.binance.streams import Row, kline_rows_from_rest
from engine.binance.symbols import trading_pair_from_symbol
from engine.binance.urls import Endpoints
from engine.credentials import Credentials
from engine.models import (
    Balance,
    Fill,
    FundingPayment,
    MarginBalance,
    MarginType,
    MarketType,
    OrderFields,
    OrderUpdate,
    Position,
    TradingPair,
)
from engine.order_lists import OrderListUpdate


@dataclass(frozen=True)
class ExchangeInfo:
    """One market's catalogue and its per-minute request-weight limit."""

    market: MarketType
    pairs: tuple[TradingPair, ...]
    weight_limit_1m: int | None


@dataclass(frozen=True)
class ListAnswer:
    """The exchange's answer about an order list: the list and each leg's state."""

    order_list: OrderListUpdate
    legs: tuple[OrderUpdate, ...] = ()


@dataclass(frozen=True)
class Submitted:
    """The exchange's answer to a new order: its state and any fills it made at once."""

    update: OrderUpdate
    fills: tuple[Fill, ...] = ()


class BinanceRest:
    """Spot and USD-M REST for one environment and one key."""

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials | None,
        request_timeout_s: float,
        gate: RequestGate | None = None,
    ) -> None:
        self.endpoints = endpoints
        self._client = ExchangeClient(endpoints, credentials, gate, request_timeout_s)

    # --- the connection ---------------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials | None:
        return self._client.credentials

    @property
    def gate(self) -> RequestGate:
        return self._client.gate

    @property
    def metrics(self) -> RequestMetrics:
        return self._client.metrics

    @property
    def time_offset_ms(self) -> int:
        return self._client.metrics.time_offset_ms

    async def open(self) -> None:
        """Create the HTTP session and sync the clock with the exchange."""
        await self._client.open()

    async def close(self) -> None:
        await self._client.close()

    async def sync_time(self) -> int:
        """Measure the exchange clock against ours again; return the offset in ms."""
        return await self._client.sync_time()

    def shift_clock(self, ms: int) -> None:
        """A simulator's virtual clock was moved on by `ms`: sign with the moved clock."""
        self._client.shift_clock(ms)

    # --- catalogue ------------------------------------------------------------------------------

    async def exchange_info(self, market: MarketType) -> ExchangeInfo:
        """Every symbol of `market` with its rules, and the market's weight limit."""
        if market is MarketType.SPOT:
            info = await self._client.read(lambda c: c.get_exchange_info())
        else:
            info = await self._client.read(lambda c: c.futures_exchange_info())
        pairs = tuple(trading_pair_from_symbol(market, s) for s in info.get("symbols", []))
        return ExchangeInfo(market, pairs, _minute_weight_limit(info))

    async def leverage_caps(self) -> dict[str, int]:
        """The highest leverage each USD-M symbol allows (its first bracket)."""
        rows = await self._client.read(lambda c: c.futures_leverage_bracket())
        return account.leverage_caps_from_brackets(rows)

    # --- market data ----------------------------------------------------------------------------

    async def klines(
        self,
        market: MarketType,
        symbol: str,
        interval: str,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> list[Row]:
        """Candles from `start_ms` (or the newest), oldest first, as closed `KLINES` rows."""
        params: dict[str, Any] = {"symbol": symbol, "interval": interval, "limit": limit}
        if start_ms is not None:
            params["startTime"] = start_ms
        if end_ms is not None:
            params["endTime"] = end_ms
        if market is MarketType.FUTURES:
            raw = await self._client.read(lambda c: c.futures_klines(**params))
        else:
            raw = await self._client.read(lambda c: c.get_klines(**params))
        return kline_rows_from_rest(market.value, symbol, interval, raw)

    async def depth(self, market: MarketType, symbol: str, limit: int) -> DepthSnapshot:
        """The order book's snapshot (the local book's starting point), up to `limit` levels."""
        limit = min(limit, MAX_SNAPSHOT_LIMIT[market])
        if market is MarketType.FUTURES:
            raw = await self._client.read(
                lambda c: c.futures_order_book(symbol=symbol, limit=limit)
            )
        else:
            raw = await self._client.read(lambda c: c.get_order_book(symbol=symbol, limit=limit))
        return depth_snapshot_from_rest(raw)

    async def spot_prices(self) -> dict[str, Decimal]:
        """The last price of every spot symbol."""
        rows = await self._client.read(lambda c: c.get_all_tickers())
        return {row["symbol"]: Decimal(row["price"]) for row in rows}

    async def last_price(self, market: MarketType, symbol: str) -> Decimal:
        """Spot: the last trade price; USD-M: the mark price."""
        if market is MarketType.SPOT:
            ticker = await self._client.read(lambda c: c.get_symbol_ticker(symbol=symbol))
            return Decimal(ticker["price"])
        mark = await self._client.read(lambda c: c.futures_mark_price(symbol=symbol))
        return Decimal(mark["markPrice"])

    # --- orders ---------------------------------------------------------------------------------

    async def submit_order(self, order: OrderFields, client_order_id: str) -> Submitted:
        """Send one new order, once."""
        if order.market is MarketType.SPOT:
            params = spot_order_params(order, client_order_id)
            raw = await self._client.signed(lambda c: c.create_order(**params))
            return Submitted(
                orders.order_from_spot_response(raw),
                tuple(orders.fills_from_spot_response(raw)),
            )
        params = futures_order_params(order, client_order_id)
        raw = await self._client.signed(lambda c: c.futures_create_order(**params))
        return Submitted(orders.order_from_futures_any(raw))

    async def cancel_order(
        self, market: MarketType, symbol: str, client_order_id: str, *, conditional: bool
    ) -> OrderUpdate:
        """Cancel one order by our id; USD-M conditional orders live in the algo service."""
        cid = client_order_id
        if market is MarketType.SPOT:
            raw = await self._client.signed(
                lambda c: c.cancel_order(symbol=symbol, origClientOrderId=cid)
            )
            return orders.order_from_spot_response(raw)
        if conditional:
            # Binance answers an algo cancel with ids and a code only: ask for the order.
            await self._client.signed(
                lambda c: c.futures_cancel_order(symbol=symbol, clientAlgoId=cid)
            )
            return await self.query_order(market, symbol, cid, conditional=True)
        raw = await self._client.signed(
            lambda c: c.futures_cancel_order(symbol=symbol, origClientOrderId=cid)
        )
        return orders.order_from_futures_any(raw)

    async def query_order(
        self, market: MarketType, symbol: str, client_order_id: str, *, conditional: bool
    ) -> OrderUpdate:
        """The exchange's view of one order, by our id (`NotFound` if it never arrived)."""
        cid = client_order_id
        if market is MarketType.SPOT:
            raw = await self._client.signed(
                lambda c: c.get_order(symbol=symbol, origClientOrderId=cid)
            )
            return orders.order_from_spot_response(raw)
        if conditional:
            raw = await self._client.signed(
                lambda c: c.futures_get_order(symbol=symbol, clientAlgoId=cid)
            )
            return orders.order_from_futures_algo_response(raw)
        raw = await self._client.signed(
            lambda c: c.futures_get_order(symbol=symbol, origClientOrderId=cid)
        )
        return orders.order_from_futures_response(raw)

    async def cancel_all(self, market: MarketType, symbol: str) -> list[OrderUpdate]:
        """Cancel every open order of `symbol` (USD-M: plain and conditional).

        Spot answers with the cancelled orders; USD-M answers with a bare code, so the list is
        empty there and the caller asks for the orders it knew.
        """
        if market is MarketType.SPOT:
            raw = await self._client.signed(lambda c: c.cancel_all_open_orders(symbol=symbol))
            return [orders.order_from_spot_response(o) for o in raw if "orderId" in o]
        await self._client.signed(lambda c: c.futures_cancel_all_open_orders(symbol=symbol))
        await self._client.signed(lambda c: c.futures_cancel_all_algo_open_orders(symbol=symbol))
        return []

    async def open_orders(self, market: MarketType, symbol: str | None = None) -> list[OrderUpdate]:
        """Every open order (USD-M: plain and conditional), of one symbol or all."""
        kwargs = {"symbol": symbol} if symbol else {}
        if market is MarketType.SPOT:
            raw = await self._client.read(lambda c: c.get_open_orders(**kwargs))
            return [orders.order_from_spot_response(o) for o in raw]
        regular = await self._client.read(lambda c: c.futures_get_open_orders(**kwargs))
        algo = await self._client.read(
            lambda c: c.futures_get_open_orders(conditional=True, **kwargs)
        )
        return [orders.order_from_futures_response(o) for o in regular] + [
            orders.order_from_futures_algo_response(o) for o in orders.algo_rows(algo)
        ]

    # --- spot order lists (OCO) -------------------------------------------------------------------

    async def submit_oco(self, oco: OcoRequest) -> ListAnswer:
        """Send one OCO (POST /api/v3/orderList/oco), once."""
        params = oco_params(oco)
        raw = await self._client.signed(lambda c: c.create_oco_order(**params))
        return ListAnswer(order_lists.order_list_from_response(raw), _legs(raw))

    async def cancel_order_list(self, symbol: str, list_client_id: str) -> ListAnswer:
        """Cancel a whole order list by our list id: every leg goes."""
        raw = await self._client.signed(
            lambda c: c.v3_delete_order_list(symbol=symbol, listClientOrderId=list_client_id)
        )
        return ListAnswer(order_lists.order_list_from_response(raw), _legs(raw))

    async def query_order_list(self, symbol: str, list_client_id: str) -> ListAnswer:
        """The list and each leg as the exchange holds them (`NotFound` if it never arrived)."""
        raw = await self._client.signed(
            lambda c: c.v3_get_order_list(origClientOrderId=list_client_id)
        )
        found = order_lists.order_list_from_response(raw)
        legs = [await self.query_order(MarketType.SPOT, symbol, cid, conditional=False)
                for cid, _ in found.legs]  # fmt: skip
        return ListAnswer(found, tuple(legs))

    # --- USD-M account settings -----------------------------------------------------------------

    async def hedge_mode(self) -> bool:
        """Whether the USD-M account is in hedge mode (a LONG and a SHORT per symbol)."""
        raw = await self._client.read(lambda c: c.futures_get_position_mode())
        return account.hedge_mode_from_answer(raw)

    async def set_hedge_mode(self, hedge: bool) -> None:
        """Switch the USD-M position mode (-4059 when already so: `NothingToChange`)."""
        flag = "true" if hedge else "false"
        await self._client.signed(lambda c: c.futures_change_position_mode(dualSidePosition=flag))

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set a USD-M symbol's leverage; return what the exchange set."""
        raw = await self._client.signed(
            lambda c: c.futures_change_leverage(symbol=symbol, leverage=leverage)
        )
        return account.leverage_from_answer(raw)

    async def set_margin_type(self, symbol: str, margin_type: MarginType) -> None:
        """Set a USD-M symbol's margin type (already in effect counts as done)."""
        try:
            await self._client.signed(
                lambda c: c.futures_change_margin_type(symbol=symbol, marginType=margin_type.value)
            )
        except NothingToChange:
            return

    # --- account --------------------------------------------------------------------------------

    async def spot_balances(self) -> list[Balance]:
        raw = await self._client.read(lambda c: c.get_account())
        return account.balances_from_spot_account(raw)

    async def futures_wallet(self) -> list[MarginBalance]:
        raw = await self._client.read(lambda c: c.futures_account_balance())
        return account.margin_balances_from_futures_balance(raw)

    async def futures_positions(self) -> list[Position]:
        raw = await self._client.read(lambda c: c.futures_position_information())
        return account.positions_from_position_risk(raw)

    async def permissions(self, *, futures: bool) -> KeyPermissions:
        """What the key may do, as the exchange reports it: the accounts, and the key's own
        restrictions where the exchange serves them (the reason in `restrictions_note` where not).
        """
        spot = await self._client.read(lambda c: c.get_account())
        futures_account = None
        if futures:
            futures_account = await self._client.read(lambda c: c.futures_account())
        found = account.permissions_from_accounts(spot, futures_account)
        try:
            restrictions = await self.api_restrictions()
        except ExchangeError as exc:
            note = f"the exchange did not tell this key's restrictions ({exc.reason})"
            return found.model_copy(update={"restrictions_note": note})
        return found.model_copy(update={"restrictions": restrictions})

    async def api_restrictions(self) -> ApiRestrictions:
        """The key's own restrictions: IP whitelist, withdrawals, spot, futures, reading."""
        raw = await self._client.read(lambda c: c.get_account_api_permissions(), attempts=1)
        return account.api_restrictions_from(raw)

    async def trades(self, market: MarketType, symbol: str, since_ms: int) -> list[Fill]:
        """The account's fills of `symbol` from `since_ms` on (client order ids left empty)."""
        if market is MarketType.SPOT:
            rows = await self._client.read(
                lambda c: c.get_my_trades(symbol=symbol, startTime=since_ms)
            )
            return [trades.fill_from_spot_trade(r, "") for r in rows]
        rows = await self._client.read(
            lambda c: c.futures_account_trades(symbol=symbol, startTime=since_ms)
        )
        return [trades.fill_from_futures_trade(r, "") for r in rows]

    async def funding_payments(self, since_ms: int) -> list[FundingPayment]:
        """USD-M funding paid or received from `since_ms` on, oldest first."""
        rows = await self._client.read(
            lambda c: c.futures_income_history(
                incomeType="FUNDING_FEE", startTime=since_ms, limit=1000
            )
        )
        return [account.funding_from_income(r) for r in rows]

    # --- user-data stream keys ------------------------------------------------------------------

    async def futures_listen_key(self) -> str:
        return await self._client.read(lambda c: c.futures_stream_get_listen_key())

    async def keep_futures_listen_key(self, key: str) -> None:
        await self._client.read(lambda c: c.futures_stream_keepalive(listenKey=key))

    def signed_now_ms(self) -> int:
        """Our clock corrected to the exchange's, for a request signed outside python-binance."""
        return self._client.exchange_now_ms()

    async def admit_ws_request(self, market: MarketType, weight: int) -> None:
        """WebSocket API requests spend from the same IP weight budget as REST."""
        await self._client.gate.admit(market.value, weight)

    def slow_down(self, seconds: float, reason: str) -> None:
        """The exchange answered 429/418 outside REST: send nothing for `seconds`."""
        self._client.gate.close_for(seconds, reason)


def _legs(raw: dict[str, Any]) -> tuple[OrderUpdate, ...]:
    return tuple(order_lists.order_reports(raw))


def _minute_weight_limit(info: dict[str, Any]) -> int | None:
    for limit in info.get("rateLimits", []):
        if limit.get("rateLimitType") == "REQUEST_WEIGHT" and limit.get("interval") == "MINUTE":
            return int(limit["limit"]) // int(limit["intervalNum"])
    return None
