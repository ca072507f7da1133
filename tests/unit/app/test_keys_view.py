"""What Settings says about a key's permissions, and the plain warnings about dangerous ones."""

from app.keys_view import (
    NO_IP_RESTRICTION,
    UNKNOWN_RESTRICTIONS,
    WITHDRAWALS,
    key_warnings,
    permission_rows,
)

SAFE = {"ip_restricted": True, "reading": True, "spot_and_margin_trading": True,
        "futures": True, "margin": False, "withdrawals": False, "internal_transfer": False,
        "universal_transfer": False, "options": False}  # fmt: skip


def permissions(**restrictions) -> dict:
    return {"spot_trade": True, "withdraw": True, "deposit": True, "account_type": "SPOT",
            "futures_trade": True, "restrictions": {**SAFE, **restrictions}}  # fmt: skip


def test_a_trade_only_ip_restricted_key_gets_no_warning():
    assert key_warnings(permissions()) == []
    rows = dict(permission_rows(permissions()).itertuples(index=False))
    assert rows["Key: withdrawals"] == "no" and rows["Key: restricted to trusted IPs"] == "yes"
    assert rows["Account: withdrawals"] == "yes"  # the account's ability, not the key's


def test_a_key_that_can_withdraw_or_transfer_is_warned_about():
    assert key_warnings(permissions(withdrawals=True)) == [WITHDRAWALS]
    assert key_warnings(permissions(universal_transfer=True)) == [WITHDRAWALS]


def test_a_key_without_ip_restriction_is_warned_about():
    assert key_warnings(permissions(ip_restricted=False)) == [NO_IP_RESTRICTION]
    both = key_warnings(permissions(ip_restricted=False, withdrawals=True))
    assert both == [WITHDRAWALS, NO_IP_RESTRICTION]


def test_when_the_exchange_does_not_say_the_page_says_so():
    unknown = {"spot_trade": True, "withdraw": False, "deposit": True, "account_type": "SPOT",
               "restrictions_note": "HTTP 404"}  # fmt: skip
    assert key_warnings(unknown) == [UNKNOWN_RESTRICTIONS.format(note="HTTP 404")]
    assert dict(permission_rows(unknown).itertuples(index=False))["Key: withdrawals"] == "-"
