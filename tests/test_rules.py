"""The registry's rules: each kind quarantines the right row, whole-table rules fail the table,
and the Great Expectations checkpoint agrees with the SQL engine.

Values are the sample corpus's own (the Stambolovo contract BG05SFOP001-2.009-0010-C01 and
the RDNP contract BG06RDNP001-7.007-0051-C01); each planted fault breaks one rule.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.isun_batches import PROJECTS_AS_READ as PROJECTS
from pipelines.isun_batches import is_contract_page, parse_and_build_in_batches
from quality.rules_sql import check_table, screen_frame, screen_isun_tables
from registry import all_tables
from registry.tables import (
    ACTIVITIES,
    QUARANTINE,
    Field,
    Table,
    one_of,
    table_rules,
)
from sources.raw_archive import RawArchive
from sources.recorded import SAMPLE_CORPUS, replay_recording
from warehouse.staging import stage_frame

RDNP = "BG06RDNP001-7.007-0051-C01"
STAMBOLOVO = "BG05SFOP001-2.009-0010-C01"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    archive = RawArchive(tmp_path_factory.mktemp("sample"))
    replay_recording(SAMPLE_CORPUS, archive)
    records = [r for r in archive.records() if is_contract_page(r.url)]
    return parse_and_build_in_batches(records, archive.read)


def _rdnp(tables) -> pd.Series:
    return tables.projects.set_index("project_code").loc[RDNP].reset_index()


def _faulty_projects(tables) -> pd.DataFrame:
    """The RDNP project (grant 1 397 993.57 + own 73 578.61 = total 1 471 572.18 BGN) ten times:
    one copy untouched, each other with one fault."""
    row = tables.projects[tables.projects.project_code == RDNP]
    faults = [
        {},
        {"project_name": None},
        {"amount_own": -73578.61},
        {"eu_cofinancing_percent": 180.0},
        {"currency_original": "USD"},
        {"project_code": "BG06RDNP001-7.007"},  # a procedure code, not a contract's
        {"amount_total": 1471572.18 + 0.05},
        {"amount_eu": 1118394.86 + 0.05},
        {"amount_paid_eur": 679043.62 + 1},
        {"end_date": pd.Timestamp("2000-01-01").date()},
    ]
    return pd.concat([row.assign(**f) for f in faults], ignore_index=True)


def test_every_row_rule_kind_quarantines_the_right_row_with_its_rule_field_and_value(sample):
    frame = _faulty_projects(sample)
    kept, rejected = screen_frame(PROJECTS, frame)
    assert len(kept) == 1 and kept.loc[0, "amount_own"] == 73578.61
    assert list(rejected.columns) == QUARANTINE.columns
    got = list(
        rejected[["record_key", "rule", "field", "value"]].itertuples(index=False, name=None)
    )
    assert got == [
        (RDNP, "required_value_missing", "project_name", None),
        (RDNP, "amount_not_negative", "amount_own", "-73578.61"),
        (RDNP, "percent_in_range", "eu_cofinancing_percent", "180.0000"),
        (RDNP, "value_in_allowed_set", "currency_original", "USD"),
        ("BG06RDNP001-7.007", "code_format", "project_code", "BG06RDNP001-7.007"),
        (RDNP, "grant_plus_own_equals_total", "amount_total", "1471572.23"),
        (RDNP, "eu_plus_national_equals_grant", "amount_grant", "1397993.57"),
        (RDNP, "eur_equals_bgn_at_fixed_rate", "amount_paid_eur", "679044.62"),
        (RDNP, "start_date_not_after_end_date", "start_date", "2019-06-14"),
    ]
    url = frame.loc[0, "source_url"]
    assert (rejected["source_url"] == url).all() and rejected["content_sha256"].notna().all()
    assert rejected.loc[1, "message"] == (
        f"{url}: projects row fails amount_not_negative: field amount_own has value '-73578.61'"
    )


def test_a_cent_of_rounding_is_within_the_financing_identities(sample):
    row = sample.projects[sample.projects.project_code == RDNP]
    kept, rejected = screen_frame(PROJECTS, row.assign(amount_eu=1118394.86 + 0.009))
    assert len(kept) == 1 and rejected.empty


def test_a_quarantined_project_takes_its_activities_with_it(sample):
    projects = sample.projects.assign(
        currency_original=lambda d: d.currency_original.where(d.project_code != RDNP, "USD")
    )
    activities = sample.activities.assign(
        amount_reported=lambda d: d.amount_reported.where(
            (d.project_code != STAMBOLOVO) | (d.activity_no != 2), -1.0
        )
    )
    kept_projects, kept_activities, quarantine = screen_isun_tables(
        projects, activities, sample.quarantine.iloc[0:0], PROJECTS, ACTIVITIES
    )
    assert RDNP not in set(kept_projects.project_code) and len(kept_projects) == 3
    rdnp_activities = int((sample.activities.project_code == RDNP).sum())
    by_rule = quarantine.groupby(["table_name", "rule"]).size().to_dict()
    assert by_rule == {
        ("projects", "value_in_allowed_set"): 1,
        ("activities", "parent_row_quarantined"): rdnp_activities,
        ("activities", "amount_not_negative"): 1,
    }
    bad = quarantine[quarantine.rule == "amount_not_negative"].iloc[0]
    assert (bad.record_key, bad.field, bad.value) == (f"{STAMBOLOVO}#2", "amount_reported", "-1.00")
    assert len(kept_activities) == len(sample.activities) - rdnp_activities - 1


def test_rules_are_declared_in_the_registry_and_derived_in_one_place():
    names = [(r.name, r.columns) for r in table_rules(PROJECTS)]
    assert ("required_value_missing", ("project_code",)) in names  # from nullable=False
    assert ("amount_not_negative", ("amount_paid_eur",)) in names  # from DECIMAL
    assert ("amount_not_negative", ("eu_cofinancing_percent",)) not in names  # it has a range
    assert ("unique_key", ("project_code",)) in names and names[-1][0] == "row_count_drop"
    activity_rules = {r.name: r for r in table_rules(ACTIVITIES)}
    assert activity_rules["parent_row_exists"].parent == "projects"
    assert {r.level for r in table_rules(ACTIVITIES) if r.test in ("unique", "parent")} == {"table"}
    # every table produced by an asset has rules, each with a known test
    tests = {"not_null", "range", "in_set", "pattern", "sum", "rate", "order", "unique", "parent"}
    for table in all_tables().values():
        assert {r.test for r in table_rules(table)} <= tests | {"row_drop"}


def _staged_with_faults(sample, root: Path):
    """Projects with a duplicated key and two bad rows; activities with an orphan."""
    projects = pd.concat(
        [
            sample.projects,
            sample.projects[sample.projects.project_code == STAMBOLOVO],  # parsed twice
            _faulty_projects(sample)
            .iloc[[2, 8]]
            .assign(project_code=["BG06RDNP001-7.007-0052-C01", "BG06RDNP001-7.007-0053-C01"]),
        ],
        ignore_index=True,
    )
    orphan = (
        sample.activities[sample.activities.project_code == RDNP]
        .head(1)
        .assign(project_code="BG06RDNP001-7.007-0099-C01")
    )
    return (
        stage_frame(root, PROJECTS, projects),
        stage_frame(root, ACTIVITIES, pd.concat([sample.activities, orphan])),
    )


def test_whole_table_rules_fail_the_table_duplicate_key_orphan_and_row_drop(sample, tmp_path):
    projects, activities = _staged_with_faults(sample, tmp_path)
    outcome = check_table(PROJECTS, projects.scan_sql(), previous_rows=15, default_drop_share=0.5)
    failed = {o.rule.name: (o.failed, o.examples) for o in outcome.failures}
    assert failed == {
        "amount_not_negative": (1, ["-73578.61"]),
        "grant_plus_own_equals_total": (1, ["1471572.18"]),
        "eur_equals_bgn_at_fixed_rate": (1, ["679044.62"]),
        "unique_key": (2, [STAMBOLOVO]),
        "row_count_drop": (1, ["15 -> 7 rows (more than 50% fewer)"]),
    }
    child = check_table(ACTIVITIES, activities.scan_sql(), {"projects": projects.scan_sql()})
    assert [(o.rule.name, o.failed, o.examples) for o in child.failures] == [
        ("parent_row_exists", 1, ["BG06RDNP001-7.007-0099-C01"])
    ]
    good = stage_frame(tmp_path / "good", PROJECTS, sample.projects)
    assert check_table(PROJECTS, good.scan_sql(), previous_rows=4, default_drop_share=0.2).success


def test_the_checkpoint_and_the_sql_engine_agree_on_planted_failures(sample, tmp_path):
    from quality.checkpoint import TableToValidate, run_checkpoint

    projects, activities = _staged_with_faults(sample, tmp_path / "staged")
    items = [
        TableToValidate(PROJECTS, projects.scan_sql(), {}, previous_rows=15),
        TableToValidate(
            ACTIVITIES, activities.scan_sql(), {"projects": projects.scan_sql()}, previous_rows=None
        ),
    ]
    result = run_checkpoint(items, tmp_path / "gx", tmp_path / "docs", default_drop_share=0.5)
    assert not result["success"]
    for item in items:
        sql = check_table(item.table, item.source, item.parents, item.previous_rows, 0.5)
        report = result["tables"][item.table.name]
        assert report["rows"] == sql.rows and report["success"] is sql.success
        assert sorted(
            (f["rule"], f["unexpected_count"]) for f in report["expectations_failed"]
        ) == sorted((o.rule.name, o.failed) for o in sql.failures)
        # one expectation per rule the table can evaluate
        assert report["expectations_evaluated"] == len(sql.outcomes) - (item.previous_rows is None)
    assert (tmp_path / "docs" / "index.html").exists()


@pytest.mark.integration
def test_a_failed_expectation_blocks_the_release_naming_the_rule(sample, tmp_path):
    import dagster as dg

    from pipelines.assets import validate_tables
    from pipelines.resources import Settings
    from registry import tables_by_asset

    projects, activities = _staged_with_faults(sample, tmp_path / "staged")
    registry = {t.name: t for t in (PROJECTS, ACTIVITIES)}
    asset_of = {t.name: a for a, t in tables_by_asset(registry).items()}
    staged = {asset_of["projects"]: projects, asset_of["activities"]: activities}
    with pytest.raises(dg.Failure, match="release blocked") as failure:
        validate_tables(staged, registry, Settings(data_dir=str(tmp_path / "data")))
    failed = failure.value.metadata["failed"].data
    assert any(f.startswith("projects: amount_not_negative(amount_own) 1 rows") for f in failed)
    assert any(f.startswith("activities: parent_row_exists(") for f in failed)


@pytest.mark.integration
def test_an_error_in_the_checkpoints_process_reaches_the_log_whole(tmp_path):
    from quality.checkpoint import CheckpointError, TableToValidate, run_checkpoint_apart

    missing = f"read_parquet('{tmp_path / 'nowhere' / '*.parquet'}')"
    with pytest.raises(CheckpointError) as error:
        run_checkpoint_apart([TableToValidate(PROJECTS, missing, {})], tmp_path, tmp_path / "docs")
    # The child's own exception, type and message, with its traceback: not BrokenProcessPool.
    assert "IOException" in str(error.value) and "nowhere" in str(error.value)
    assert "Traceback (most recent call last)" in str(error.value)


def test_a_toy_table_declared_once_gets_rules_and_a_blocking_check(tmp_path):
    from pipelines.checks import table_checks

    toy = Table(
        name="toy_grants",
        en="A toy table",
        bg="Примерна таблица",
        primary_key=("project_code",),
        fields=(
            Field("project_code", "VARCHAR", "Code", "Код", nullable=False),
            Field("kind", "VARCHAR", "Kind", "Вид"),
            Field("amount", "DECIMAL(18,2)", "Amount", "Сума", "BGN"),
        ),
        asset="toy_grants",
        rules=(one_of("kind", "grant", "loan"),),  # the code format comes from the catalogue
    )
    (check,) = table_checks({"toy_grants": toy})
    spec = next(iter(check.check_specs))
    assert spec.name == "rules_toy_grants" and spec.blocking
    assert spec.asset_key.to_user_string() == "toy_grants"
    frame = pd.DataFrame(
        {
            "project_code": [STAMBOLOVO, STAMBOLOVO, "BG05SFOP001"],
            "kind": ["grant", "gift", "loan"],
            "amount": [88840.80, 1.0, -5.0],
        }
    )
    staged = stage_frame(tmp_path, toy, frame)
    failed = {o.rule.name: o.failed for o in check_table(toy, staged.scan_sql()).failures}
    assert failed == {
        "amount_not_negative": 1,
        "value_in_allowed_set": 1,
        "code_format": 1,
        "unique_key": 2,
    }


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout
    return set(out.split())


def test_great_expectations_is_not_imported_by_definitions_cli_help_or_batch_workers():
    assert "great_expectations" not in _modules_after("import pipelines.definitions")
    assert "great_expectations" not in _modules_after(
        "from pipelines.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    batch = (
        "import tempfile\n"
        "from pipelines.isun_batches import is_contract_page, parse_and_build_in_batches\n"
        "from sources.raw_archive import RawArchive\n"
        "from sources.recorded import SAMPLE_CORPUS, replay_recording\n"
        "a = RawArchive(tempfile.mkdtemp())\nreplay_recording(SAMPLE_CORPUS, a)\n"
        "t = parse_and_build_in_batches([r for r in a.records() if is_contract_page(r.url)], a.read)\n"
        "assert len(t.projects) == 4"
    )
    assert "great_expectations" not in _modules_after(batch)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("BGFUNDS_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (CI installs it and sets BGFUNDS_REQUIRE_BROWSER)",
)
def test_the_release_publishes_the_checkpoints_data_docs_and_they_open_in_chromium(
    sample_build, tmp_path
):
    assert CHROMIUM, "BGFUNDS_REQUIRE_BROWSER is set but chromium is not installed"
    data_dir, _ = sample_build
    release = (data_dir / "publish" / "latest").resolve()
    report = json.loads((release / "quality_report.json").read_text(encoding="utf-8"))
    assert report["great_expectations"]["success"] and report["great_expectations"][
        "data_docs"
    ] == ("quality/index.html")
    # every rule but the row-count drop: the first release has no previous one
    published = all_tables()["projects"]  # every contract, not the pages' rows as read
    assert report["tables"]["projects"]["expectations_evaluated"] == len(table_rules(published)) - 1
    assert 'href="quality/index.html"' in (release / "index.html").read_text(encoding="utf-8")
    validations = list((release / "quality" / "validations").rglob("*.html"))
    assert len(validations) == len(report["tables"])
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            (release / "quality" / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "bgfunds.projects" in dom and "bgfunds.activities" in dom
