"""Build an engine for one exchange environment: the one code path for sim, testnet and live."""

from __future__ import annotations

from engine.account_sync import AccountSync
from engine.binance.urls import Endpoints
from engine.credentials import Credentials
from engine.engine import Component, Engine
from engine.exchange import ExchangeComponent
from engine.market_data import MarketDataComponent
from engine.orders import TradingComponent
from engine.preferences import PreferencesComponent
from engine.risk_engine import RiskComponent
from engine.settings import Settings


def build_engine(
    settings: Settings, endpoints: Endpoints, credentials: Credentials | None
) -> Engine:
    """An engine connected to `endpoints`, with every component, not yet started."""
    components: list[Component] = [
        ExchangeComponent(endpoints, credentials, settings.request_timeout_s),
        TradingComponent(),
        AccountSync(),
        RiskComponent(),
        PreferencesComponent(),
        MarketDataComponent(),
    ]
    return Engine(settings, components)
