"""The engine takes an actor's role from the user store, never from the command; it refuses
unknown actors, and every command a person sends lands in the audit trail with who sent it."""

import pytest
from pydantic import ValidationError

from engine.access import passwords
from engine.access.roles import Role
from engine.access.users import UserStore
from engine.commands import (
    USER_UNKNOWN,
    Command,
    Ping,
    RecordLogin,
    ResetKillSwitch,
    SaveRiskConfig,
    TripKillSwitch,
)
from engine.engine import Engine
from tests.helpers import eventually

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path, monkeypatch) -> UserStore:
    monkeypatch.setattr(passwords, "ROUNDS", 4)
    store = UserStore(tmp_path / "users.json")
    store.create_first_admin("ada", "Ada", PASSWORD)
    store.add("tom", "Tom", Role.TRADER, PASSWORD)
    store.add("val", "Val", Role.VIEWER, PASSWORD)
    return store


@pytest.fixture
def engine(settings, users):
    eng = Engine(settings, roles=users)
    eng.start()
    yield eng
    eng.stop()


def audit(engine: Engine, kind: str) -> list[tuple]:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT actor, message, data FROM events WHERE kind = ? ORDER BY id", [kind]
        ).fetchall()


def test_a_forged_roles_field_no_longer_exists():
    with pytest.raises(ValidationError):
        ResetKillSwitch(actor="tom", roles=("admin",))
    with pytest.raises(ValidationError):
        TripKillSwitch(actor="val", reason="x", roles=("trader",))


def test_every_command_says_who_may_send_it():
    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    for command in every(Command):
        assert "required_role" in vars(command) or command.required_role is Role.ADMIN, command


def test_an_unknown_actor_is_refused_and_recorded(engine):
    reply = engine.submit(Ping(actor="mallory", payload="x")).result(5)
    assert not reply.ok and reply.code == "desk.forbidden"
    assert "not a user" in reply.message
    rows = eventually(lambda: audit(engine, "audit.forbidden"))
    assert rows[0][0] == "mallory"


def test_a_trader_cannot_send_an_admin_command(engine):
    reply = engine.submit(SaveRiskConfig(actor="tom", config={"max_open_positions": 1})).result(5)
    assert not reply.ok and reply.code == "desk.forbidden"
    assert "tom is a trader" in reply.message
    reply = engine.submit(ResetKillSwitch(actor="tom")).result(5)
    assert reply.code == "desk.forbidden"


def test_a_role_change_counts_from_the_next_command(engine, users):
    assert engine.submit(Ping(actor="val")).result(5).ok
    users.set_disabled("val", True)
    assert engine.submit(Ping(actor="val")).result(5).code == "desk.forbidden"


def test_a_login_record_needs_no_user_and_lands_in_the_audit_trail(engine):
    engine.submit(RecordLogin(actor=USER_UNKNOWN, outcome="failed", method="password",
                              address="10.1.2.3")).result(5)  # fmt: skip
    engine.submit(RecordLogin(actor="ada", outcome="succeeded", method="password",
                              address="127.0.0.1")).result(5)  # fmt: skip
    rows = eventually(
        lambda: len(audit(engine, "audit.login")) == 2 and audit(engine, "audit.login")
    )
    (who1, message1, data1), (who2, message2, _) = rows
    assert who1 == USER_UNKNOWN and "10.1.2.3" in message1 and '"outcome":"failed"' in data1
    assert who2 == "ada" and "succeeded" in message2
