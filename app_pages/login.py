"""Log in (or, on a desk without users, create the first admin from this machine)."""

from app.login import login_page

login_page()
