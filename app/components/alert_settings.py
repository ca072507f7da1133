"""The Alerts page's forms: channels (add, change, test, remove) and each rule's settings.

Channel URLs are typed into a password field and go straight into a command: they are never
kept in session state, and the page shows only apprise's masked form.
"""

from __future__ import annotations

import streamlit as st

from app import alert_commands, monitor_queries
from app.components.feedback import show_reply
from app.text import plain
from engine.monitor.channels import Channel
from engine.monitor.rules import RULES, RuleSpec, Severity

SEVERITIES = [s.value for s in Severity]
URL_HELP = (
    "An apprise URL: slack://TokenA/TokenB/TokenC, discord://WebhookID/Token, "
    "tgram://BotToken/ChatID, mailto://user:password@smtp.example.com?to=you@example.com, "
    "json://host:port/path for any webhook, or an SMS gateway's URL. A URL with a token or a "
    "password is kept only in the encrypted vault."
)


def channel_list(can_edit: bool) -> None:
    channels = monitor_queries.channels()
    if not channels:
        st.info("No channel yet: alerts are only shown here and on Status.")
    for channel in channels:
        _channel(channel, can_edit)
    if can_edit:
        with st.expander("Add a channel", icon=":material/add:"):
            _channel_form(None)


def _channel(channel: Channel, can_edit: bool) -> None:
    with st.container(border=True):
        state = "on" if channel.enabled else "off"
        kept = "URL in the vault" if channel.sealed else "URL in the database (no secret in it)"
        st.markdown(
            f"**{plain(channel.name)}** · {plain(channel.service)} · "
            f"{channel.min_severity} and above · {state}"
        )
        st.caption(f"{plain(channel.masked_url, limit=160)} · {kept}")
        if not can_edit:
            return
        test, remove, _ = st.columns([1, 1, 4])
        if test.button("Send test", key=f"test_{channel.id}"):
            show_reply(alert_commands.send_test(channel.id), success_toast=True)
        if remove.button("Remove", key=f"remove_{channel.id}"):
            show_reply(alert_commands.remove_channel(channel.id), success_toast=True)
            st.rerun()
        with st.expander("Change"):
            _channel_form(channel)


def _channel_form(channel: Channel | None) -> None:
    key = channel.id if channel else "new"
    with st.form(f"channel_{key}", clear_on_submit=True):
        name = st.text_input("Name", value=channel.name if channel else "", max_chars=60)
        url = st.text_input(
            "apprise URL" + (" (empty: keep the current one)" if channel else ""),
            type="password",
            help=URL_HELP,
            max_chars=2000,
        )
        severity = st.selectbox(
            "Send alerts of this severity and above",
            SEVERITIES,
            index=SEVERITIES.index(channel.min_severity if channel else Severity.WARNING),
        )
        enabled = st.checkbox("On", value=channel.enabled if channel else True)
        if st.form_submit_button("Save channel"):
            reply = alert_commands.save_channel(
                channel.id if channel else None, name, url, Severity(severity), enabled
            )
            show_reply(reply, success_toast=True)
            st.rerun()  # the answer shows at the top of the page (last_reply)


def rule_forms(can_edit: bool) -> None:
    st.dataframe(monitor_queries.rules_table(), hide_index=True, width="stretch")
    if not can_edit:
        st.caption("Only an admin changes the rules.")
        return
    settings = monitor_queries.rule_settings()
    for rule, spec in RULES.items():
        with st.expander(spec.title):
            _rule_form(spec, settings[rule].enabled, settings[rule].severity, settings[rule].params)


def _rule_form(spec: RuleSpec, enabled: bool, severity: Severity, params: dict[str, float]) -> None:
    with st.form(f"rule_{spec.id}"):
        st.caption(spec.description)
        on = st.checkbox("On", value=enabled)
        level = st.selectbox("Severity", SEVERITIES, index=SEVERITIES.index(severity))
        values = {
            name: st.number_input(
                f"{name} ({param.unit})",
                min_value=float(param.low),
                max_value=float(param.high),
                value=float(params[name]),
                help=param.help,
            )
            for name, param in spec.params.items()
        }
        if st.form_submit_button("Save rule"):
            show_reply(
                alert_commands.save_rule(spec.id, on, Severity(level), values), success_toast=True
            )
            st.rerun()
