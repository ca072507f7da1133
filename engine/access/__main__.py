"""`python -m engine.access hash`: a bcrypt hash of a password, for users kept in the secrets
(`[tradedesk.users.<name>] password_hash = "..."` on Streamlit Community Cloud)."""

from __future__ import annotations

import argparse
import getpass
import sys

from engine.access.passwords import hash_password, password_problem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.access", description=__doc__)
    parser.add_argument("action", choices=["hash"])
    parser.parse_args(argv)
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Again: "):
        print("The two passwords differ.", file=sys.stderr)
        return 2
    if (problem := password_problem(password)) is not None:
        print(problem, file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
