"""Admins make and revoke API tokens (Settings): for a user, scoped to a role no higher than
the user's, with an expiry. Like a user change, each takes the admin's password again, is
written to the token store and recorded in the audit trail (`RecordTokenChange`, never the
token). The token text is returned once, to be shown once."""

from __future__ import annotations

from app import acting
from app.runtime import get_engine, get_tokens, get_users
from engine.access.roles import Role
from engine.access.tokens import ApiToken, TokenError
from engine.commands import RecordTokenChange, Reply


def create_token(
    admin: acting.Principal, password: str, username: str, role: Role, label: str, days: int
) -> tuple[Reply, str | None]:
    """The reply, and the token text when it was made (show it once; it is not kept)."""
    refusal = _confirmed(admin, password)
    if refusal is not None:
        return refusal, None
    user_role = get_users().role_of(username)
    if user_role is None:
        return _no("desk.tokens", f"{username} is not an enabled user."), None
    if not user_role.includes(role):
        return _no("desk.tokens", f"{username} is a {user_role}: a token of theirs can be at "
                   f"most {user_role}, not {role}."), None  # fmt: skip
    try:
        token, text = get_tokens().create(username, role, label, days, admin.username)
    except TokenError as exc:
        return _no("desk.tokens", str(exc)), None
    _record(admin, "created", token)
    message = (f"Token {token.id} for {username} ({role}) made; it lasts {days} days. Copy it "
               "now: it is not shown again.")  # fmt: skip
    return Reply(command_id=0, ok=True, message=message), text


def revoke_token(admin: acting.Principal, password: str, token_id: str) -> Reply:
    refusal = _confirmed(admin, password)
    if refusal is not None:
        return refusal
    try:
        token = get_tokens().revoke(token_id)
    except TokenError as exc:
        return _no("desk.tokens", str(exc))
    _record(admin, "revoked", token)
    return Reply(command_id=0, ok=True, message=f"Token {token.id} ({token.label}) revoked.")


def _confirmed(admin: acting.Principal, password: str) -> Reply | None:
    return acting.confirm_admin(
        get_engine(), get_users(), admin.username, password, "Managing API tokens"
    )


def _record(admin: acting.Principal, change: str, token: ApiToken) -> None:
    record = RecordTokenChange(
        actor=admin.username, change=change, token_id=token.id, username=token.username,
        role=token.role, label=token.label,
    )  # fmt: skip
    acting.act(get_engine(), get_users(), admin, record)


def _no(code: str, message: str) -> Reply:
    return Reply(command_id=0, ok=False, code=code, message=message)
