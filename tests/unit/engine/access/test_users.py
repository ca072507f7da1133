"""The user store: roles for the engine, lockout after five failures, owner-only file, no
default password, and never without an enabled admin."""

import stat

import pytest

from engine.access.lockout import LOCK_MS, MAX_FAILURES, LoginState, after_failure
from engine.access.roles import Role, refusal
from engine.access.users import UserError, UserStore, users_from_secrets

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(tmp_path, clock) -> UserStore:
    store = UserStore(tmp_path / "data" / "users.json", clock=clock)
    store.create_first_admin("ada", "Ada", PASSWORD)
    return store


def test_roles_include_the_ones_below():
    assert Role.ADMIN.includes(Role.TRADER) and Role.TRADER.includes(Role.VIEWER)
    assert not Role.VIEWER.includes(Role.TRADER) and not Role.TRADER.includes(Role.ADMIN)
    assert Role.TRADER.names() == {"viewer", "trader"}
    assert refusal("x", Role.VIEWER, None) is not None  # unknown actor
    assert refusal("t", Role.ADMIN, Role.TRADER) is not None
    assert refusal("a", Role.ADMIN, Role.ADMIN) is None
    assert refusal("?", None, None) is None  # a login record needs no user


def test_the_file_is_owner_only_and_holds_no_password(users, tmp_path):
    path = tmp_path / "data" / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert PASSWORD not in text and "$2b$" in text  # a bcrypt hash only


def test_the_first_admin_is_one_time_and_roles_come_from_the_store(users, tmp_path):
    with pytest.raises(UserError, match="already has users"):
        users.create_first_admin("eve", "Eve", PASSWORD)
    users.add("tom", "Tom", Role.TRADER, PASSWORD)
    assert users.role_of("ada") is Role.ADMIN and users.role_of("tom") is Role.TRADER
    assert users.role_of("nobody") is None
    users.set_disabled("tom", True)
    assert users.role_of("tom") is None  # a disabled user is nobody to the engine
    # another process (or store) sees the change on disk
    assert UserStore(tmp_path / "data" / "users.json").role_of("ada") is Role.ADMIN


def test_weak_or_odd_passwords_and_names_are_refused(users):
    for name, password in [("bob", "short"), ("bob", " padded password "), ("Bob", PASSWORD),
                           ("b", PASSWORD), ("bob", "x" * 73)]:  # fmt: skip
        with pytest.raises(UserError):
            users.add(name, name, Role.VIEWER, password)


def test_never_without_an_enabled_admin(users):
    with pytest.raises(UserError, match="last admin"):
        users.set_role("ada", Role.TRADER)
    with pytest.raises(UserError, match="last admin"):
        users.set_disabled("ada", True)
    users.add("bea", "Bea", Role.ADMIN, PASSWORD)
    users.set_role("ada", Role.VIEWER)  # now there is another admin
    assert users.role_of("ada") is Role.VIEWER


def test_five_failures_lock_for_fifteen_minutes_and_it_is_persisted(users, clock, tmp_path):
    for attempt in range(1, MAX_FAILURES):
        state = users.record_failure("ada")
        assert state == LoginState(attempt, None)
    state = users.record_failure("ada")
    assert state.locked(clock.now) and state.locked_until_ms == clock.now + LOCK_MS
    again = UserStore(tmp_path / "data" / "users.json", clock=clock)  # after a restart
    assert again.login_state("ada").locked(clock.now)
    assert again.record_failure("ada") == state  # attempts while locked do not extend it
    clock.now += LOCK_MS
    assert not again.login_state("ada").locked(clock.now)
    assert again.record_failure("ada") == LoginState(1, None)  # the count starts again
    again.record_success("ada")
    assert again.login_state("ada") == LoginState()


def test_a_failure_for_no_such_user_counts_nothing(users):
    assert users.record_failure("mallory") == LoginState()
    assert users.get("mallory") is None


def test_lockout_policy_is_pure():
    state = LoginState()
    for _ in range(MAX_FAILURES):
        state = after_failure(state, 0)
    assert state.locked(LOCK_MS - 1) and not state.locked(LOCK_MS)


def test_a_password_change_or_a_logout_ends_sessions(users, clock):
    assert users.sessions_valid_from_ms("ada") == 0
    clock.now += 10
    users.end_sessions("ada")
    assert users.sessions_valid_from_ms("ada") == clock.now
    clock.now += 10
    users.set_password("ada", "another long password")
    assert users.sessions_valid_from_ms("ada") == clock.now
    assert users.check_password("ada", "another long password")
    assert not users.check_password("ada", PASSWORD)


def test_users_from_secrets_are_read_only(tmp_path):
    from engine.access.passwords import hash_password

    seed = users_from_secrets(
        {"cloud": {"role": "admin", "password_hash": hash_password(PASSWORD)}}
    )
    store = UserStore(tmp_path / "users.json", seed)
    assert store.role_of("cloud") is Role.ADMIN and store.check_password("cloud", PASSWORD)
    with pytest.raises(UserError, match="secrets"):
        store.set_role("cloud", Role.VIEWER)
    assert store.record_failure("cloud").failures == 1  # lockout still counts for them
    with pytest.raises(UserError):
        users_from_secrets({"bad": {"role": "emperor", "password_hash": "x"}})
