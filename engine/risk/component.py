"""Risk in the running engine: its configuration, the pre-trade checks and the use of limits.

The pure rules live in engine/risk/rules.py and kill_switch.py; this component feeds them from
the account reading, the live prices and the portfolio's valuation, stores configuration
versions, and publishes the use of every limit for the Risk page (the `risk_usage` table), so
the page shows what the checks see.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from engine.account.state import AccountReader, AccountState
from engine.binance.errors import ExchangeError
from engine.clock import now_ms
from engine.commands import Reply, SaveRiskConfig, SaveTradingConfig
from engine.context import EngineContext
from engine.market.component import MarketData
from engine.market.prices import LivePrices
from engine.models import MarketType, OrderFields, Refusal
from engine.portfolio.component import Portfolio
from engine.portfolio.history import max_equity
from engine.portfolio.valuation import Valuation, futures_positions, spot_positions
from engine.risk.config import (
    ConfigError,
    RiskConfig,
    TradingConfig,
    parse_risk_config,
    parse_trading_config,
)
from engine.risk.correlation import DuckDBCorrelations
from engine.risk.decision import RiskDecision, RiskSnapshot
from engine.risk.kill_switch import peak_since_ms
from engine.risk.rules import check_leverage_setting as leverage_setting_decision
from engine.risk.rules import pre_trade_check
from engine.risk.switch_state import KillSwitchState
from engine.risk.usage import LimitUsage, limit_usage, write_risk_usage
from engine.store.config_versions import load_latest_config, save_config_version
from engine.venue import Venue


def _reply(command: Any, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class Risk:
    """Owns the risk and trading configuration and runs the pre-trade risk rules."""

    name = "risk"

    def __init__(
        self,
        venue: Venue,
        market: MarketData,
        prices: LivePrices,
        account: AccountReader,
        portfolio: Portfolio,
        switch: KillSwitchState,
    ) -> None:
        self.venue = venue
        self.market = market
        self.prices = prices
        self.account = account
        self.portfolio = portfolio
        self.switch = switch
        self.config = RiskConfig()
        self.trading = TradingConfig()
        self._peak_since_reset: Decimal | None = None
        self.usage: tuple[LimitUsage, ...] = ()  # of every limit, at the latest valuation
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        with ctx.store.reader() as cur:
            risk = load_latest_config(cur, "risk")
            trading = load_latest_config(cur, "trading")
        if risk is not None:
            self.config = risk.parse(RiskConfig)
        if trading is not None:
            self.trading = trading.parse(TradingConfig)
        ctx.register_handler(SaveRiskConfig, self._on_save_risk)
        ctx.register_handler(SaveTradingConfig, self._on_save_trading)
        self.portfolio.subscribe(self.on_valuation)

    async def stop(self) -> None:
        self._ctx = None

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The risk component is not running.")
        return self._ctx

    # --- pre-trade ------------------------------------------------------------------------------

    def check(self, order: OrderFields, stop_loss: Decimal | None = None) -> Refusal | None:
        """The risk rules for one order; a refusal names the rule and the figures."""
        decision = self.decide(order, stop_loss)
        if decision.allowed:
            return None
        return Refusal(f"risk.{decision.rule}", decision.reason)

    def decide(self, order: OrderFields, stop_loss: Decimal | None = None) -> RiskDecision:
        snapshot = self.snapshot() if self._needs_account() else RiskSnapshot(
            equity=Decimal(0), kill_switch=self.switch.current
        )  # fmt: skip
        if self.config.correlation is None:
            return pre_trade_check(
                order, snapshot, self.config, self.effective_trading(), stop_loss=stop_loss
            )
        c = self.config.correlation
        with self._context.store.reader() as cur:
            correlations = DuckDBCorrelations(cur, c.interval, c.lookback_bars, c.min_overlap)
            return pre_trade_check(
                order, snapshot, self.config, self.effective_trading(), correlations,
                stop_loss=stop_loss,
            )  # fmt: skip

    def check_leverage(self, symbol: str, leverage: int) -> Refusal | None:
        decision = leverage_setting_decision(self.config, symbol, leverage)
        return None if decision.allowed else Refusal(f"risk.{decision.rule}", decision.reason)

    def _needs_account(self) -> bool:
        r = self.config
        limits = (r.max_open_positions, r.risk_per_trade, r.max_leverage,
                  r.max_notional_per_symbol, r.max_notional_total, r.correlation)  # fmt: skip
        return self.switch.on or any(limit is not None for limit in limits)

    def effective_trading(self) -> TradingConfig:
        """The trading switches with the pairs the engine actually streams."""
        return self.trading.model_copy(
            update={
                "spot_pairs": self.market.selected(MarketType.SPOT),
                "futures_pairs": self.market.selected(MarketType.FUTURES),
            }
        )

    def snapshot(self, valuation: Valuation | None = None) -> RiskSnapshot:
        """What the risk rules see now: holdings, open orders, prices, leverage, equity marks."""
        state = self.account.state()
        valuation = valuation or self.portfolio.value(state)
        return risk_snapshot(
            state, valuation, self.prices, self.switch, self._peak(valuation.equity)
        )

    def _peak(self, equity_now: Decimal) -> Decimal:
        peak = self._peak_since_reset
        return equity_now if peak is None else max(peak, equity_now)

    # --- after every valuation ------------------------------------------------------------------

    async def on_valuation(self, valuation: Valuation) -> None:
        """Keep the peak since the last reset, and publish the use of every limit."""
        if valuation.priced:
            self._peak_since_reset = self._peak(valuation.equity)
        usage = limit_usage(self.config, self.snapshot(valuation))
        self.usage = tuple(usage)
        await self._context.store.write(lambda con: write_risk_usage(con, usage, now_ms()))

    async def rearm_peak(self) -> None:
        """After a kill-switch reset: the drawdown counts from the peak since then."""
        since = peak_since_ms(self.switch.current)
        with self._context.store.reader() as cur:
            self._peak_since_reset = max_equity(cur, since)

    # --- commands -------------------------------------------------------------------------------

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
        self.config = config
        await self.on_valuation(self.portfolio.value())  # the Risk page shows the new limits now
        return _reply(command, True, f"Risk configuration saved as version {version}.",
                      version=version)  # fmt: skip

    async def _on_save_trading(self, command: SaveTradingConfig) -> Reply:
        try:
            config = parse_trading_config(
                command.config,
                self.venue.symbols(MarketType.SPOT),
                self.venue.symbols(MarketType.FUTURES),
            )
        except ConfigError as exc:
            problems = [{"field": p.field, "reason": p.reason} for p in exc.problems]
            return _reply(command, False, str(exc), "invalid_config", problems=problems)
        version = await self._save("trading", config, command.actor)
        self.trading = config
        if "spot_pairs" in command.config or "futures_pairs" in command.config:
            # The pairs are streamed by market data; one selection, so send it there.
            await self.market.select(MarketType.SPOT, config.spot_pairs, command.actor)
            await self.market.select(MarketType.FUTURES, config.futures_pairs, command.actor)
        return _reply(command, True, f"Trading configuration saved as version {version}.",
                      version=version)  # fmt: skip

    async def _leverage_caps(self) -> dict[str, int] | None:
        """Highest leverage the exchange allows per selected futures pair (first bracket)."""
        if not self.venue.serves(MarketType.FUTURES) or not self.venue.has_keys:
            return None
        selected = set(self.effective_trading().futures_pairs)
        if not selected:
            return None
        caps = await self.venue.rest.leverage_caps()
        return {symbol: cap for symbol, cap in caps.items() if symbol in selected}

    async def _save(self, kind: str, config: BaseModel, actor: str) -> int:
        return await self._context.store.write(
            lambda con: save_config_version(con, kind, config, actor, now_ms())
        )

    def status(self) -> dict[str, Any]:
        return {"kill_switch": self.switch.current.model_dump(mode="json")}


def risk_snapshot(
    state: AccountState,
    valuation: Valuation,
    prices: LivePrices,
    switch: KillSwitchState,
    peak_since_reset: Decimal,
) -> RiskSnapshot:
    """The account as the risk rules read it, valued at the same prices as `valuation`."""
    spot = prices.of(MarketType.SPOT)
    marks: Mapping[str, Decimal] = {
        **{p.symbol: p.mark_price for p in state.positions if p.mark_price},
        **prices.of(MarketType.FUTURES),
    }
    return RiskSnapshot(
        equity=valuation.equity,
        positions=spot_positions(state.spot, spot) + futures_positions(state.positions),
        open_orders=state.open_orders,
        prices={**{(MarketType.SPOT, s): p for s, p in spot.items()},
                **{(MarketType.FUTURES, s): p for s, p in marks.items()}},
        leverage=state.leverage,
        kill_switch=switch.current,
        start_of_day_equity=valuation.day_start_equity,
        peak_equity=peak_since_reset,
    )  # fmt: skip
