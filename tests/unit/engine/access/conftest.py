import pytest

from engine.access import passwords


@pytest.fixture(autouse=True)
def quick_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt's cost is not what these tests are about: 4 rounds instead of 12."""
    monkeypatch.setattr(passwords, "ROUNDS", 4)
