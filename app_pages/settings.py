"""Settings (admins only): the exchange environment, API keys, users, API tokens and, in sim
mode, the simulator's balances and reset."""

import streamlit as st

from app import auth, sim_controls
from app.components.environment_panel import environment_panel
from app.components.feedback import last_reply
from app.components.key_admin import keys_panel
from app.components.sim_panel import sim_panel
from app.components.token_admin import tokens_panel
from app.components.user_admin import users_panel
from engine.access.roles import Role

st.title("Settings")
admin = auth.principal()
if admin is None or not admin.role.includes(Role.ADMIN):
    st.error("Settings take the admin role.")
    st.stop()
last_reply()
environment_panel(admin)
keys_panel()
users_panel(admin)
tokens_panel(admin)
if sim_controls.available():
    sim_panel()
