"""API tokens: how an automated client logs in, each one a user's, scoped to a role, revocable.

A token is `tdk_<id>_<secret>`: the id finds it, the secret (32 random bytes) proves it. Only the
SHA-256 of the whole token is kept (a random 256-bit secret needs no slow hash: there is nothing
to guess), in DATA_DIR/api_tokens.json, 0600, written atomically; the token itself is shown
once, when it is made. A token acts as its user, with the lesser of its own role and the user's
role at the moment of the call, so a user demoted or disabled takes their tokens down with them.
Every token expires; a revoked or expired one is refused like an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict, Field

from engine.access.roles import Role
from engine.clock import DAY_MS, now_ms
from engine.private_files import read_private, write_private

TOKENS_FILE = "api_tokens.json"
PREFIX = "tdk_"
MAX_DAYS = 366
FORMAT = 1


class TokenError(ValueError):
    """A token change was refused; the message says why."""


class ApiToken(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    username: str
    role: Role
    label: str = Field(max_length=60)
    digest: str = Field(repr=False)
    created_ms: int
    expires_ms: int
    created_by: str
    revoked_ms: int | None = None

    def usable(self, at_ms: int) -> bool:
        return self.revoked_ms is None and at_ms < self.expires_ms


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id_of(token: str) -> str | None:
    """The id part of a presented token; None when it is not shaped like one of ours."""
    if not token.startswith(PREFIX):
        return None
    parts = token[len(PREFIX) :].split("_", 1)
    if len(parts) != 2 or not parts[0].isalnum() or len(parts[0]) != 12:
        return None
    return parts[0]


class TokenStore:
    """The desk's API tokens, thread-safe; reads the file again when another process wrote it."""

    def __init__(self, path: Path, clock: Callable[[], int] = now_ms) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, ApiToken] = {}
        self._seen: tuple[int, int, int] | None = None

    def create(
        self, username: str, role: Role, label: str, days: int, created_by: str
    ) -> tuple[ApiToken, str]:
        """A new token for `username`; returns it and the token text (shown once, never kept)."""
        if not 1 <= days <= MAX_DAYS:
            raise TokenError(f"A token lasts 1 to {MAX_DAYS} days.")
        if not label.strip() or len(label) > 60:
            raise TokenError("Give the token a label of 1 to 60 characters (what uses it).")
        token_id = secrets.token_hex(6)
        text = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        stamp = self._clock()
        token = ApiToken(
            id=token_id, username=username, role=role, label=label.strip(), digest=_digest(text),
            created_ms=stamp, expires_ms=stamp + days * DAY_MS, created_by=created_by,
        )  # fmt: skip
        with self._lock:
            self._refresh()
            self._tokens[token_id] = token
            self._save()
        return token, text

    def revoke(self, token_id: str) -> ApiToken:
        with self._lock:
            self._refresh()
            token = self._tokens.get(token_id)
            if token is None:
                raise TokenError(f"There is no token {token_id}.")
            if token.revoked_ms is None:
                token = token.model_copy(update={"revoked_ms": self._clock()})
                self._tokens[token_id] = token
                self._save()
            return token

    def verify(self, text: str) -> ApiToken | None:
        """The usable token `text` is, or None (unknown, wrong secret, revoked or expired)."""
        token_id = token_id_of(text)
        if token_id is None:
            return None
        with self._lock:
            self._refresh()
            token = self._tokens.get(token_id)
        if token is None or not hmac.compare_digest(token.digest, _digest(text)):
            return None
        return token if token.usable(self._clock()) else None

    def tokens(self) -> list[ApiToken]:
        """Every token, newest first (digests included: never show them)."""
        with self._lock:
            self._refresh()
            return sorted(self._tokens.values(), key=lambda t: t.created_ms, reverse=True)

    def now_ms(self) -> int:
        return self._clock()

    def _refresh(self) -> None:
        """Read the file again when it changed on disk (another process may have written it)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._tokens, self._seen = {}, None
            return
        seen = (info.st_mtime_ns, info.st_size, info.st_ino)
        if seen == self._seen:
            return
        raw = read_private(self.path)
        document = orjson.loads(raw) if raw else {"format": FORMAT, "tokens": []}
        self._tokens = {t["id"]: ApiToken(**t) for t in document.get("tokens", [])}
        self._seen = seen

    def _save(self) -> None:
        document = {"format": FORMAT, "tokens": [t.model_dump(mode="json") for t in
                                                 self._tokens.values()]}  # fmt: skip
        write_private(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
        info = self.path.stat()
        self._seen = (info.st_mtime_ns, info.st_size, info.st_ino)


def effective_role(token: ApiToken, user_role: Role | None) -> Role | None:
    """What a call with `token` may do: the lesser of its role and its user's role now."""
    if user_role is None:
        return None
    return token.role if user_role.includes(token.role) else user_role
