"""Acting as a user: the one path from a person to the engine, with or without Streamlit.

Pages reach it through app.commands (the session's user); the HTTP API (app/api) acts
as the user it authenticated, through the same `act`. Before anything is queued: the command
is stamped with the acting user's name (whatever the page put there), the user's role is read
from the user store now (not from the session) and must include the command's `required_role`,
and a command that `needs_password` is sent only with the user's password, checked here
against its bcrypt hash. A wrong password counts as a failed login (five lock the account).
The engine then checks the role again, from the same store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from engine.access.roles import Role, refusal
from engine.access.users import UserStore
from engine.command_queue import CommandError
from engine.commands import Command, RecordLogin, Reply
from engine.engine import Engine

log = logging.getLogger(__name__)
FORBIDDEN = "desk.forbidden"
PASSWORD_REFUSED = "desk.password"
LOCKED = "desk.locked"


@dataclass(frozen=True)
class Principal:
    """Who acts: a user of the store (their role is read again for every action)."""

    username: str
    name: str
    role: Role


def principal_of(users: UserStore, username: str) -> Principal | None:
    user = users.get(username)
    if user is None or user.disabled:
        return None
    return Principal(user.username, user.name, user.role)


class PasswordCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # locked now (this attempt may have been the fifth)


def confirm_password(
    engine: Engine, users: UserStore, username: str, password: str | None, address: str | None
) -> PasswordCheck:
    """Check `username`'s password again; a wrong one counts like a failed login."""
    if users.login_state(username).locked(users.now_ms()):
        return PasswordCheck.LOCKED
    if password and users.check_password(username, password):
        return PasswordCheck.OK
    state = users.record_failure(username)
    locked = state.locked(users.now_ms())
    submit_quietly(engine, RecordLogin(actor=username, outcome="locked" if locked else "failed",
                                       method="reauth", address=address))  # fmt: skip
    return PasswordCheck.LOCKED if locked else PasswordCheck.WRONG


def confirm_admin(
    engine: Engine, users: UserStore, username: str, password: str, task: str
) -> Reply | None:
    """None when `username` holds the admin role now and `password` is theirs; otherwise the
    refusal, naming `task` ("Managing users"), with nothing changed."""
    role = users.role_of(username)
    if role is None or not role.includes(Role.ADMIN):
        return _refusal(FORBIDDEN, f"{task} takes the admin role. Nothing was changed.")
    check = confirm_password(engine, users, username, password, None)
    if check is PasswordCheck.LOCKED:
        return _refusal(LOCKED, "Too many wrong passwords: the account is locked for 15 "
                        "minutes and this session is logged out. Nothing was changed.")  # fmt: skip
    if check is PasswordCheck.WRONG:
        return _refusal(PASSWORD_REFUSED, "Wrong password: nothing was changed.")
    return None


def act(
    engine: Engine,
    users: UserStore,
    principal: Principal,
    command: Command,
    *,
    password: str | None = None,
    address: str | None = None,
    timeout: float | None = None,
) -> Reply:
    """Send `command` as `principal`, after the role and (if it needs one) password checks."""
    command = command.model_copy(update={"actor": principal.username})
    why = refusal(principal.username, type(command).required_role,
                  users.role_of(principal.username))  # fmt: skip
    if why is not None:
        return _refused(command, FORBIDDEN, why)
    if type(command).needs_password:
        check = confirm_password(engine, users, principal.username, password, address)
        if check is PasswordCheck.LOCKED:
            return _refused(
                command,
                LOCKED,
                "Too many wrong passwords: the account is locked "
                "for 15 minutes and this session is logged out. Nothing was done.",
            )
        if check is PasswordCheck.WRONG:
            return _refused(command, PASSWORD_REFUSED, "Wrong password: nothing was done.")
    return send(engine, command, timeout)


def send(engine: Engine, command: Command, timeout: float | None = None) -> Reply:
    """Submit and wait for the reply; delivery failures become a refusal."""
    wait = timeout if timeout is not None else engine.settings.command_timeout_s
    try:
        return engine.submit(command).result(timeout=wait)
    except CommandError as exc:
        return _refused(command, "delivery", str(exc))


def submit_quietly(engine: Engine, command: Command) -> None:
    """Queue a record for the audit trail without waiting (a full queue drops it, said so)."""
    try:
        engine.submit(command)
    except CommandError as exc:
        log.error("Could not record %s: %s", type(command).__name__, exc)


def _refused(command: Command, code: str, message: str) -> Reply:
    return Reply(command_id=command.command_id, ok=False, code=code, message=message)


def _refusal(code: str, message: str) -> Reply:
    return Reply(command_id=0, ok=False, code=code, message=message)
