"""The one atomic-write helper (`shared.atomic`): readers see the old file or the new one, never half."""

import pytest

from shared.atomic import atomic_path, atomic_write


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    atomic_write(target, "new", durable=True)
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == [
        "table.csv"
    ]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "table.parquet"
    ]


def test_unique_temporaries_for_writers_of_the_same_target(tmp_path):
    target = tmp_path / "objects" / "ab"
    target.parent.mkdir()
    with atomic_path(target, unique=True) as first, atomic_path(target, unique=True) as second:
        assert first != second
        first.write_bytes(b"x")
        second.write_bytes(b"x")
    assert target.read_bytes() == b"x" and len(list(target.parent.iterdir())) == 1
