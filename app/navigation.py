"""Which pages a session gets: by role, and only the login page before logging in.

The entry script hands `st.navigation` exactly these, on every run; a page not in a session's
registry is not served to it, whatever URL it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from engine.access.roles import Role

LOGIN_PAGE = "app_pages/login.py"


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    role: Role  # the least role that sees the page
    section: str
    default: bool = False


PAGES = (
    PageSpec("app_pages/orders.py", "Trade", ":material/swap_vert:", "trade", Role.VIEWER,
             "Trading", default=True),
    PageSpec("app_pages/pairs.py", "Pairs", ":material/list:", "pairs", Role.VIEWER, "Trading"),
    PageSpec("app_pages/portfolio.py", "Portfolio", ":material/account_balance_wallet:",
             "portfolio", Role.VIEWER, "Trading"),
    PageSpec("app_pages/risk.py", "Risk", ":material/shield:", "risk", Role.VIEWER, "Trading"),
    PageSpec("app_pages/strategies.py", "Strategies", ":material/smart_toy:", "strategies",
             Role.VIEWER, "Trading"),
    PageSpec("app_pages/status.py", "Status", ":material/monitor_heart:", "status", Role.VIEWER,
             "System"),
    PageSpec("app_pages/alerts.py", "Alerts", ":material/notifications:", "alerts", Role.VIEWER,
             "System"),
    PageSpec("app_pages/settings.py", "Settings", ":material/settings:", "settings", Role.ADMIN,
             "System"),
    PageSpec("app_pages/explore.py", "Explore", ":material/database:", "explore", Role.VIEWER,
             "System"),
)  # fmt: skip


def pages_for(role: Role) -> list[PageSpec]:
    return [spec for spec in PAGES if role.includes(spec.role)]


def registry(role: Role) -> dict[str, list[st.Page]]:
    """The pages `role` may use, by section."""
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(role):
        page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                       default=spec.default)  # fmt: skip
        sections.setdefault(spec.section, []).append(page)
    return sections


def login_urls() -> list[str]:
    """Where a visitor who is not logged in gets the login page: its own URL, and each page's so
    that a visitor who asks for /portfolio logs in there and then lands on it.

    The default page's URL too: Streamlit names a page by a hash of its URL, and a session that
    ends on the Trade page still has fragment runs in flight under that name. Were the login page
    under another name, those runs would count as a page change and the browser would clear the
    login form just drawn, leaving an empty page (seen with 1.67 under load)."""
    return ["login", *(spec.url_path for spec in PAGES)]


def login_registry() -> list[st.Page]:
    """A visitor who is not logged in gets the login page and nothing else (at `login_urls`)."""
    return [
        st.Page(LOGIN_PAGE, title="Log in", icon=":material/login:", url_path=url,
                default=url == "login")
        for url in login_urls()
    ]  # fmt: skip
