"""Alerts: where they go (channels), when they fire (rules), and what was sent (deliveries)."""

import streamlit as st

from app import auth, monitor_queries
from app.components.alert_settings import channel_list, rule_forms
from app.components.feedback import last_reply
from app.components.incidents import incident_history
from engine.access.roles import Role

st.title("Alerts")
last_reply()
is_admin = auth.may(Role.ADMIN)

st.subheader("Channels")
channel_list(can_edit=is_admin)

st.subheader("Rules")
rule_forms(can_edit=is_admin)

st.subheader("Deliveries")
st.caption("Every attempt to send an alert or a test, newest first; failures say why.")
st.dataframe(monitor_queries.deliveries(), hide_index=True, width="stretch")

st.subheader("Incidents")
incident_history()
