"""The changelog over every contract: page detail arriving for a contract is one change, not two."""

import duckdb

from warehouse.changelog import changelog_markdown, compute_changelog


def _projects(path, rows):
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(rows)) + ") "
        "t(project_code, proposal_code, detail_level, amount_paid_eur)) TO ? (FORMAT parquet)",
        [v for r in rows for v in r] + [str(path)],
    )
    con.close()


def test_pages_read_for_a_bulk_contract_is_one_change(tmp_path):
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    _projects(
        old, [("BG-A-0001", "BG-A-0001", "bulk", 10.0), ("BG-A-0002", "BG-A-0002", "bulk", 5.0)]
    )
    _projects(
        new,
        [
            ("BG-A-0001-C01", "BG-A-0001", "pages", 10.0),
            ("BG-A-0002", "BG-A-0002", "bulk", 7.5),
            ("BG-A-0003", "BG-A-0003", "bulk", 1.0),
        ],
    )
    log = compute_changelog(old, new)
    assert log["pages_read"] == [{"proposal_code": "BG-A-0001", "project_code": "BG-A-0001-C01"}]
    assert log["projects_added"] == ["BG-A-0003"] and log["projects_removed"] == []
    assert log["changed_fields"] == [
        {"project_code": "BG-A-0002", "field": "amount_paid_eur", "old": 5.0, "new": 7.5}
    ]
    assert "BG-A-0001 -> BG-A-0001-C01" in changelog_markdown(log, "r2", "r1")
