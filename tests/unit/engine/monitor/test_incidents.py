"""Incidents open once, group their repeats and resolve once, as each kind of rule says."""

from __future__ import annotations

from engine.monitor.conditions import Finding
from engine.monitor.incidents import IncidentBook, NoticeKind
from engine.monitor.rules import RULES, RuleSettings, Severity, checked_settings


def rule(name: str, **params: float) -> RuleSettings:
    return checked_settings(name, True, RULES[name].severity, params)


def test_a_condition_opens_once_and_resolves_once_after_it_clears():
    book, stale = IncidentBook(), rule("stream_stale", clear_s=5)
    bad = {"spot btcusdt@kline_1m": Finding("silent")}
    opened = book.observe(stale, bad, 0)
    assert [n.kind for n in opened] == [NoticeKind.OPENED]
    assert book.observe(stale, bad, 1000) == []  # still bad: no second message
    assert book.observe(stale, {}, 2000) == []  # clear, but not for clear_s yet
    assert book.observe(stale, bad, 3000) == []  # back: the same incident, no new message
    assert book.observe(stale, {}, 4000) == []
    resolved = book.observe(stale, {}, 9000)
    assert [n.kind for n in resolved] == [NoticeKind.RESOLVED]
    assert resolved[0].incident.id == opened[0].incident.id
    assert book.observe(stale, {}, 20_000) == [] and not book.open


def test_a_condition_must_hold_for_its_time_before_it_opens():
    book, offset = IncidentBook(), rule("clock_offset", for_s=10)
    skewed = {"": Finding("off by 2 s")}
    assert book.observe(offset, skewed, 0) == []
    assert book.observe(offset, {}, 5000) == []  # a blip: forgotten
    assert book.observe(offset, skewed, 6000) == []
    assert book.observe(offset, skewed, 15_000) == []
    assert [n.kind for n in book.observe(offset, skewed, 16_000)] == [NoticeKind.OPENED]


def test_repeats_are_counted_from_the_findings_tally():
    book, limited = IncidentBook(), rule("rate_limited")
    book.observe(limited, {"": Finding("429", tally=3)}, 0)
    book.observe(limited, {"": Finding("429", tally=7)}, 1000)
    incident = book.open[("rate_limited", "")]
    assert incident.count == 5  # the 3rd to the 7th answer


def test_a_worse_finding_raises_the_severity_it_opens_with():
    book = IncidentBook()
    notices = book.observe(rule("rate_limited"), {"": Finding("418", 1, Severity.CRITICAL)}, 0)
    assert notices[0].incident.severity is Severity.CRITICAL


def test_events_group_until_quiet_then_resolve():
    book, refused = IncidentBook(), rule("order_refused", quiet_s=60)
    first = book.happened(refused, "BTCUSDT desk.max_notional", Finding("too big"), 0)
    assert [n.kind for n in first] == [NoticeKind.OPENED]
    assert book.happened(refused, "BTCUSDT desk.max_notional", Finding("too big"), 30_000) == []
    assert book.expire(refused, 80_000) == []  # 50 s since the last one
    resolved = book.expire(refused, 90_000)
    assert [n.kind for n in resolved] == [NoticeKind.RESOLVED]
    assert resolved[0].incident.count == 2


def test_a_notice_says_nothing_until_its_group_closes():
    book, filled = IncidentBook(), rule("order_filled", quiet_s=5)
    assert book.happened(filled, "spot BTCUSDT td-1", Finding("1 fill"), 0) == []
    assert book.happened(filled, "spot BTCUSDT td-1", Finding("2 fills"), 1000) == []
    [notice] = book.expire(filled, 6000)
    assert notice.kind is NoticeKind.NOTICE and notice.incident.message == "2 fills"


def test_switching_a_rule_off_resolves_its_incidents_and_acknowledging_keeps_them_open():
    book, switch = IncidentBook(), rule("kill_switch")
    [opened] = book.observe(switch, {"": Finding("tripped")}, 0)
    acked = book.acknowledge(opened.incident.id, "alice", 10)
    assert acked is not None and acked.acknowledged_by == "alice" and acked.open
    assert book.acknowledge(999, "alice", 10) is None
    [resolved] = book.switch_off("kill_switch", 20)
    assert resolved.incident.resolution == "The rule was switched off."
    assert {i.id for i in book.take_changed()} == {opened.incident.id}
    assert book.take_changed() == []


def test_open_incidents_carry_over_a_restart_without_a_second_message():
    book, switch = IncidentBook(), rule("kill_switch")
    [opened] = book.observe(switch, {"": Finding("tripped")}, 0)
    restarted = IncidentBook(next_id=opened.incident.id + 1, open_incidents=[opened.incident])
    assert restarted.observe(switch, {"": Finding("tripped")}, 5000) == []
    assert restarted.observe(switch, {}, 20_000) == []
    assert [n.kind for n in restarted.observe(switch, {}, 30_000)] == [NoticeKind.RESOLVED]
