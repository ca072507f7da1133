"""Commands over the API: the token's role first, then app.acting.act (the same path as a page).

A command that asks a person for their password again (resetting the kill switch, keys, the
environment) is not taken over the API: it is done on the desk.
"""

from __future__ import annotations

import asyncio

from app import acting
from app.api.auth import Caller, require
from app.api.errors import ApiError
from app.runtime import get_runtime
from engine.commands import Command, Reply

NEEDS_PERSON = "api.needs_a_person"
TIMED_OUT = "delivery"


async def run(found: Caller, command: Command) -> Reply:
    """Send `command` as the caller; an ApiError when the token may not."""
    needed = type(command).required_role
    if needed is not None:
        require(found, needed)
    if type(command).needs_password:
        raise ApiError(
            403, NEEDS_PERSON,
            f"{type(command).__name__} asks for the password again: do it on the desk, "
            "logged in as a person.",
        )  # fmt: skip
    runtime = get_runtime()
    return await asyncio.to_thread(
        acting.act, runtime.engine, runtime.users, found.principal, command,
        address=found.address,
    )  # fmt: skip


def status_of(reply: Reply) -> int:
    """The HTTP status of an engine reply that is not ok."""
    code = reply.code or ""
    if code == acting.FORBIDDEN:
        return 403
    if code == TIMED_OUT:
        return 504
    if code.startswith("kill_switch") or code == "desk.kill_switch":
        return 409
    return 400


def refuse(reply: Reply) -> ApiError:
    return ApiError(status_of(reply), reply.code or "refused", reply.message)
