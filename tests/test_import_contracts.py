"""The layering rules of design.md section 2, checked by import-linter on every test run."""

import subprocess
import sys

from tests.conftest import REPO_ROOT

LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(no_cache=True, no_logo=True))"
)


def test_import_contracts_hold():
    result = subprocess.run(
        [sys.executable, "-c", LINT],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
