"""The order journal: what is appended is read back; a torn last line is skipped."""

from pathlib import Path

from engine.store.journal import OrderJournal


def test_entries_come_back_in_order_and_survive_reopening(tmp_path: Path):
    journal = OrderJournal(tmp_path / "j" / "orders.journal")
    journal.append({"client_order_id": "a", "price": "1.5"})
    journal.append({"client_order_id": "b", "price": None})
    journal.close()
    reopened = OrderJournal(tmp_path / "j" / "orders.journal")
    assert [e["client_order_id"] for e in reopened.entries()] == ["a", "b"]
    reopened.close()


def test_a_line_torn_by_a_crash_is_skipped(tmp_path: Path):
    path = tmp_path / "orders.journal"
    journal = OrderJournal(path)
    journal.append({"client_order_id": "a"})
    journal.close()
    with path.open("ab") as f:
        f.write(b'{"client_order_id": "b", "pri')  # the process died mid-write
    assert [e["client_order_id"] for e in OrderJournal(path).entries()] == ["a"]


def test_truncate_empties_it_and_appending_goes_on(tmp_path: Path):
    journal = OrderJournal(tmp_path / "orders.journal")
    journal.append({"client_order_id": "a"})
    journal.truncate()
    assert list(journal.entries()) == []
    journal.append({"client_order_id": "c"})
    assert [e["client_order_id"] for e in journal.entries()] == ["c"]
    journal.close()
