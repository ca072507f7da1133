"""Rule settings are checked against each rule's bounds, with words that say what is allowed."""

from __future__ import annotations

import math

import pytest

from engine.monitor.rules import RULES, RuleKind, RuleSettings, RuleSettingsError, checked_settings


def test_every_rule_the_issue_names_is_there_with_its_kind():
    kinds = {rule: spec.kind for rule, spec in RULES.items()}
    assert kinds == {
        "stream_stale": RuleKind.CONDITION,
        "circuit_open": RuleKind.CONDITION,
        "weight_high": RuleKind.CONDITION,
        "rate_limited": RuleKind.CONDITION,
        "kill_switch": RuleKind.CONDITION,
        "loss_limits": RuleKind.CONDITION,
        "liquidation_near": RuleKind.CONDITION,
        "clock_offset": RuleKind.CONDITION,
        "order_refused": RuleKind.EVENT,
        "order_filled": RuleKind.NOTICE,
        "task_restarted": RuleKind.EVENT,
    }


def test_defaults_fill_what_an_admin_leaves_out():
    settings = checked_settings("weight_high", True, "warning", {"clear_s": 0})
    assert settings.params == {"share_pct": 80, "for_s": 0, "clear_s": 0}
    assert RuleSettings.default(RULES["stream_stale"]).param("after_s") == 30


@pytest.mark.parametrize(
    ("rule", "params", "words"),
    [
        ("weight_high", {"share_pct": 150}, "share_pct must be between 1 and 100 %; 150 is not"),
        ("weight_high", {"share_pct": math.nan}, "share_pct must be between"),
        ("weight_high", {"after_s": 3}, "has no setting 'after_s'"),
        ("no_such_rule", {}, "There is no alert rule called 'no_such_rule'"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(rule, params, words):
    with pytest.raises(RuleSettingsError, match=words):
        checked_settings(rule, True, "warning", params)
