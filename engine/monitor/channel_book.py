"""The notification channels in the running engine: their settings, URLs and test messages.

A URL that carries a secret goes to the vault (`SecretTexts`) and never into the database; the
dispatcher's worker for the channel holds it in memory. Without a vault, such a URL is refused
with what to do; a URL without a secret is kept in the database.
"""

from __future__ import annotations

import asyncio
import secrets as random
from typing import Protocol

from engine.clock import now_ms
from engine.commands import Reply
from engine.context import EngineContext
from engine.events import EventKind, Level
from engine.monitor.channels import Channel, ChannelError, check_url
from engine.monitor.commands import RemoveAlertChannel, SaveAlertChannel, SendTestAlert
from engine.monitor.delivery import Dispatcher, Target
from engine.monitor.messages import test_message
from engine.monitor.records import delete_channel, load_channels, save_channel


class SecretTexts(Protocol):
    """Where secret texts are sealed (the vault)."""

    def load_text(self, name: str) -> str | None: ...

    def store_text(self, name: str, text: str) -> None: ...

    def delete_text(self, name: str) -> bool: ...


# What a vault raises when it cannot open or seal (no passphrase, a wrong one, a damaged entry):
# its message says what to do.
VAULT_ERRORS = (ValueError, RuntimeError)


def _slot(channel_id: str) -> str:
    return f"alert-channel:{channel_id}"


