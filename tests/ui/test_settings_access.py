"""Settings: keys sealed in the vault, users managed by an admin, and the gate before live.

The "live" exchange is a second simulator (app.runtime.exchange_endpoints is pointed at it):
no test reaches a real Binance host.
"""

import json

import pytest

from app import acting, environment, tokens_admin, users_admin
from app.runtime import get_engine, get_tokens, get_users
from engine import commands
from engine.access.roles import Role
from engine.commands import StoreApiKey
from engine.models import Environment
from simulator.server import SimulatorThread
from tests.helpers import eventually
from tests.ui.conftest import PASSWORD, USERS, log_in, logged_in, open_app, principal, store_key
from tests.ui.desk_fixtures import db

KEY, SECRET = "testnetkey" + "k" * 54, "testnetsecret" + "s" * 51


def key_table(at):
    return next(d.value for d in at.dataframe if "source" in d.value.columns)


def test_without_a_passphrase_no_key_is_stored_and_the_page_says_how(app_env):
    at = open_app("app_pages/settings.py")
    assert any("TRADEDESK_MASTER_KEY" in w.value for w in at.warning)
    assert at.button(key="FormSubmitter:key_store-Store encrypted").disabled


def test_a_key_is_stored_encrypted_shown_masked_and_audited_without_itself(vault_env):
    at = open_app("app_pages/settings.py")
    store_key(at, "testnet", KEY, SECRET, password="not my password")
    assert any("Wrong password" in e.value for e in at.error)
    assert not (vault_env / "vault.json").exists()
    store_key(at, "testnet", KEY, SECRET)
    assert any("is stored, encrypted" in s.value for s in at.success), [e.value for e in at.error]
    vault = json.loads((vault_env / "vault.json").read_text())
    assert list(vault["entries"]) == ["testnet"]
    row = key_table(at).set_index("environment").loc["testnet"]
    assert row["source"] == "the encrypted vault" and row["key"] == f"{KEY[:4]}…{KEY[-4:]}"
    audited = eventually(lambda: db("SELECT actor, message, data FROM events "
                                    "WHERE kind = 'audit.keys'"))  # fmt: skip
    assert audited[0][0] == USERS[Role.ADMIN]
    assert all(KEY not in str(r) and SECRET not in str(r) for r in audited)


def test_an_admin_adds_a_user_changes_their_role_and_disables_them(app_env):
    at = open_app("app_pages/settings.py")
    at.text_input(key="user_add_name").input("tess")
    at.text_input(key="user_add_full").input("Tess Trader")
    at.selectbox(key="user_add_role").select("trader")
    at.text_input(key="user_add_pw").input("tess's long password")
    at.text_input(key="user_add_admin_pw").input(PASSWORD)
    at.button(key="FormSubmitter:user_add-Add the user").click().run()
    assert get_users().role_of("tess") is Role.TRADER, [e.value for e in at.error]
    for action, expected in (("change role", Role.VIEWER), ("disable", None)):
        at.selectbox(key="user_change_name").select("tess")
        at.selectbox(key="user_change_action").select(action)
        at.selectbox(key="user_change_role").select("viewer")
        at.text_input(key="user_change_admin_pw").input(PASSWORD)
        at.button(key="FormSubmitter:user_change-Apply").click().run()
        assert get_users().role_of("tess") is expected
    sql = "SELECT data FROM events WHERE kind = 'audit.users' ORDER BY id"
    changes = eventually(lambda: len(db(sql)) >= 3 and db(sql))
    assert [json.loads(d)["change"] for (d,) in changes] == ["created", "role", "disabled"]


def test_the_last_admin_cannot_be_disabled_or_demoted(app_env):
    at = open_app("app_pages/settings.py")
    for action in ("disable", "change role"):
        at.selectbox(key="user_change_name").select(USERS[Role.ADMIN])
        at.selectbox(key="user_change_action").select(action)
        at.selectbox(key="user_change_role").select("viewer")
        at.text_input(key="user_change_admin_pw").input(PASSWORD)
        at.button(key="FormSubmitter:user_change-Apply").click().run()
        assert any("last admin" in e.value for e in at.error)
    assert get_users().role_of(USERS[Role.ADMIN]) is Role.ADMIN


