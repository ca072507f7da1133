"""Failed logins: five in a row lock an account for fifteen minutes.

Our own counter, kept with the users (streamlit-authenticator's lives in memory and is lost on
every rerun). While an account is locked no password is even checked, so its right password
fails too; once the lock has passed the count starts again. A success clears it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FAILURES = 5
LOCK_MS = 15 * 60 * 1000


@dataclass(frozen=True)
class LoginState:
    failures: int = 0
    locked_until_ms: int | None = None

    def locked(self, now_ms: int) -> bool:
        return self.locked_until_ms is not None and now_ms < self.locked_until_ms


def after_failure(state: LoginState, now_ms: int) -> LoginState:
    """The state after one more failed attempt (an attempt while locked changes nothing)."""
    if state.locked(now_ms):
        return state
    before = 0 if state.locked_until_ms is not None else state.failures
    failures = before + 1
    if failures >= MAX_FAILURES:
        return LoginState(failures, now_ms + LOCK_MS)
    return LoginState(failures, None)
