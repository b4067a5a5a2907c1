"""Batches past one machine: the contracts as Dagster partitions, each parsed by a run of its own;
a build after two partition runs publishes the same tables as a build in one run."""

import json
import shutil
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from bench.synthetic_corpus import generate
from pipelines.cli.runs import _overrides, run_build
from pipelines.definitions import PARTITIONS_JOB, build_defs
from pipelines.isun_reuse import STORE, contract_key, partition_of
from pipelines.resources import ArchivedDocumentsOnly, ArchivedPagesOnly


def _build(data: Path) -> Path:
    summary = run_build(
        data, source=ArchivedPagesOnly(), documents=ArchivedDocumentsOnly(), workers=1
    )
    assert summary.success
    return Path(summary.release)


def test_partitions_split_contracts_stably_and_about_evenly():
    keys = [f"contract-{i}" for i in range(1000)]
    split = [partition_of(k, 4) for k in keys]
    assert split == [partition_of(k, 4) for k in keys]
    assert all(200 < split.count(p) < 300 for p in range(4))


def test_a_two_partition_run_gives_the_tables_of_one_run(tmp_path, monkeypatch):
    one, two = tmp_path / "one", tmp_path / "two"
    facts = generate(50, one / "raw", seed=13)
    shutil.copytree(one / "raw", two / "raw")
    single = _build(one)

    monkeypatch.setenv("BGFUNDS_ISUN_PARTITIONS", "2")
    overrides = _overrides(two, two / "raw", ArchivedPagesOnly(), ArchivedDocumentsOnly(), False, 1)
    defs = build_defs(overrides)
    job = defs.resolve_job_def(PARTITIONS_JOB)
    assert job.partitions_def.get_partition_keys() == ["1-of-2", "2-of-2"]
    with dg.DagsterInstance.ephemeral() as instance:
        for key in ("1-of-2", "2-of-2"):  # as two workers (or machines) would, one run each
            assert job.execute_in_process(partition_key=key, instance=instance).success
    stores = sorted((two / "staging" / STORE).iterdir())
    assert [s.name for s in stores] == ["1-of-2", "2-of-2"]
    indexes = {s.name: (s / "index.json").stat().st_mtime_ns for s in stores}
    contracts = {contract_key(u) for u in facts.urls}
    in_store = [
        sum(len(p) for p in json.loads((s / "index.json").read_text())["parts"].values())
        for s in stores
    ]
    assert sum(in_store) == len(contracts) and all(in_store)

    split = _build(two)
    # The build found both partitions parsed: it assembled them and parsed nothing again.
    assert {s.name: (s / "index.json").stat().st_mtime_ns for s in stores} == indexes
    names = sorted(p.stem for p in single.glob("*.parquet"))
    assert names == sorted(p.stem for p in split.glob("*.parquet")) and "activities" in names
    for name in names:
        a = pq.read_table(single / f"{name}.parquet").to_pandas().astype(str)
        b = pq.read_table(split / f"{name}.parquet").to_pandas().astype(str)
        assert a.equals(b), f"{name}: two partitions give other rows than one run"
