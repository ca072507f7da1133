"""The USD-M user-data stream's listen key: created, kept alive, expired after 60 minutes."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from simulator.core import errors
from simulator.futures.state import TradingState

LISTEN_KEY_TTL_MS = 60 * 60 * 1000


class ListenKeys:
    def __init__(self, state: TradingState) -> None:
        self.state = state
        self.key: str | None = None
        self.expires_ms = 0
        # told when a key ends (closed or expired), so its streams close
        self.on_closed: Callable[[str], None] = lambda key: None

    def create(self) -> str:
        now = self.state.now_ms
        if self.key is None or now >= self.expires_ms:
            self.key = secrets.token_hex(32)
        self.expires_ms = now + LISTEN_KEY_TTL_MS
        return self.key

    def keepalive(self, key: str) -> None:
        if not self.valid(key):
            raise errors.invalid_listen_key()
        self.expires_ms = self.state.now_ms + LISTEN_KEY_TTL_MS

    def close(self, key: str) -> None:
        if key != self.key:
            raise errors.invalid_listen_key()
        self.key = None
        self.on_closed(key)

    def valid(self, key: str) -> bool:
        return key == self.key and self.state.now_ms < self.expires_ms

    def expire(self) -> None:
        if self.key and self.state.now_ms >= self.expires_ms:
            key, now = self.key, self.state.now_ms
            self.state.emit({"e": "listenKeyExpired", "E": now, "listenKey": key})  # its last
            self.key = None
            self.on_closed(key)