def test_a_reset_password_ends_that_users_sessions(app_env):
    viewer = open_app("app_pages/status.py", role=Role.VIEWER)
    at = open_app("app_pages/settings.py")
    at.selectbox(key="user_change_name").select(USERS[Role.VIEWER])
    at.selectbox(key="user_change_action").select("reset password")
    at.text_input(key="user_change_pw").input("a brand new password")
    at.text_input(key="user_change_admin_pw").input(PASSWORD)
    at.button(key="FormSubmitter:user_change-Apply").click().run()
    viewer.run()
    assert not logged_in(viewer)
    viewer.run()
    assert log_in(viewer, USERS[Role.VIEWER], "a brand new password") and logged_in(viewer)


# --- the live gate: one test per condition, then all of them ---------------------------------

CONDITIONS = ["admin", "stored live key", "passed connection test", "password", "confirmation"]


def prepare(live: SimulatorThread, missing: str | None) -> tuple[acting.Principal, str, str]:
    admin = principal(Role.ADMIN)
    engine, users = get_engine(), get_users()
    if missing != "stored live key":
        store = StoreApiKey(actor=admin.username, environment=Environment.LIVE,
                            api_key=live.api_key.key, api_secret=live.api_key.secret)  # fmt: skip
        assert acting.act(engine, users, admin, store, password=PASSWORD).ok
    if missing not in ("stored live key", "passed connection test"):
        tested = commands.TestKeys(actor=admin.username, environment=Environment.LIVE)
        reply = acting.act(engine, users, admin, tested, timeout=30)
        assert reply.ok, reply.message
    who = principal(Role.TRADER) if missing == "admin" else admin
    password = "not my password" if missing == "password" else PASSWORD
    confirmation = "" if missing == "confirmation" else environment.LIVE_CONFIRMATION
    return who, password, confirmation


@pytest.mark.parametrize("missing", CONDITIONS)
def test_going_live_is_refused_without(live_sim, missing):
    who, password, confirmation = prepare(live_sim, missing)
    running = get_engine()
    problem = environment.switch(who, Environment.LIVE, password, confirmation)
    assert problem, f"went live without: {missing}"
    assert environment.current_mode() is Environment.SIM
    assert get_engine() is running  # not even restarted


def test_with_every_condition_the_desk_goes_live_once_and_every_session_is_told(live_sim):
    other = open_app("app_pages/status.py", role=Role.VIEWER)  # open before the switch
    who, password, confirmation = prepare(live_sim, None)
    assert environment.switch(who, Environment.LIVE, password, confirmation) is None
    assert environment.current_mode() is Environment.LIVE
    assert get_engine().component("venue").rest.endpoints.environment is Environment.LIVE
    assert environment.switch(who, Environment.LIVE, password, confirmation) is None  # no-op
    other.run()
    assert any("switched the desk from sim to LIVE" in w.value for w in other.warning)
    at = open_app("app_pages/status.py")
    assert any(":red-badge[" in m.value and "LIVE" in m.value for m in at.markdown)
    assert any("real money" in e.value for e in at.error)
    assert environment.switch(who, Environment.SIM, PASSWORD) is None
    assert environment.current_mode() is Environment.SIM
    sql = (
        "SELECT message FROM events WHERE kind = 'audit.environment' AND data LIKE '%\"ok\":true%'"
    )
    audited = eventually(lambda: db(sql))
    assert len(audited) >= 2


def test_user_and_token_changes_refuse_a_non_admin_and_a_wrong_password_and_change_nothing(
    app_env,
):
    trader, admin = principal(Role.TRADER), principal(Role.ADMIN)
    for who, password, code in ((trader, PASSWORD, acting.FORBIDDEN),
                                (admin, "not my password", acting.PASSWORD_REFUSED)):  # fmt: skip
        disabled = users_admin.set_disabled(who, password, trader.username, True)
        assert (disabled.ok, disabled.code) == (False, code), disabled
        reply, text = tokens_admin.create_token(who, password, trader.username, Role.TRADER,
                                                "bot", 30)  # fmt: skip
        assert (reply.ok, reply.code, text) == (False, code, None), reply
        assert "othing was changed" in disabled.message and "othing was changed" in reply.message
    assert get_users().role_of(trader.username) is Role.TRADER  # still enabled
    assert get_tokens().tokens() == []
    reply, text = tokens_admin.create_token(admin, PASSWORD, trader.username, Role.TRADER,
                                            "bot", 30)  # fmt: skip
    assert reply.ok and text, reply
