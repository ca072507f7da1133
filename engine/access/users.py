"""The desk's users: a JSON file in the data dir that only its owner may read (0600).

Each user has a name, one role, a bcrypt hash of the password and a disabled flag; the file also
keeps each account's failed-login count (engine/access/lockout.py). Users may also come from
secrets (Streamlit Community Cloud, where the data dir does not survive a restart): those are
read-only here. The store is the engine's `RoleSource`: a role change or a disabled account
counts from the next command on. One store serves every thread of the process (a lock), and it
reads the file again when another process has changed it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.access.lockout import LoginState, after_failure
from engine.access.passwords import (
    hash_password,
    password_problem,
    username_problem,
    verify_password,
)
from engine.access.roles import Role
from engine.clock import now_ms
from engine.private_files import read_private, write_private

USERS_FILE = "users.json"
FORMAT = 1


class UserError(ValueError):
    """A change to the users was refused; the message says why."""


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    name: str
    role: Role
    password_hash: str = Field(repr=False)
    disabled: bool = False
    source: Literal["file", "secrets"] = "file"
    changed_ms: int = 0


def users_from_secrets(table: Mapping[str, Any]) -> dict[str, User]:
    """`[tradedesk.users.<name>]` tables (role, password_hash, optional name) as users."""
    found = {}
    for username, entry in table.items():
        try:
            found[username] = User(
                username=username, name=str(entry.get("name") or username),
                role=Role(entry["role"]), password_hash=str(entry["password_hash"]),
                disabled=bool(entry.get("disabled", False)), source="secrets",
            )  # fmt: skip
        except (KeyError, ValueError, ValidationError) as exc:
            raise UserError(f"[tradedesk.users.{username}] in secrets: {exc}") from None
    return found


class UserStore:
    """Users and their failed logins, kept in `path`; thread-safe."""

    def __init__(
        self,
        path: Path,
        seed: Mapping[str, User] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.path = path
        self._seed = dict(seed or {})
        self._clock = clock
        self._lock = threading.RLock()
        self._users: dict[str, User] = {}
        self._logins: dict[str, LoginState] = {}
        self._revoked: dict[str, int] = {}  # username -> sessions begun before this are over
        self._seen: tuple[int, int, int] | None = None

    # --- reading --------------------------------------------------------------------------------

    def role_of(self, actor: str) -> Role | None:
        """The actor's role; None when unknown or disabled (the engine's `RoleSource`)."""
        user = self.get(actor)
        return None if user is None or user.disabled else user.role

    def get(self, username: str) -> User | None:
        with self._lock:
            self._refresh()
            return self._all().get(username)

    def users(self) -> list[User]:
        with self._lock:
            self._refresh()
            return sorted(self._all().values(), key=lambda u: u.username)

    def now_ms(self) -> int:
        """The store's clock (tests move it to see a lock pass)."""
        return self._clock()

    def is_empty(self) -> bool:
        return not self.users()

    def login_state(self, username: str) -> LoginState:
        with self._lock:
            self._refresh()
            return self._logins.get(username, LoginState())

    def check_password(self, username: str, password: str) -> bool:
        """True when `username` is enabled and `password` is theirs (counts nothing)."""
        user = self.get(username)
        return (
            user is not None and not user.disabled and verify_password(password, user.password_hash)
        )

    # --- failed logins --------------------------------------------------------------------------

    def record_failure(self, username: str) -> LoginState:
        """Count one failed attempt of a known user; return the account's state after it."""
        with self._lock:
            self._refresh()
            if username not in self._all():
                return LoginState()
            state = after_failure(self._logins.get(username, LoginState()), self._clock())
            self._logins[username] = state
            self._save()
            return state

    def sessions_valid_from_ms(self, username: str) -> int:
        """Sessions of `username` begun before this time are over (logout, password change)."""
        with self._lock:
            self._refresh()
            return self._revoked.get(username, 0)

    def end_sessions(self, username: str) -> None:
        """End every session of `username` (a logout ends them all, cookies included)."""
        with self._lock:
            self._refresh()
            self._revoked[username] = self._clock()
            self._save()

    def record_success(self, username: str) -> None:
        with self._lock:
            self._refresh()
            if self._logins.pop(username, None) is not None:
                self._save()

    # --- changes --------------------------------------------------------------------------------

    def create_first_admin(self, username: str, name: str, password: str) -> User:
        """The first user, an admin; refused once any user exists (the setup form is one-time)."""
        with self._lock:
            self._refresh()
            if self._all():
                raise UserError("The desk already has users: log in instead.")
            return self._put(self._new(username, name, Role.ADMIN, password))

    def add(self, username: str, name: str, role: Role, password: str) -> User:
        with self._lock:
            self._refresh()
            if username in self._all():
                raise UserError(f"There is already a user called {username}.")
            return self._put(self._new(username, name, role, password))

    def set_role(self, username: str, role: Role) -> User:
        with self._lock:
            user = self._editable(username)
            if role is not Role.ADMIN:
                self._keep_an_admin(username)
            return self._put(user.model_copy(update={"role": role}))

    def set_password(self, username: str, password: str) -> User:
        with self._lock:
            user = self._editable(username)
            if (problem := password_problem(password)) is not None:
                raise UserError(problem)
            self._logins.pop(username, None)
            self._revoked[username] = self._clock()
            return self._put(user.model_copy(update={"password_hash": hash_password(password)}))

    def set_disabled(self, username: str, disabled: bool) -> User:
        with self._lock:
            user = self._editable(username)
            if disabled:
                self._keep_an_admin(username)
                self._revoked[username] = self._clock()
            return self._put(user.model_copy(update={"disabled": disabled}))

    # --- inside ---------------------------------------------------------------------------------

    def _all(self) -> dict[str, User]:
        return {**self._users, **self._seed}

    def _new(self, username: str, name: str, role: Role, password: str) -> User:
        problem = username_problem(username) or password_problem(password)
        if problem is not None:
            raise UserError(problem)
        return User(username=username, name=name.strip()[:64] or username, role=role,
                    password_hash=hash_password(password))  # fmt: skip

    def _editable(self, username: str) -> User:
        self._refresh()
        user = self._all().get(username)
        if user is None:
            raise UserError(f"There is no user called {username}.")
        if user.source == "secrets":
            raise UserError(f"{username} is defined in the secrets: change it there.")
        return user

    def _keep_an_admin(self, username: str) -> None:
        admins = [u for u in self._all().values() if u.role is Role.ADMIN and not u.disabled]
        if [u.username for u in admins] == [username]:
            raise UserError(f"{username} is the last admin: make another admin first.")

    def _put(self, user: User) -> User:
        user = user.model_copy(update={"changed_ms": self._clock()})
        self._users[user.username] = user
        self._save()
        return user

    def _refresh(self) -> None:
        """Read the file again when it changed on disk (or for the first time)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._users, self._logins, self._revoked, self._seen = {}, {}, {}, None
            return
        seen = (info.st_mtime_ns, info.st_size, info.st_ino)
        if seen == self._seen:
            return
        self._load()
        self._seen = seen

    def _load(self) -> None:
        raw = read_private(self.path) or b"{}"
        document = orjson.loads(raw)
        self._users = {
            name: User.model_validate({**entry, "username": name})
            for name, entry in document.get("users", {}).items()
        }
        self._logins = {
            name: LoginState(int(s.get("failures", 0)), s.get("locked_until_ms"))
            for name, s in document.get("logins", {}).items()
        }
        self._revoked = {name: int(ms) for name, ms in document.get("revoked", {}).items()}

    def _save(self) -> None:
        document = {
            "format": FORMAT,
            "users": {
                name: user.model_dump(mode="json", exclude={"username"})
                for name, user in sorted(self._users.items())
            },
            "logins": {
                name: {"failures": s.failures, "locked_until_ms": s.locked_until_ms}
                for name, s in sorted(self._logins.items())
            },
            "revoked": dict(sorted(self._revoked.items())),
        }
        write_private(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
        info = self.path.stat()
        self._seen = (info.st_mtime_ns, info.st_size, info.st_ino)
