"""The one place API keys come from: a chain of sources, first one that has keys wins.

In order: environment variables (`TRADEDESK_<ENV>_API_KEY` / `_API_SECRET`), the secrets
(`[tradedesk.keys.<env>]` in `.streamlit/secrets.toml`, or Streamlit's `st.secrets` on
Community Cloud), the encrypted vault (engine/vault.py; keys an admin entered on Settings), and
the built-in simulator's generated keys. Keys from the environment or the secrets are used as
they are and never written anywhere. Every key and secret the desk holds is registered with the
log redactor (engine/redact.py) the moment it is built, so no log line can carry it.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine import redact
from engine.models import Environment

SECRETS_FILE = Path(".streamlit/secrets.toml")


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.api_key.strip() or not self.api_secret.strip():
            raise ValueError("An API key and its secret are both required.")
        redact.register(self.api_key, self.api_secret)

    @property
    def masked_key(self) -> str:
        """The key as pages may show it: first and last four characters."""
        return f"{self.api_key[:4]}…{self.api_key[-4:]}" if len(self.api_key) > 8 else "…"

    @property
    def fingerprint(self) -> str:
        """A short digest naming this key (to remember that it passed a test), not the key."""
        return hashlib.sha256(f"tradedesk key: {self.api_key}".encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.masked_key!r})"


class CredentialsUnavailable(RuntimeError):
    """A source holds keys it cannot hand over now (a sealed vault without its passphrase)."""


class CredentialsSource(Protocol):
    def credentials_for(self, environment: Environment) -> Credentials | None: ...


@dataclass(frozen=True)
class StaticCredentials:
    """Keys known up front (the built-in simulator's, or a test's)."""

    credentials: Credentials
    environment: Environment

    def credentials_for(self, environment: Environment) -> Credentials | None:
        return self.credentials if environment is self.environment else None


class EnvironmentVariables:
    """`TRADEDESK_<ENV>_API_KEY` and `TRADEDESK_<ENV>_API_SECRET`."""

    def credentials_for(self, environment: Environment) -> Credentials | None:
        prefix = f"TRADEDESK_{environment.value.upper()}_"
        key, secret = os.environ.get(prefix + "API_KEY"), os.environ.get(prefix + "API_SECRET")
        return Credentials(key, secret) if key and secret else None


class SecretsKeys:
    """The `[tradedesk.keys.<env>]` tables of the secrets (a mapping of the `[tradedesk]` table)."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self._keys = table.get("keys", {}) if isinstance(table, Mapping) else {}

    @classmethod
    def from_file(cls, path: Path = SECRETS_FILE) -> SecretsKeys:
        return cls(secrets_table(path))

    def credentials_for(self, environment: Environment) -> Credentials | None:
        keys = self._keys.get(environment.value, {})
        if keys.get("api_key") and keys.get("api_secret"):
            return Credentials(str(keys["api_key"]), str(keys["api_secret"]))
        return None


def secrets_table(path: Path = SECRETS_FILE) -> dict[str, Any]:
    """The `[tradedesk]` table of a secrets file (empty when there is no file)."""
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("tradedesk", {})
    return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class Located:
    """Keys and where they came from, in words."""

    credentials: Credentials | None
    source: str
    problem: str | None = None  # why a source that holds keys could not hand them over


class CredentialChain:
    """Sources in order, each with a name for the Settings page; the first with keys wins."""

    def __init__(self, sources: Sequence[tuple[str, CredentialsSource]]) -> None:
        self.sources = list(sources)

    def credentials_for(self, environment: Environment) -> Credentials | None:
        return self.locate(environment).credentials

    def locate(self, environment: Environment) -> Located:
        problems = []
        for name, source in self.sources:
            try:
                credentials = source.credentials_for(environment)
            except CredentialsUnavailable as exc:
                problems.append(f"{_named(name, environment)}: {exc}")
                continue
            if credentials is not None:
                return Located(credentials, _named(name, environment))
        return Located(None, "none set", "; ".join(problems) or None)


def _named(name: str, environment: Environment) -> str:
    return name.replace("<ENV>", environment.value.upper()).replace("<env>", environment.value)
