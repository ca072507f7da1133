"""API keys in the running engine: stored, removed, tested; and the gate before going live.

Keys entered on Settings are sealed in the vault here (engine/vault.py), never written anywhere
else. A connection test asks the exchange what a key may do (the accounts and the key's own
restrictions) and keeps the result per environment and key, without the key (a `KeyCheck`). A
key of another environment is tested against that environment's own endpoints only: the vault
hands out a key only for the environment it was sealed for. `SwitchEnvironment` is the engine's
half of a switch: admins only (the command's role), and for live the gate
(engine/access/live_gate.py); the app restarts the engine when it answers yes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.access.key_permissions import KeyPermissions
from engine.access.live_gate import KeyCheck, key_check_kind, live_gate_problem
from engine.binance.errors import ExchangeError
from engine.binance.rest import BinanceRest
from engine.binance.urls import Endpoints
from engine.clock import now_ms
from engine.commands import (
    Command,
    DeleteApiKey,
    Reply,
    StoreApiKey,
    SwitchEnvironment,
    TestConnection,
    TestKeys,
)
from engine.context import EngineContext
from engine.credentials import CredentialChain, Credentials
from engine.models import Environment, MarketType
from engine.store.config_versions import load_latest_config, save_config_version
from engine.vault import Vault, VaultError
from engine.venue import Venue

EndpointsOf = Callable[[Environment], Endpoints | None]  # None: that exchange is not known here


def _reply(command: Command, ok: bool, message: str, code: str | None = None, **data: Any) -> Reply:
    return Reply(command_id=command.command_id, ok=ok, message=message, code=code, data=data)


class Keyring:
    """Handles the key commands and the environment gate."""

    name = "keys"

    def __init__(
        self, venue: Venue, vault: Vault, chain: CredentialChain, endpoints_of: EndpointsOf
    ) -> None:
        self.venue = venue
        self.vault = vault
        self.chain = chain
        self.endpoints_of = endpoints_of
        self._ctx: EngineContext | None = None

    async def start(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        ctx.register_handler(StoreApiKey, self._on_store)
        ctx.register_handler(DeleteApiKey, self._on_delete)
        ctx.register_handler(TestConnection, self._on_test_connection)
        ctx.register_handler(TestKeys, self._on_test_keys)
        ctx.register_handler(SwitchEnvironment, self._on_switch)

    async def stop(self) -> None:
        self._ctx = None

    def status(self) -> dict[str, Any]:
        return {"stored": [str(e) for e in self.vault.environments()]}

    @property
    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise RuntimeError("The keyring is not running.")
        return self._ctx

    @property
    def environment(self) -> Environment:
        return self.venue.rest.endpoints.environment

    # --- storing --------------------------------------------------------------------------------

    async def _on_store(self, command: StoreApiKey) -> Reply:
        try:
            credentials = Credentials(
                command.api_key.get_secret_value().strip(),
                command.api_secret.get_secret_value().strip(),
            )
            self.vault.store(command.environment, credentials)
        except (ValueError, VaultError) as exc:
            return _reply(command, False, str(exc), "desk.vault")
        here = " Restart in this environment to use it." if command.environment is (
            self.environment) else ""  # fmt: skip
        return _reply(command, True, f"The {command.environment} key {credentials.masked_key} "
                      f"is stored, encrypted; test it before use.{here}")  # fmt: skip

    async def _on_delete(self, command: DeleteApiKey) -> Reply:
        try:
            removed = self.vault.delete(command.environment)
        except VaultError as exc:
            return _reply(command, False, str(exc), "desk.vault")
        if not removed:
            return _reply(command, False, f"No {command.environment} key is stored in the vault.")
        return _reply(command, True, f"The stored {command.environment} key was removed.")

    # --- testing --------------------------------------------------------------------------------

    async def _on_test_connection(self, command: TestConnection) -> Reply:
        """The running engine's own keys against its own exchange."""
        rest = self.venue.rest
        return await self._test(command, self.environment, rest, rest.credentials, self._futures)

    @property
    def _futures(self) -> bool:
        return self.venue.serves(MarketType.FUTURES)

    async def _on_test_keys(self, command: TestKeys) -> Reply:
        """The key the desk holds for `environment` now (it may differ from the running
        engine's: just stored, say), against that environment's own exchange."""
        environment = command.environment
        located = self.chain.locate(environment)
        if located.credentials is None:
            return _reply(command, False, located.problem or f"No {environment} key is set.")
        endpoints = self.endpoints_of(environment)
        if endpoints is None or endpoints.environment is not environment:
            # a key only ever goes to its own environment's exchange
            return _reply(command, False, f"No {environment} endpoints here.", "desk.endpoints")
        rest = BinanceRest(endpoints, located.credentials, self._context.settings.request_timeout_s)
        try:
            await rest.open()
        except ExchangeError as exc:
            await rest.close()
            return await self._remember(command, located.credentials, environment, None,
                                        f"cannot reach {environment}: {exc.reason}")  # fmt: skip
        try:
            return await self._test(command, environment, rest, located.credentials, True)
        finally:
            await rest.close()

    async def _test(
        self,
        command: Command,
        environment: Environment,
        rest: BinanceRest,
        credentials: Credentials | None,
        futures: bool,
    ) -> Reply:
        data = {"environment": str(environment), "key": None, "time_offset_ms": rest.time_offset_ms}
        if credentials is None:
            return _reply(command, False, "No API keys.", **data)
        try:
            permissions = await _permissions(rest, futures=futures)
        except ExchangeError as exc:
            permissions, reason = None, exc.reason
        else:
            reason = ""
        reply = await self._remember(command, credentials, environment, permissions, reason)
        return reply.model_copy(
            update={"data": {**reply.data, **data, "key": credentials.masked_key}}
        )

    async def _remember(
        self,
        command: Command,
        credentials: Credentials,
        environment: Environment,
        permissions: KeyPermissions | None,
        reason: str,
    ) -> Reply:
        check = KeyCheck(environment=environment, fingerprint=credentials.fingerprint,
                         masked_key=credentials.masked_key, ok=permissions is not None,
                         tested_ms=now_ms(), reason=reason, permissions=permissions)  # fmt: skip
        await self._context.store.write(lambda con: save_config_version(
            con, key_check_kind(environment), check, command.actor, check.tested_ms))  # fmt: skip
        data: dict[str, Any] = {"environment": str(environment), "key": credentials.masked_key}
        if permissions is None:
            return _reply(command, False, reason, **data)
        data["permissions"] = permissions.model_dump(mode="json")
        return _reply(command, True, "Connected.", **data)

    def last_check(self, environment: Environment) -> KeyCheck | None:
        with self._context.store.reader() as cur:
            saved = load_latest_config(cur, key_check_kind(environment))
        return saved.parse(KeyCheck) if saved is not None else None

    # --- the environment ------------------------------------------------------------------------

    async def _on_switch(self, command: SwitchEnvironment) -> Reply:
        target = command.target
        if target is Environment.LIVE:
            located = self.chain.locate(Environment.LIVE)
            problem = live_gate_problem(located.credentials, self.last_check(Environment.LIVE),
                                        command.confirmation)  # fmt: skip
            if problem is not None:
                return _reply(command, False, problem, "desk.live_gate")
        return _reply(command, True, f"{command.actor} switches the desk from "
                      f"{self.environment} to {target}.")  # fmt: skip


async def _permissions(rest: BinanceRest, *, futures: bool) -> KeyPermissions:
    """The key's permissions; without futures when the futures account cannot be asked."""
    if futures:
        try:
            return await rest.permissions(futures=True)
        except ExchangeError:
            pass
    return await rest.permissions(futures=False)
