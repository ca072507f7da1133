"""The desk is not open to the network by default and shows no tracebacks in the browser."""

from __future__ import annotations

import ast
import tomllib

from streamlit import config as st_config

from tests.conftest import REPO_ROOT

CONFIG = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())


def test_every_option_set_is_one_streamlit_knows():
    known = set(st_config._config_options_template)
    options = {f"{section}.{name}" for section, values in CONFIG.items() for name in values}
    assert options <= known, options - known


def test_the_server_binds_to_loopback_and_accepts_only_local_host_names():
    assert CONFIG["server"]["address"] == "127.0.0.1"
    assert set(CONFIG["server"]["allowedHosts"]) == {"localhost", "127.0.0.1", "::1"}


def test_the_browser_gets_no_error_details():
    value = CONFIG["client"]["showErrorDetails"]
    assert value == st_config.ShowErrorDetailsConfigOptions.NONE.value == "none"


def test_the_favicon_is_a_file_of_the_app_not_a_font_icon():
    tree = ast.parse((REPO_ROOT / "desk_ui.py").read_text())
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "set_page_config"
    ]  # fmt: skip
    (icon,) = [k.value for c in calls for k in c.keywords if k.arg == "page_icon"]
    assert isinstance(icon, ast.Name) and icon.id == "FAVICON"
    favicon = REPO_ROOT / "app" / "assets" / "favicon.png"
    assert favicon.read_bytes().startswith(b"\x89PNG")
