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
    strategies     the strategies folder and the switched-on strategies (closed candles from
                   market data, their fills from the recorder; orders through the command queue)
    replays        replay runs started from the Strategies page (`python -m engine.replay`)
    replay-driver  only in a replay's own engine: steps the simulator's virtual clock
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
from engine.orders.component import Orders
from engine.orders.recorder import OrderRecorder
from engine.portfolio.component import Portfolio
from engine.preferences import PreferencesComponent
from engine.risk.component import Risk
from engine.risk.switch_state import KillSwitchState
from engine.settings import Settings
from engine.strategies.host import StrategyHost
from engine.strategies.replay_driver import ReplayDriver, ReplayPlan
from engine.strategies.runs import ReplayRuns
from engine.venue import Venue


def build_engine(
    settings: Settings,
    endpoints: Endpoints,
    credentials: Credentials | None,
    replay: ReplayPlan | None = None,
) -> Engine:
    """An engine connected to `endpoints`, with every component, not yet started.

    With `replay`, the engine is a replay's: a driver steps the simulator's clock bar by bar.
    """
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
    strategies = StrategyHost(venue, market)
    recorder.subscribe(strategies.on_fills)
    components: list[Component] = [
        venue, account, market, portfolio, risk, orders, guard, sync,
        PreferencesComponent(venue), strategies,
    ]  # fmt: skip
    if replay is None:
        components.append(ReplayRuns())
    else:
        components.append(ReplayDriver(replay, venue, market, account, orders, sync, strategies))
    return Engine(settings, components)
