"""The Alerts page and the Status page's alerts, through AppTest on the real engine: a channel
added, tested and listed masked; a URL with a secret refused without a vault; a rule changed;
an incident shown on Status and acknowledged there."""

from __future__ import annotations

from app import monitor_queries
from app.runtime import get_engine
from engine.commands import TripKillSwitch
from engine.monitor.commands import SaveAlertRule
from engine.monitor.rules import Severity
from tests.alert_receivers import webhook
from tests.helpers import eventually
from tests.ui.conftest import open_app
from tests.ui.desk_fixtures import act, button, db, shown

PAGE = "app_pages/alerts.py"


def _add_channel(at, name: str, url: str) -> None:
    form = "channel_new"
    [name_input, url_input] = [t for t in at.text_input if t.form_id == form]
    name_input.input(name)
    url_input.input(url)
    at.button(key=f"FormSubmitter:{form}-Save channel").click().run()


def test_a_channel_is_added_tested_and_shown_masked(app_env):
    at = open_app(PAGE)
    with webhook() as hook:
        _add_channel(at, "ops hook", hook.url)
        assert not at.exception
        assert any("Channel ops hook saved" in shown(s.value) for s in at.success)
        [channel] = monitor_queries.channels()
        assert channel.name == "ops hook" and not channel.sealed
        button(at, "Send test").click().run()
        eventually(
            lambda: hook.titles() == ["[tradedesk sim] Test: ops hook"],
            timeout=15,
            what="the test message",
        )
        eventually(
            lambda: db("SELECT ok FROM alert_deliveries") == [(True,)],
            timeout=10,
            what="the attempt recorded",
        )
        at.run()
        deliveries = next(d.value for d in at.dataframe if "attempt" in d.value.columns)
        assert list(deliveries["kind"]) == ["test"] and bool(deliveries["ok"].iloc[0])


def test_a_url_with_a_secret_is_refused_without_a_vault_and_nothing_is_kept(app_env):
    at = open_app(PAGE)
    token = "TIiajkdnlazkcOXrIdevi7FQ"
    _add_channel(at, "team slack", f"slack://T1JJ3T3L2/A1BRTD4JD/{token}")
    refusals = [shown(e.value) for e in at.error]
    assert any("carries a secret" in r and "TRADEDESK_MASTER_KEY" in r for r in refusals)
    assert monitor_queries.channels() == []
    assert token not in str(at.session_state.to_dict())
    _add_channel(at, "typo", "slak://T1JJ3T3L2")
    assert any("apprise does not understand this URL" in shown(e.value) for e in at.error)


def test_a_rule_is_changed_and_a_bad_value_is_refused_by_the_engine(app_env):
    at = open_app(PAGE)
    bad = SaveAlertRule(actor="ada", rule="weight_high", enabled=True, severity=Severity.WARNING,
                        params={"share_pct": 150})  # fmt: skip
    reply = get_engine().submit(bad).result(15)
    assert not reply.ok and "between 1 and 100" in reply.message
    form = "rule_weight_high"
    share = next(n for n in at.number_input if n.form_id == form and "share_pct" in n.label)
    share.set_value(60.0)
    at.button(key=f"FormSubmitter:{form}-Save rule").click().run()
    assert not at.exception
    assert monitor_queries.rule_settings()["weight_high"].param("share_pct") == 60
    rules = next(d.value for d in at.dataframe if "rule" in d.value.columns)
    assert "share_pct 60 %" in rules.set_index("rule").loc["Request weight high", "settings"]


def test_an_incident_shows_on_status_and_is_acknowledged_there(app_env):
    open_app()
    act(TripKillSwitch(actor="ada", reason="alerts check"))
    eventually(
        lambda: not monitor_queries.open_incidents().empty, timeout=15, what="the incident stored"
    )
    at = open_app("app_pages/status.py")
    assert not at.exception
    assert any("CRITICAL" in m.value and "Kill switch tripped" in m.value for m in at.markdown)
    button(at, "Acknowledge").click().run()
    [incident] = monitor_queries.open_incidents().to_dict("records")
    assert incident["acknowledged_by"] == "ada"
    assert not [b for b in at.button if b.label == "Acknowledge"]
