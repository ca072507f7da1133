"""The one place API keys come from.

Today: environment variables, `.streamlit/secrets.toml`, or keys handed over by the runtime (the
built-in simulator's generated keys). The encrypted vault (design.md, "Credentials and access")
becomes another `CredentialsSource` without changing any caller.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from engine.models import Environment


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.api_key.strip() or not self.api_secret.strip():
            raise ValueError("An API key and its secret are both required.")

    @property
    def masked_key(self) -> str:
        """The key as pages may show it: first and last four characters."""
        return f"{self.api_key[:4]}…{self.api_key[-4:]}" if len(self.api_key) > 8 else "…"

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.masked_key!r})"


class CredentialsSource(Protocol):
    def credentials_for(self, environment: Environment) -> Credentials | None: ...


@dataclass(frozen=True)
class StaticCredentials:
    """Keys known up front (the built-in simulator's, or a test's)."""

    credentials: Credentials
    environment: Environment

    def credentials_for(self, environment: Environment) -> Credentials | None:
        return self.credentials if environment is self.environment else None


class EnvironmentCredentials:
    """`TRADEDESK_<ENV>_API_KEY` / `_API_SECRET`, else `[tradedesk.keys.<env>]` in secrets.toml."""

    def __init__(self, secrets_file: Path = Path(".streamlit/secrets.toml")) -> None:
        self._secrets_file = secrets_file

    def credentials_for(self, environment: Environment) -> Credentials | None:
        prefix = f"TRADEDESK_{environment.value.upper()}_"
        key, secret = os.environ.get(prefix + "API_KEY"), os.environ.get(prefix + "API_SECRET")
        if key and secret:
            return Credentials(key, secret)
        return self._from_secrets(environment)

    def _from_secrets(self, environment: Environment) -> Credentials | None:
        if not self._secrets_file.is_file():
            return None
        document = tomllib.loads(self._secrets_file.read_text(encoding="utf-8"))
        keys = document.get("tradedesk", {}).get("keys", {}).get(environment.value, {})
        if keys.get("api_key") and keys.get("api_secret"):
            return Credentials(keys["api_key"], keys["api_secret"])
        return None
