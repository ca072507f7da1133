"""Passwords: bcrypt hashes, and what a password must be.

streamlit-authenticator strips the password it checks and lowercases the user name, so a
password with spaces at either end and a user name with capitals are refused when they are set,
rather than never matching later. bcrypt reads at most 72 bytes, so longer ones are refused too.
"""

from __future__ import annotations

import re

import bcrypt

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt's limit
ROUNDS = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used; None when it can."""
    if password != password.strip():
        return "A password may not start or end with a space."
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    if len(password.encode()) > MAX_BYTES:
        return f"A password may have at most {MAX_BYTES} bytes."
    return None


def username_problem(username: str) -> str | None:
    if not USERNAME.match(username):
        return (
            "A user name is 2 to 32 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return None


def hash_password(password: str) -> str:
    """A bcrypt hash of `password` (check it with `password_problem` first)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(ROUNDS)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches; False for a wrong, too long or malformed one."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False
