"""Admins manage users: add one, change a role, reset a password, disable or enable.

Each change takes an admin (the role read from the user store now) and that admin's password
again, is written to the user store, and is recorded in the audit trail through the engine
(`RecordUserChange`). The store refuses to leave the desk without an enabled admin. A reset
password or a disabled account ends that user's sessions.
"""

from __future__ import annotations

from collections.abc import Callable

from app import acting
from app.runtime import get_engine, get_users
from engine.access.roles import Role
from engine.access.users import User, UserError, UserStore
from engine.commands import RecordUserChange, Reply

Change = Callable[[UserStore], User]


def add_user(
    admin: acting.Principal, password: str, username: str, name: str, role: Role, new: str
) -> Reply:
    return _change(admin, password, "created", username,
                   lambda users: users.add(username, name, role, new))  # fmt: skip


def set_role(admin: acting.Principal, password: str, username: str, role: Role) -> Reply:
    return _change(admin, password, "role", username, lambda users: users.set_role(username, role))


def reset_password(admin: acting.Principal, password: str, username: str, new: str) -> Reply:
    return _change(admin, password, "password", username,
                   lambda users: users.set_password(username, new))  # fmt: skip


def set_disabled(admin: acting.Principal, password: str, username: str, disabled: bool) -> Reply:
    change = "disabled" if disabled else "enabled"
    return _change(admin, password, change, username,
                   lambda users: users.set_disabled(username, disabled))  # fmt: skip


def _change(
    admin: acting.Principal, password: str, change: str, username: str, apply: Change
) -> Reply:
    users, engine = get_users(), get_engine()
    refusal = acting.confirm_admin(engine, users, admin.username, password, "Managing users")
    if refusal is not None:
        return refusal
    try:
        user = apply(users)
    except UserError as exc:
        return _no("desk.users", str(exc))
    record = RecordUserChange(actor=admin.username, change=change, username=user.username,
                              role=user.role)  # fmt: skip
    acting.act(engine, users, admin, record)
    return Reply(command_id=record.command_id, ok=True,
                 message=f"User {user.username}: {change} ({user.role}).")  # fmt: skip


def _no(code: str, message: str) -> Reply:
    return Reply(command_id=0, ok=False, code=code, message=message)
