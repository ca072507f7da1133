"""Risk in the running engine: pre-trade checks, equity snapshots, limits and the kill switch.

The pure rules live in engine.risk, engine.kill_switch, engine.portfolio and engine.pnl; this
component feeds them from DuckDB and the exchange, stores configuration versions, and carries
out the kill switch's action at the exchange.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from engine import pnl
from engine.account_state import AccountState, read_account, risk_snapshot
from engine.binance.errors import ExchangeError
from engine.commands import (
    CancelAllOrders,
    ClosePosition,
    PlaceOrder,
    Reply,
    ResetKillSwitch,
    SaveRiskConfig,
    SaveTradingConfig,
    SelectPairs,
    TripKillSwitch,
)
from engine.config_versions import load_latest_config, save_config_version
from engine.correlation import DuckDBCorrelations
from engine.kill_switch import (
    AUTOMATIC_ACTOR,
    KillSwitch,
    KillSwitchRefused,
    Transition,
    daily_loss_baseline,
    evaluate_limits,
    peak_since_ms,
    reset,
    trip_automatically,
    trip_by_hand,
)
from engine.models import MarketType, Side
from engine.order_checks import Refusal
from engine.portfolio import (
    EquitySnapshot,
    asset_price,
    equity_snapshot,
    peak_equity,
    read_equity,
    start_of_day_equity,
    value_futures,
    value_spot,
    write_equity_snapshot,
)
from engine.risk import RiskSnapshot, pre_trade_check
from engine.risk_config import (
    ConfigError,
    KillSwitchAction,
    RiskConfig,
    TradingConfig,
    parse_risk_config,
    parse_trading_config,
)

if TYPE_CHECKING:
    from engine.engine import Engine

SNAPSHOT_EVERY_S = 60.0
PRICES_MAX_AGE_S = 1.0
ZERO = Decimal(0)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class RiskComponent:
    """Owns the risk and trading configuration and the kill switch of the running engine."""

    name = "risk"

    def __init__(self, snapshot_every_s: float = SNAPSHOT_EVERY_S) -> None:
        self.engine: Engine | None = None
        self.snapshot_every_s = snapshot_every_s
        self.risk = RiskConfig()
        self.trading = TradingConfig()
        self.kill_switch = KillSwitch()
        self.last_equity: EquitySnapshot | None = None
        self._spot_ledgers: dict[str, pnl.SpotLedger] = {}
        self._futures_ledgers: dict[str, pnl.FuturesLedger] = {}
        self._applied: set[tuple[str, str, int]] = set()
        self._replaying = False
        self._arrived_during_replay: list[Any] = []
        self._snapshot_lock = asyncio.Lock()
        self._prices_cache: tuple[float, dict[str, Decimal]] | None = None
        self._snapshot_due = False
        self._after_fill: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, engine: Engine) -> None:
        self.engine = engine
        engine.risk = self
        self._load_state()
        engine.trading.risk_check = self.check
        engine.trading.on_fills = self.on_fills
        for command_type, handler in (
            (SaveRiskConfig, self._on_save_risk),
            (SaveTradingConfig, self._on_save_trading),
            (TripKillSwitch, self._on_trip),
            (ResetKillSwitch, self._on_reset),
        ):
            engine.register_handler(command_type, handler)
        engine.supervise("equity", self._snapshot_periodically)

    async def stop(self) -> None:
        self.engine = None

    @property
    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("The risk component is not running.")
        return self.engine

    def _load_state(self) -> None:
        with self._engine.store.reader() as cur:
            risk = load_latest_config(cur, "risk")
            trading = load_latest_config(cur, "trading")
            switch = load_latest_config(cur, "kill_switch")
        if risk is not None:
            self.risk = risk.parse(RiskConfig)
        if trading is not None:
            self.trading = trading.parse(TradingConfig)
        if switch is not None:
            self.kill_switch = switch.parse(KillSwitch)

    # --- pre-trade ------------------------------------------------------------------------------

    async def check(self, order: PlaceOrder) -> Refusal | None:
        """The risk rules for one order; a refusal names the rule and the figures."""
        if self._needs_account():
            snapshot = await self.snapshot_for_checks()
        else:  # only the pair and market switches apply: no account state to read
            snapshot = RiskSnapshot(equity=ZERO, kill_switch=self.kill_switch)
        correlations = None
        with self._engine.store.reader() as cur:
            if self.risk.correlation is not None:
                c = self.risk.correlation
                correlations = DuckDBCorrelations(cur, c.interval, c.lookback_bars, c.min_overlap)
            decision = pre_trade_check(
                order, snapshot, self.risk, self.effective_trading(), correlations,
                stop_loss=order.stop_loss,
            )  # fmt: skip
        if decision.allowed:
            return None
        return Refusal(f"risk.{decision.rule}", decision.reason)

    def _needs_account(self) -> bool:
        r = self.risk
        limits = (r.max_open_positions, r.risk_per_trade, r.max_leverage,
                  r.max_notional_per_symbol, r.max_notional_total, r.correlation)  # fmt: skip
        return self.kill_switch.on or any(limit is not None for limit in limits)

    def effective_trading(self) -> TradingConfig:
        """The trading switches with the pairs the engine actually streams."""
        market_data = self._market_data()
        if market_data is None:
            return self.trading
        return self.trading.model_copy(
            update={
                "spot_pairs": tuple(market_data.selected(MarketType.SPOT)),
                "futures_pairs": tuple(market_data.selected(MarketType.FUTURES)),
            }
        )

    async def snapshot_for_checks(self) -> RiskSnapshot:
        state = self._read_account()
        prices = await self._prices()
        equity = self._value(state, prices)
        with self._engine.store.reader() as cur:
            return risk_snapshot(cur, state, equity.equity, prices, self.kill_switch, _now_ms())

    def _read_account(self) -> AccountState:
        with self._engine.store.reader() as cur:
            return read_account(cur)

    async def _prices(self, fresh: bool = False) -> dict[str, Decimal]:
        """Last spot prices of every symbol, from REST (weight 4); checks reuse them for 1 s."""
        now = time.monotonic()
        cache = self._prices_cache
        if not fresh and cache is not None and now - cache[0] < PRICES_MAX_AGE_S:
            return cache[1]
        client = self._engine.exchange.client
        rows = await client.read(lambda c: c.get_all_tickers())
        prices = {r["symbol"]: Decimal(r["price"]) for r in rows}
        self._prices_cache = (time.monotonic(), prices)
        return prices

    def _value(self, state: AccountState, prices: dict[str, Decimal]) -> EquitySnapshot:
        spot = value_spot(state.spot, prices)
        futures = value_futures(state.wallets, state.positions, state.marks, prices)
        quotes = {ledger.quote for ledger in self._spot_ledgers.values()}
        quote_prices = {q: asset_price(q, prices) for q in quotes}
        try:
            realized = pnl.realized_in_usdt(
                self._spot_ledgers.values(), self._futures_ledgers.values(), quote_prices
            )
        except KeyError:
            realized = ZERO  # a quote asset without a USDT price: leave realized unknown (0)
        return equity_snapshot(_now_ms(), spot, futures, realized)

    # --- fills and equity -----------------------------------------------------------------------

    async def on_fills(self, fills: list[Any]) -> None:
        """Apply new fills to the P&L ledgers and take an equity snapshot."""
        for fill in fills:
            self._apply(fill)
        if not fills:
            return
        # A burst of fills takes one snapshot after the burst, not one REST price call each.
        self._snapshot_due = True
        if self._after_fill is None or self._after_fill.done():
            self._after_fill = self._engine.spawn(self._snapshot_after_fills(), "equity-after-fill")

    async def _snapshot_after_fills(self) -> None:
        while self._snapshot_due:
            self._snapshot_due = False
            await self.take_snapshot()

    def _apply(self, fill: Any) -> None:
        if self._replaying:
            self._arrived_during_replay.append(fill)
            return
        self._apply_to(fill, self._spot_ledgers, self._futures_ledgers, self._applied)

    def _apply_to(
        self,
        fill: Any,
        spot: dict[str, pnl.SpotLedger],
        futures: dict[str, pnl.FuturesLedger],
        applied: set[tuple[str, str, int]],
    ) -> None:
        key = (str(fill.market), fill.symbol, fill.trade_id)
        if key in applied:
            return
        applied.add(key)
        if fill.market is MarketType.SPOT:
            pair = self._engine.exchange.pair(MarketType.SPOT, fill.symbol)
            if pair is None:
                return
            ledger = spot.get(fill.symbol) or pnl.SpotLedger(fill.symbol, pair.base, pair.quote)
            spot[fill.symbol] = pnl.apply_spot_fill(ledger, fill)
        else:
            ledger = futures.get(fill.symbol) or pnl.FuturesLedger(fill.symbol)
            futures[fill.symbol] = pnl.apply_futures_fill(ledger, fill)

    async def _replay_fills(self) -> None:
        """Rebuild the P&L ledgers from every stored fill, off the event loop (it can be large)."""
        self._replaying = True
        try:
            spot, futures, applied = await asyncio.to_thread(self._build_ledgers)
        finally:
            self._replaying = False
        self._spot_ledgers, self._futures_ledgers, self._applied = spot, futures, applied
        arrived, self._arrived_during_replay = self._arrived_during_replay, []
        for fill in arrived:
            self._apply(fill)

    def _build_ledgers(self) -> tuple[dict, dict, set]:
        spot: dict[str, pnl.SpotLedger] = {}
        futures: dict[str, pnl.FuturesLedger] = {}
        applied: set[tuple[str, str, int]] = set()
        with self._engine.store.reader() as cur:
            symbols = cur.execute("SELECT DISTINCT market, symbol FROM fills").fetchall()
            for market, symbol in symbols:
                for fill in pnl.read_fills(cur, MarketType(market), symbol):
                    self._apply_to(fill, spot, futures, applied)
        return spot, futures, applied

    async def _snapshot_periodically(self) -> None:
        await self._replay_fills()
        while True:
            await self.take_snapshot()
            await asyncio.sleep(self.snapshot_every_s)

    async def take_snapshot(self) -> EquitySnapshot:
        """Value the account, store the equity row, and trip the kill switch at a limit."""
        async with self._snapshot_lock:
            state = self._read_account()
            snapshot = self._value(state, await self._prices(fresh=True))
            await self._engine.store.write(lambda con: write_equity_snapshot(con, snapshot))
            self.last_equity = snapshot
            await self._evaluate_limits(snapshot)
            return snapshot

    async def _evaluate_limits(self, snapshot: EquitySnapshot) -> None:
        with self._engine.store.reader() as cur:
            history = read_equity(cur, since_ms=peak_since_ms(self.kill_switch))
        now = snapshot.time
        baseline = daily_loss_baseline(self.kill_switch, start_of_day_equity(history, now), now)
        peak = peak_equity(history, peak_since_ms(self.kill_switch))
        trip = evaluate_limits(self.risk, snapshot.equity, baseline, peak)
        if trip is None:
            return
        action = self.risk.kill_switch_action
        await self._transition(trip_automatically(self.kill_switch, trip, action, now))

    # --- the kill switch ------------------------------------------------------------------------

    async def _transition(self, transition: Transition) -> bool:
        if transition.event is None:
            return False
        self.kill_switch = state = transition.state
        actor = state.tripped_by or state.reset_by or AUTOMATIC_ACTOR
        if not state.on:
            actor = state.reset_by or actor
        await self._engine.store.write(
            lambda con: save_config_version(con, "kill_switch", state, actor, _now_ms())
        )
        event = transition.event
        self._engine.record_event(event.level, event.kind, event.message, event.data)
        if transition.state.on:
            await self._carry_out(transition.state.action, actor)
        return True

    async def _carry_out(self, action: KillSwitchAction | None, actor: str) -> None:
        """Cancel open orders, and with FLATTEN close every position, at the exchange."""
        if action in (None, KillSwitchAction.BLOCK_ONLY):
            return
        trading = self._engine.trading
        with self._engine.store.reader() as cur:
            symbols = cur.execute(
                "SELECT DISTINCT market, symbol FROM orders WHERE status IN "
                "('NEW', 'PARTIALLY_FILLED')"
            ).fetchall()
            positions = [s for (s,) in cur.execute("SELECT symbol FROM positions").fetchall()]
        for market, symbol in symbols:
            reply = await trading.cancel_all(
                CancelAllOrders(actor=actor, market=MarketType(market), symbol=symbol)
            )
            self._report_action(reply, f"cancel {market} {symbol}")
        if action is KillSwitchAction.FLATTEN:
            for symbol in positions:
                reply = await trading.close_position(ClosePosition(actor=actor, symbol=symbol))
                self._report_action(reply, f"close {symbol}")
            await self._sell_spot_holdings(actor)

    async def _sell_spot_holdings(self, actor: str) -> None:
        for balance in self._read_account().spot:
            pair = self._engine.exchange.pair(MarketType.SPOT, f"{balance.asset}USDT")
            if pair is None or balance.free <= 0:
                continue
            step = pair.rules.lot_size.step_size if pair.rules.lot_size else None
            quantity = (balance.free // step) * step if step else balance.free
            if quantity <= 0:
                continue
            order = PlaceOrder(actor=actor, market=MarketType.SPOT, symbol=pair.symbol,
                               side=Side.SELL, order_type="MARKET", quantity=quantity)  # fmt: skip
            self._report_action(await self._engine.trading.place(order), f"sell {pair.symbol}")

    def _report_action(self, reply: Reply, what: str) -> None:
        level = "info" if reply.ok else "error"
        self._engine.record_event(level, "kill_switch.action", f"{what}: {reply.message}")

    # --- commands -------------------------------------------------------------------------------

    async def _on_trip(self, command: TripKillSwitch) -> Reply:
        try:
            transition = trip_by_hand(
                self.kill_switch, command.actor, set(command.roles), command.reason,
                self.risk.kill_switch_action, _now_ms(),
            )  # fmt: skip
        except KillSwitchRefused as exc:
            return _reply(command, False, str(exc), "forbidden")
        changed = await self._transition(transition)
        return _reply(command, True, "Kill switch on." if changed else "It was already on.")

    async def _on_reset(self, command: ResetKillSwitch) -> Reply:
        equity = self.last_equity.equity if self.last_equity else ZERO
        try:
            transition = reset(
                self.kill_switch, command.actor, set(command.roles), _now_ms(), equity
            )
        except KillSwitchRefused as exc:
            return _reply(command, False, str(exc), "forbidden")
        changed = await self._transition(transition)
        return _reply(command, True, "Kill switch reset." if changed else "It was not on.")

    async def _on_save_risk(self, command: SaveRiskConfig) -> Reply:
        try:
            caps = await self._leverage_caps()
        except ExchangeError as exc:
            return _reply(command, False, f"Cannot read the leverage brackets: {exc.reason}")
        try:
            config = parse_risk_config(command.config, caps)
        except ConfigError as exc:
            problems = [{"field": p.field, "reason": p.reason} for p in exc.problems]
            return _reply(command, False, str(exc), "invalid_config", problems=problems)
        version = await self._save("risk", config, command.actor)
        self.risk = config
        return _reply(command, True, f"Risk configuration saved as version {version}.",
                      version=version)  # fmt: skip

    async def _on_save_trading(self, command: SaveTradingConfig) -> Reply:
        exchange = self._engine.exchange
        known = {m: {s for (mk, s) in exchange.pairs if mk is m} for m in MarketType}
        try:
            config = parse_trading_config(
                command.config, known[MarketType.SPOT], known[MarketType.FUTURES]
            )
        except ConfigError as exc:
            problems = [{"field": p.field, "reason": p.reason} for p in exc.problems]
            return _reply(command, False, str(exc), "invalid_config", problems=problems)
        version = await self._save("trading", config, command.actor)
        self.trading = config
        await self._apply_pairs(command, config)
        return _reply(command, True, f"Trading configuration saved as version {version}.",
                      version=version)  # fmt: skip

    async def _apply_pairs(self, command: SaveTradingConfig, config: TradingConfig) -> None:
        # The pairs are streamed by market data; one selection, so send it there.
        market_data = self._market_data()
        if market_data is None:
            return
        for market, pairs in ((MarketType.SPOT, config.spot_pairs),
                              (MarketType.FUTURES, config.futures_pairs)):  # fmt: skip
            if "spot_pairs" in command.config or "futures_pairs" in command.config:
                select = SelectPairs(actor=command.actor, market=market, symbols=pairs)
                await market_data._on_select_pairs(select)

    async def _leverage_caps(self) -> dict[str, int] | None:
        """Highest leverage the exchange allows per selected futures pair (first bracket)."""
        exchange = self._engine.exchange
        if MarketType.FUTURES in exchange.unavailable or exchange.client.credentials is None:
            return None
        selected = set(self.effective_trading().futures_pairs)
        if not selected:
            return None
        rows = await exchange.client.read(lambda c: c.futures_leverage_bracket())
        return {
            row["symbol"]: int(row["brackets"][0]["initialLeverage"])
            for row in rows
            if row["symbol"] in selected and row.get("brackets")
        }

    async def _save(self, kind: str, config: BaseModel, actor: str) -> int:
        return await self._engine.store.write(
            lambda con: save_config_version(con, kind, config, actor, _now_ms())
        )

    def status(self) -> dict[str, Any]:
        equity = self.last_equity
        return {
            "kill_switch": self.kill_switch.model_dump(mode="json"),
            "equity": str(equity.equity) if equity else None,
            "equity_time": equity.time if equity else None,
        }

    def _market_data(self) -> Any:
        return next((c for c in self._engine.components if c.name == "market-data"), None)
