"""Delivery from the channel workers: retries with back-off, every attempt reported, and a
slow channel that holds nobody else up (real apprise, local receivers)."""

from __future__ import annotations

import threading

from engine.monitor.channels import Channel, check_url
from engine.monitor.delivery import Attempt, Dispatcher, RetryPolicy, Target
from engine.monitor.incidents import NoticeKind
from engine.monitor.messages import Message
from engine.monitor.rules import Severity
from tests.alert_receivers import smtp_server, webhook
from tests.helpers import eventually

FAST = RetryPolicy(attempts=3, first_wait_s=0.05, max_wait_s=0.2)


def target(channel_id: str, url: str, min_severity: Severity = Severity.INFO) -> Target:
    checked = check_url(url)
    channel = Channel(
        id=channel_id,
        name=channel_id,
        service=checked.service,
        masked_url=checked.masked,
        min_severity=min_severity,
        sealed=checked.has_secret,
    )
    return Target(channel, url)


def message(severity: Severity = Severity.WARNING, title: str = "t") -> Message:
    return Message(title, "body", severity, 1, NoticeKind.OPENED)


class Attempts:
    def __init__(self) -> None:
        self.seen: list[Attempt] = []
        self._lock = threading.Lock()

    def __call__(self, attempt: Attempt) -> None:
        with self._lock:
            self.seen.append(attempt)


def test_a_message_reaches_a_webhook_and_a_mailbox_once_each():
    attempts = Attempts()
    dispatcher = Dispatcher(attempts, FAST)
    with webhook() as hook, smtp_server() as box:
        dispatcher.configure([target("hook", hook.url), target("mail", box.url)])
        try:
            assert sorted(dispatcher.send(message(title="Kill switch tripped"))) == ["hook", "mail"]
            eventually(lambda: len(attempts.seen) == 2, timeout=10, what="both sent")
        finally:
            dispatcher.close()
        assert hook.titles() == ["Kill switch tripped"]
        assert box.subjects() == ["Kill switch tripped"] and box.body(0).strip() == "body"
    assert all(a.ok and a.attempt == 1 for a in attempts.seen)


def test_a_failing_channel_is_retried_and_every_attempt_is_reported():
    attempts = Attempts()
    dispatcher = Dispatcher(attempts, FAST)
    with webhook() as hook:
        hook.status = 500
        dispatcher.configure([target("hook", hook.url)])
        try:
            dispatcher.send(message())
            eventually(lambda: len(attempts.seen) == 3, timeout=10, what="three attempts")
            hook.status = 200
            dispatcher.send(message())
            eventually(lambda: len(attempts.seen) == 4, timeout=10, what="the next one sent")
        finally:
            dispatcher.close()
    assert [(a.attempt, a.ok) for a in attempts.seen] == [
        (1, False),
        (2, False),
        (3, False),
        (1, True),
    ]
    assert "500" in attempts.seen[0].error


def test_severity_thresholds_pick_the_channels():
    attempts = Attempts()
    dispatcher = Dispatcher(attempts, FAST)
    with webhook() as chat, webhook() as sms:
        dispatcher.configure(
            [target("chat", chat.url, Severity.INFO), target("sms", sms.url, Severity.CRITICAL)]
        )
        try:
            assert dispatcher.send(message(Severity.WARNING)) == ["chat"]
            assert sorted(dispatcher.send(message(Severity.CRITICAL))) == ["chat", "sms"]
            eventually(lambda: len(attempts.seen) == 3, timeout=10, what="three sent")
        finally:
            dispatcher.close()
        assert len(chat.received) == 2 and len(sms.received) == 1


def test_a_slow_channel_neither_blocks_the_sender_nor_the_other_channels():
    attempts = Attempts()
    dispatcher = Dispatcher(attempts, FAST)
    with webhook() as slow, webhook() as quick:
        slow.delay_s = 30  # released when the receiver closes
        slow_url = slow.url + "?rto=1&cto=1"
        dispatcher.configure([target("slow", slow_url), target("quick", quick.url)])
        try:
            for _ in range(20):  # were a send to wait for the slow channel, this took 20 s+
                dispatcher.send(message())
            eventually(lambda: len(quick.received) == 20, timeout=10, what="quick got all")
            assert slow.received == []
        finally:
            dispatcher.close(timeout_s=5)
    assert any(a.channel_id == "slow" and not a.ok for a in attempts.seen)
