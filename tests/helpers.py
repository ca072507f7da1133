"""Small helpers shared by the tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from engine.access.roles import Role, RoleSource
from engine.assembly import Access
from engine.credentials import CredentialChain
from engine.engine import Engine
from engine.vault import Vault

T = TypeVar("T")


@contextmanager
def running(engine: Engine) -> Iterator[Engine]:
    """Start `engine`; on the way out stop it and check that it left no thread behind."""
    threads_before = set(threading.enumerate())
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        leftover = {t for t in set(threading.enumerate()) - threads_before if t.is_alive()}
        assert not leftover, f"engine left threads behind: {leftover}"


def eventually(
    check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, what: str = ""
) -> T:
    """Call `check` until it returns a truthy value or `timeout` passes; return that value.

    `check` may also raise AssertionError while the condition does not hold yet; `what` names
    the condition in the failure.
    """
    deadline = time.monotonic() + timeout
    last_error: AssertionError | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:
            last_error = exc
        if time.monotonic() > deadline:
            waited_for = f" ({what})" if what else ""
            raise AssertionError(
                f"condition not met within {timeout} s{waited_for}"
            ) from last_error
        time.sleep(interval)


C = TypeVar("C")


def part(engine: Any, kind: type[C]) -> C:
    """The engine's component of type `kind` (tests reach inside; pages never do)."""
    found = next((c for c in engine.components if isinstance(c, kind)), None)
    assert found is not None, f"the engine has no {kind.__name__}"
    return found


class Everyone:
    """A role source for tests that are not about access: every actor holds `role`."""

    def __init__(self, role: Role = Role.ADMIN) -> None:
        self.role = role

    def role_of(self, actor: str) -> Role | None:
        return self.role


ADMINS = Everyone(Role.ADMIN)


class RoleMap:
    """Named actors hold their role; every other actor holds `others`."""

    def __init__(self, roles: dict[str, Role], others: Role | None = Role.ADMIN) -> None:
        self.roles, self.others = roles, others

    def role_of(self, actor: str) -> Role | None:
        return self.roles.get(actor, self.others)


def open_access(data_dir: Path, roles: RoleSource = ADMINS) -> Access:
    """Actors' roles from `roles` (everyone an admin); an empty vault without a passphrase; no
    other keys."""
    return Access(roles, Vault(data_dir / "vault.json", None), CredentialChain([]))
