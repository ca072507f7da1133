"""Build an engine for one exchange environment: the one code path for sim, testnet and live.

This is the only place components meet: each is handed the peers it uses, typed, here. They
start in this order and stop in reverse:

    venue          the REST adapter, the symbol catalogue, weight limits
    account-state  the cached reading of balances, positions and open orders
    market-data    streams, backfill, pair selection, live prices
    books          local order books of the selected pairs (depth, snapshots, the tape)
    portfolio      P&L from fills and funding, valuation, equity history
    risk           risk and trading configuration, the pre-trade rules
    orders         checks, write-ahead, send once, resolve, cancel (fills -> portfolio)
    kill-switch    limits on every valuation, the switch's action, proven at the exchange
    account        user-data streams and reconciliation (updates -> orders' recorder)
    preferences    favourites
    monitor        health metrics, alert rules, incidents and their delivery
    keys           stored keys, connection tests, the gate before going live
    strategies     the strategies folder and the switched-on strategies (closed candles from
                   market data, their fills from the recorder; orders through the command queue)
    replays        replay runs started from the Strategies page (`python -m engine.replay`)
    replay-driver  only in a replay's own engine: steps the simulator's virtual clock

`Access` is what the engine knows about people and keys: the user store it asks for an actor's
role (the dispatcher and the kill switch ask it; a strategy's orders act as a trader), the
vault, the chain of key sources and where each environment's exchange is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.access.roles import RoleSource
from engine.access.users import USERS_FILE, UserStore, users_from_secrets
from engine.account.state import AccountReader
from engine.account.sync import AccountSync
from engine.binance.rest import BinanceRest
from engine.binance.urls import Endpoints, endpoints_for
from engine.context import Component
from engine.credentials import (
    CredentialChain,
    Credentials,
    CredentialsSource,
    EnvironmentVariables,
    SecretsKeys,
)
from engine.engine import Engine
from engine.guard import KillSwitchGuard
from engine.keyring import Keyring
from engine.market.books import OrderBooks
from engine.market.component import MarketData
from engine.market.prices import LivePrices
from engine.models import Environment
from engine.monitor.component import Monitor
from engine.monitor.health import HealthSources
from engine.orders.component import Orders
from engine.orders.recorder import OrderRecorder
from engine.portfolio.component import Portfolio
from engine.preferences import PreferencesComponent
from engine.risk.component import Risk
from engine.risk.switch_state import KillSwitchState
from engine.settings import Settings
from engine.strategies.actors import WithStrategies
from engine.strategies.host import StrategyHost
from engine.strategies.replay_driver import ReplayDriver, ReplayPlan
from engine.strategies.runs import ReplayRuns
from engine.vault import VAULT_FILE, Vault, VaultCredentials
from engine.venue import Venue


@dataclass(frozen=True)
class Access:
    roles: RoleSource
    vault: Vault
    keys: CredentialChain
    endpoints_of: Callable[[Environment], Endpoints | None] = endpoints_for


def desk_access(
    data_dir: Path,
    passphrase: str | None,
    secrets: Mapping[str, Any],
    more_keys: Sequence[tuple[str, CredentialsSource]] = (),
) -> tuple[UserStore, Access]:
    """The user store, the vault and the chain of key sources of the desk in `data_dir`.

    `secrets` is the `[tradedesk]` table of the secrets (users, keys); `more_keys` come last
    (the built-in simulator's generated keys).
    """
    users = UserStore(data_dir / USERS_FILE, users_from_secrets(secrets.get("users", {})))
    vault = Vault(data_dir / VAULT_FILE, passphrase)
    chain = CredentialChain([
        ("environment variables TRADEDESK_<ENV>_API_KEY / _API_SECRET", EnvironmentVariables()),
        ("[tradedesk.keys.<env>] in the secrets", SecretsKeys(secrets)),
        ("the encrypted vault", VaultCredentials(vault)),
        *more_keys,
    ])  # fmt: skip
    return users, Access(users, vault, chain)


def build_engine(
    settings: Settings,
    endpoints: Endpoints,
    credentials: Credentials | None,
    access: Access,
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
    roles = WithStrategies(access.roles)
    guard = KillSwitchGuard(switch, risk, orders, portfolio, account, roles)
    sync = AccountSync(venue, orders, account, portfolio)
    monitor = Monitor(
        HealthSources(venue, market, sync, account, prices, risk), recorder, secrets=access.vault
    )
    keys = Keyring(venue, access.vault, access.keys, access.endpoints_of)
    strategies = StrategyHost(venue, market)
    recorder.subscribe(strategies.on_fills)
    components: list[Component] = [
        venue, account, market, OrderBooks(venue, market), portfolio, risk, orders, guard, sync,
        PreferencesComponent(venue), monitor, keys, strategies,
    ]  # fmt: skip
    if replay is None:
        components.append(ReplayRuns())
    else:
        components.append(ReplayDriver(replay, venue, market, account, orders, sync, strategies))
    return Engine(settings, components, roles=roles)
