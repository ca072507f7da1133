"""Channel URLs: apprise's own reading decides what is a secret; pages see the masked form."""

from __future__ import annotations

import pytest

from engine.monitor.channels import ChannelError, check_url, redact


def test_a_webhook_without_credentials_has_no_secret():
    checked = check_url("json://127.0.0.1:8080/hook")
    assert checked.service == "JSON" and not checked.has_secret
    assert checked.masked.startswith("json://127.0.0.1:8080/hook")


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "TIiajkdnlazkcOXrIdevi7FQ"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "JHMHI8qBe7bk2ZwO5U711o3dV_js"),
        ("tgram://123456789:abcdefg_hijklmnop/12315544/", "abcdefg_hijklmnop"),
        ("mailto://ops:hunter2pass@smtp.example.com?to=desk@example.com", "hunter2pass"),
    ],
)
def test_tokens_and_passwords_are_secrets_and_never_in_the_masked_form(url, secret):
    checked = check_url(url)
    assert checked.has_secret
    assert secret not in checked.masked


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "The channel URL is empty"),
        ("nope://somewhere", r"apprise does not understand this URL \(scheme 'nope'\)"),
        ("json://" + "a" * 3000, "longer than 2000 characters"),
    ],
)
def test_an_unusable_url_is_refused_saying_why(url, words):
    with pytest.raises(ChannelError, match=words):
        check_url(url)


def test_a_failure_text_loses_every_private_part_of_the_url():
    url = "mailto://ops:hunter2pass@smtp.example.com?to=desk@example.com"
    text = "Authentication failed for ops:hunter2pass at smtp.example.com"
    cleaned = redact(text, url)
    assert "hunter2pass" not in cleaned and "smtp.example.com" in cleaned
