"""Build an engine for one exchange environment: the one code path for sim, testnet and live.

This is the only place components meet: each is handed the peers it uses, typed, here. They
start in this order and stop in reverse:

    venue          the REST adapter, the symbol catalogue, weight limits
    account-state  the cached reading of balances, positions and open orders
    market-data    streams, backfill, pair selection, live prices
    portfolio      P&L from fills and funding, valuation, equity history
    risk           risk and trading configuration, the pre-trade rules
    orders         checks, write-ahead, send once, resolve, cancel (fills -> portfolio)
    kill-switch    limits on every valuation, the switch's action, proven at the exchange
    account        user-data streams and reconciliation (updates -> orders' recorder)
    preferences    favourites
    monitor        health metrics, alert rules, incidents and their delivery
"""

from __future__ import annotations

from engine.account.state import AccountReader
from engine.account.sync import AccountSync
from engine.binance.rest import BinanceRest
from engine.binance.urls import Endpoints
from engine.context import Component
from engine.credentials import Credentials
from engine.engine import Engine
from engine.guard import KillSwitchGuard
from engine.market.component import MarketData
from engine.market.prices import LivePrices
from engine.monitor.component import Monitor
from engine.monitor.health import HealthSources
from engine.orders.component import Orders
from engine.orders.recorder import OrderRecorder
from engine.portfolio.component import Portfolio
from engine.preferences import PreferencesComponent
from engine.risk.component import Risk
from engine.risk.switch_state import KillSwitchState
from engine.settings import Settings
from engine.venue import Venue


def build_engine(
    settings: Settings, endpoints: Endpoints, credentials: Credentials | None
) -> Engine:
    """An engine connected to `endpoints`, with every component, not yet started."""
    venue = Venue(BinanceRest(endpoints, credentials, settings.request_timeout_s))
    prices = LivePrices()
    account = AccountReader()
    market = MarketData(venue, prices)
    portfolio = Portfolio(venue, prices, account)
    switch = KillSwitchState()
    risk = Risk(venue, market, prices, account, portfolio, switch)
    recorder = OrderRecorder(account)
    recorder.subscribe(portfolio.on_fills)
    orders = Orders(venue, prices, account, risk, recorder)
    guard = KillSwitchGuard(switch, risk, orders, portfolio, account)
    sync = AccountSync(venue, orders, account, portfolio)
    monitor = Monitor(HealthSources(venue, market, sync, account, prices, risk), recorder)
    components: list[Component] = [
        venue, account, market, portfolio, risk, orders, guard, sync,
        PreferencesComponent(venue), monitor,
    ]  # fmt: skip
    return Engine(settings, components)