class ChannelBook:
    def __init__(
        self, ctx: EngineContext, dispatcher: Dispatcher, secrets: SecretTexts | None
    ) -> None:
        self.channels: dict[str, Channel] = {}
        self.problems: dict[str, str] = {}  # channel id -> why it cannot send
        self._urls: dict[str, str] = {}
        self._ctx = ctx
        self._dispatcher = dispatcher
        self._secrets = secrets
        ctx.register_handler(SaveAlertChannel, self._on_save)
        ctx.register_handler(RemoveAlertChannel, self._on_remove)
        ctx.register_handler(SendTestAlert, self._on_test)

    async def load(self) -> None:
        with self._ctx.store.reader() as cur:
            stored = load_channels(cur)
        for channel, plain_url in stored:
            self.channels[channel.id] = channel
            url = plain_url if not channel.sealed else await self._open(channel.id)
            if url is not None:
                self._urls[channel.id] = url
        self._dispatcher.configure(self._targets())  # at start nothing is sending yet

    async def _open(self, channel_id: str) -> str | None:
        if self._secrets is None:
            self.problems[channel_id] = "Its URL is in the vault, and the vault is not open."
            return None
        try:
            url = await asyncio.to_thread(self._secrets.load_text, _slot(channel_id))
        except VAULT_ERRORS as exc:  # the vault's own words
            self.problems[channel_id] = str(exc)
            return None
        if url is None:
            self.problems[channel_id] = "Its URL is missing from the vault: enter it again."
        return url

    def _targets(self) -> list[Target]:
        return [
            Target(self.channels[cid], url)
            for cid, url in self._urls.items()
            if cid in self.channels
        ]

    async def _configure(self) -> None:
        """Workers for the channels as they are now (off the loop: a stop may wait on a send)."""
        await asyncio.to_thread(self._dispatcher.configure, self._targets())

    # --- commands ---

    async def _on_save(self, command: SaveAlertChannel) -> Reply:
        existing = self.channels.get(command.channel_id or "")
        if command.channel_id is not None and existing is None:
            return _refuse(command.command_id, f"There is no channel {command.channel_id!r}.")
        if existing is None and command.url is None:
            return _refuse(command.command_id, "A new channel needs its apprise URL.")
        try:
            channel, url = await self._checked(command, existing)
        except (ChannelError, *VAULT_ERRORS) as exc:
            return _refuse(command.command_id, str(exc))
        plain = url if (url is not None and not channel.sealed) else None
        if existing is not None and url is None:
            plain = self._urls.get(channel.id) if not channel.sealed else None
        await self._ctx.store.write(
            lambda con: save_channel(con, channel, plain, command.actor, now_ms())
        )
        self.channels[channel.id] = channel
        if url is not None:
            self._urls[channel.id] = url
            self.problems.pop(channel.id, None)
        await self._configure()
        self._audit(
            command.actor,
            f"saved the alert channel {channel.name} ({channel.service}, "
            f"{channel.min_severity} and above, "
            f"{'on' if channel.enabled else 'off'})",
            channel.id,
        )
        return Reply(
            command_id=command.command_id,
            ok=True,
            message=f"Channel {channel.name} saved.",
            data={"channel_id": channel.id},
        )

    async def _checked(
        self, command: SaveAlertChannel, existing: Channel | None
    ) -> tuple[Channel, str | None]:
        """The channel to store, and its new URL (None: unchanged); seals a secret URL."""
        channel_id = existing.id if existing else random.token_hex(6)
        if command.url is None:
            assert existing is not None
            return existing.model_copy(
                update={
                    "name": command.name,
                    "enabled": command.enabled,
                    "min_severity": command.min_severity,
                }
            ), None
        url = command.url.get_secret_value().strip()
        checked = check_url(url)
        if checked.has_secret:
            if self._secrets is None:
                raise ChannelError(
                    "This URL carries a secret (a token or a password); the desk keeps such "
                    "URLs only in the encrypted vault, which is not set up. Set "
                    "TRADEDESK_MASTER_KEY and restart, or use a URL without a secret."
                )
            try:
                await asyncio.to_thread(self._secrets.store_text, _slot(channel_id), url)
            except VAULT_ERRORS as exc:
                raise ChannelError(
                    "This URL carries a secret (a token or a password); the desk keeps such "
                    f"URLs only in the encrypted vault, which cannot seal it now: {exc}"
                ) from None
        elif existing is not None and existing.sealed and self._secrets is not None:
            await asyncio.to_thread(self._secrets.delete_text, _slot(channel_id))
        channel = Channel(
            id=channel_id,
            name=command.name,
            service=checked.service,
            masked_url=checked.masked,
            min_severity=command.min_severity,
            enabled=command.enabled,
            sealed=checked.has_secret,
        )
        return channel, url

    async def _on_remove(self, command: RemoveAlertChannel) -> Reply:
        channel = self.channels.pop(command.channel_id, None)
        if channel is None:
            return _refuse(command.command_id, f"There is no channel {command.channel_id!r}.")
        self._urls.pop(channel.id, None)
        self.problems.pop(channel.id, None)
        await self._ctx.store.write(lambda con: delete_channel(con, channel.id))
        if channel.sealed and self._secrets is not None:
            await asyncio.to_thread(self._secrets.delete_text, _slot(channel.id))
        await self._configure()
        self._audit(command.actor, f"removed the alert channel {channel.name}", channel.id)
        return Reply(
            command_id=command.command_id, ok=True, message=f"Channel {channel.name} removed."
        )

    async def _on_test(self, command: SendTestAlert) -> Reply:
        channel = self.channels.get(command.channel_id)
        if channel is None:
            return _refuse(command.command_id, f"There is no channel {command.channel_id!r}.")
        if channel.id in self.problems:
            return _refuse(
                command.command_id, f"{channel.name} cannot send: {self.problems[channel.id]}"
            )
        message = test_message(str(self._ctx.settings.mode), channel.name, now_ms())
        self._dispatcher.send_to(channel.id, message)
        return Reply(
            command_id=command.command_id,
            ok=True,
            message=f"Test message queued for {channel.name}; its attempts are listed "
            "under the deliveries.",
        )

    def _audit(self, actor: str, what: str, channel_id: str) -> None:
        self._ctx.record(
            Level.INFO,
            EventKind.ALERT_SETTINGS,
            f"{actor} {what}.",
            {"actor": actor, "channel": channel_id},
        )


def _refuse(command_id: int, message: str) -> Reply:
    return Reply(command_id=command_id, ok=False, code="desk.bad_channel", message=message)
