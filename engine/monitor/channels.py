"""Notification channels: an apprise URL each, checked, shown masked, kept secret.

An apprise URL (slack://, discord://, tgram://, mailto://, json://, ...) may carry a token or a
password. The desk finds out from apprise itself: a URL whose private form differs from its
masked form carries a secret and is kept only in the vault; a URL without one may be kept in
the database. Pages only ever see the masked form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import apprise
from pydantic import BaseModel, ConfigDict, Field

from engine.monitor import apprise_log  # noqa: F401 (silences apprise before its first use)
from engine.monitor.rules import Severity

MAX_URL_LENGTH = 2000


class ChannelError(ValueError):
    """A channel URL is not usable; the message says why and what to do."""


class Channel(BaseModel):
    """A channel as pages see it: never its URL, only the masked form."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    name: str = Field(min_length=1, max_length=60)
    service: str
    masked_url: str
    min_severity: Severity = Severity.WARNING
    enabled: bool = True
    sealed: bool  # the URL is in the vault (it carries a secret), not in the database

    def wants(self, severity: Severity) -> bool:
        return self.enabled and severity.rank >= self.min_severity.rank


@dataclass(frozen=True)
class CheckedUrl:
    service: str
    masked: str
    has_secret: bool


def check_url(url: str) -> CheckedUrl:
    """What apprise makes of `url`, or ChannelError saying what is wrong."""
    url = url.strip()
    if not url:
        raise ChannelError(
            "The channel URL is empty. Give an apprise URL such as "
            "slack://…, discord://…, tgram://…, mailto://… or json://…."
        )
    if len(url) > MAX_URL_LENGTH:
        raise ChannelError(f"The channel URL is longer than {MAX_URL_LENGTH} characters.")
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise ChannelError(
            f"apprise does not understand this URL (scheme {scheme!r}). See "
            "https://github.com/caronc/apprise/wiki for the form of each service's URL."
        )
    masked = plugin.url(privacy=True)
    return CheckedUrl(str(plugin.service_name), masked, masked != plugin.url(privacy=False))


def redact(text: str, url: str) -> str:
    """`text` (apprise's own words about a failure) without any private part of `url`."""
    masked = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    public = masked.url(privacy=True) if masked is not None else ""
    for token in sorted(set(re.split(r"[/:@?&=#%]+", url)), key=len, reverse=True):
        if len(token) >= 4 and token not in public:
            text = text.replace(token, "****")
    return text
