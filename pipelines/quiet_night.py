"""The quiet night: before a build, decide from the archive and the code what needs rebuilding.

Two things shape a release: what the raw archive holds (the newest good response per
URL) and the code (each asset's `code_version`, `pipelines.code_versions`, plus the
installed libraries). The last release's `quality_report.json` records both: the inputs
fingerprint (archive + libraries) and the code version of every asset it was built with.

- inputs changed (or no release yet, or `force`): build everything;
- inputs unchanged, some assets' code changed: rebuild those assets and what is downstream
  of them (the others' outputs are read from the data directory, `pipelines.io_managers`);
- nothing changed: skip, with a reason naming the release that stays `latest`.

The same plan drives `bgfunds build` (after the fetch job, in-process) and the Dagster
sensor `inputs_changed` (which requests a build run or returns a `SkipReason`). The fetch
(`raw_*` assets) is a job of its own, so the decision is taken between the two runs rather
than inside a build that would have to yield nothing.

**Before Dagster** (`quiet_before_dagster`): the code versions need the asset definitions,
and importing Dagster and the pipeline takes seconds. So each build run leaves a stamp,
`<data_dir>/.night_plan.json`: the digest of our whole source tree and the installed
libraries (`source_digest`), the code versions the definitions gave under it, and, when the
run replayed recordings, their manifests' digests and the archive's manifest right after.
While the source digest holds, those are the code versions; while the recordings and the
archive are as the stamp says, a replay would add only lines already there. A night with
nothing to fetch (offline) or an unchanged recording, the same archive fingerprint and the
same code versions as the last release is then told without importing Dagster at all. Any
doubt (no stamp, another digest, a live crawl) takes the Dagster way, which gives the same
answer; the module imports nothing heavy.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.code_versions import ROOT
from pipelines.code_versions import library_versions as _library_versions
from quality.last_release import last_quality_report
from shared.atomic import atomic_write
from sources.raw_archive import RawArchive, inputs_fingerprint

if TYPE_CHECKING:
    import dagster as dg

    from pipelines.resources import Settings

FINGERPRINT_TAG = "bgfunds/inputs_fingerprint"
# The stamp each build run leaves in the data directory for `quiet_before_dagster`.
STAMP = ".night_plan.json"
SOURCE_SUFFIXES = (".py", ".csv", ".json")


@functools.cache
def library_versions() -> tuple[str, ...]:
    """The installed libraries (`pipelines.code_versions.library_versions`), read once a process."""
    return tuple(_library_versions())


def fingerprint_of(archive: RawArchive) -> str:
    """The fingerprint of what a build reads: the archive's newest good responses and the libraries."""
    extra = "\n".join(library_versions())
    return archive.memo(
        "inputs-fingerprint-" + hashlib.sha256(extra.encode()).hexdigest()[:16],
        lambda: inputs_fingerprint(list(archive.records()), extra=extra),
    )


def archive_fingerprint(settings: Settings) -> str:
    """`fingerprint_of` the settings' raw archive."""
    return fingerprint_of(settings.raw_archive)


def code_versions(assets: Iterable[dg.AssetsDefinition]) -> dict[str, str]:
    """Asset name -> its code version, for every asset with one."""
    return {
        key.to_user_string(): version
        for assets_def in assets
        for key, version in assets_def.code_versions_by_key.items()
        if version is not None
    }


def last_release_report(settings: Settings) -> dict:
    return last_quality_report(settings.publish_dir)


@dataclass(frozen=True)
class BuildPlan:
    fingerprint: str
    reason: str
    rebuild: bool
    changed_code: tuple[
        str, ...
    ] = ()  # assets whose code changed (inputs unchanged); () with rebuild: all
    previous_release: str | None = None
    code_versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def run_key(self) -> str:
        """One build per (inputs, code) state: the sensor's run key."""
        codes = json.dumps(dict(sorted(self.code_versions.items())))
        return hashlib.sha256((self.fingerprint + codes).encode()).hexdigest()[:24]


def _unchanged_reason(previous: str | None, fingerprint: str) -> str:
    return f"inputs unchanged since release {previous} ({fingerprint[:12]}), code unchanged"


def plan_build(settings: Settings, versions: Mapping[str, str], force: bool = False) -> BuildPlan:
    """What tonight's build must do, given the assets' current code versions."""
    fingerprint = archive_fingerprint(settings)
    report = last_release_report(settings)
    previous = report.get("release_id")
    common = {
        "fingerprint": fingerprint,
        "previous_release": previous,
        "code_versions": dict(versions),
    }
    if force:
        return BuildPlan(reason="rebuild forced (--force)", rebuild=True, **common)
    if not report:
        return BuildPlan(reason="no release yet", rebuild=True, **common)
    if report.get("inputs_fingerprint") != fingerprint:
        return BuildPlan(reason=f"inputs changed since release {previous}", rebuild=True, **common)
    released = report.get("code_versions") or {}
    changed = tuple(sorted(name for name, v in versions.items() if released.get(name) != v))
    stored = settings.staging_dir / ".outputs"
    if changed and not all((stored / f"{name}.pickle").exists() for name in versions):
        return BuildPlan(
            reason=f"code changed since release {previous} ({len(changed)} assets); "
            "no stored outputs to reuse",
            rebuild=True,
            **common,
        )
    if changed:
        return BuildPlan(
            reason=f"inputs unchanged since release {previous}; code changed: {', '.join(changed)}",
            rebuild=True,
            changed_code=changed,
            **common,
        )
    return BuildPlan(reason=_unchanged_reason(previous, fingerprint), rebuild=False, **common)


# ---- before Dagster ---------------------------------------------------------------------


def source_digest(root: Path = ROOT) -> str:
    """A digest of every module and seed file of ours (every `.py`, `.csv` and `.json` under a
    top-level package, a superset of what any code version reads) and the installed libraries:
    while it holds, every asset's code version is what it was."""
    digest = hashlib.sha256("\n".join(library_versions()).encode())
    for init in sorted(root.glob("*/__init__.py")):
        for path in sorted(init.parent.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _manifest_key(archive: RawArchive) -> list[int] | None:
    try:
        stat = archive.manifest_path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _recordings_state(recordings: Sequence[Path | str]) -> list[list[str]]:
    """Each recording's folder and the digest of its manifest (what a replay reads)."""
    state = []
    for folder in recordings:
        manifest = Path(folder) / "manifest.json"
        try:
            digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
        except OSError:
            digest = "missing"
        state.append([str(Path(folder).resolve()), digest])
    return state


def _read_stamp(data_dir: Path) -> dict:
    try:
        value = json.loads((data_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def remember_plan(
    data_dir: Path | str,
    versions: Mapping[str, str],
    recordings: Sequence[Path | str] | None,
    source: str | None = None,
) -> None:
    """After a run: the stamp `quiet_before_dagster` reads (the source digest, the assets' code
    versions, and what was replayed into the archive as it now is)."""
    data_dir = Path(data_dir)
    stamp = {
        "source": source or source_digest(),
        "code_versions": dict(sorted(versions.items())),
        "replayed": None
        if not recordings
        else {
            "recordings": _recordings_state(recordings),
            "archive": _manifest_key(RawArchive(data_dir / "raw")),
        },
    }
    atomic_write(
        data_dir / STAMP,
        json.dumps(stamp, ensure_ascii=False, indent=1).encode(),
        durable=False,
        unique=True,
    )


@dataclass(frozen=True)
class QuietNight:
    """A night found to change nothing, before Dagster: the release that stays and why."""

    release_id: str
    issued: str | None
    reason: str
    coverage: str | None
    fetch_line: str


def quiet_before_dagster(
    data_dir: Path | str, recordings: Sequence[Path | str] | None
) -> QuietNight | None:
    """The quiet night told from the stamp, the archive and the last release, or None when
    that cannot be told without Dagster (then the fetch job and `plan_build` decide).

    `recordings`: the folders the fetch would replay; [] for a night that fetches nothing
    (`bgfunds publish`); None for a live fetch, which is never told before it ran."""
    data_dir = Path(data_dir)
    if recordings is None:
        return None
    offline = not recordings
    stamp = _read_stamp(data_dir)
    report = last_quality_report(data_dir / "publish")
    if not stamp.get("code_versions") or not report.get("release_id"):
        return None
    archive = RawArchive(data_dir / "raw")
    if not offline:
        replayed = stamp.get("replayed") or {}
        if replayed.get("archive") != _manifest_key(archive) or replayed.get(
            "recordings"
        ) != _recordings_state(recordings):
            return None
    if stamp.get("source") != source_digest():
        return None
    fingerprint = fingerprint_of(archive)
    released = report.get("code_versions") or {}
    if report.get("inputs_fingerprint") != fingerprint or any(
        released.get(name) != v for name, v in stamp["code_versions"].items()
    ):
        return None
    previous = report["release_id"]
    fetch_line = (
        f"offline: rebuilding from the raw archive {archive.root} without fetching"
        if offline
        else "recordings unchanged since they were replayed into the archive: "
        + ", ".join(str(r) for r in recordings)
        + " (nothing replayed)"
    )
    return QuietNight(
        release_id=previous,
        issued=report.get("issued"),
        reason=_unchanged_reason(previous, fingerprint),
        coverage=(report.get("coverage") or {}).get("line"),
        fetch_line=fetch_line,
    )


def selection(plan: BuildPlan, all_assets) -> list[dg.AssetKey] | None:
    """The assets the plan rebuilds (None: the whole build job); `all_assets` is every asset
    definition (or the asset graph), the fetch's included, so that every input resolves."""
    import dagster as dg

    if not plan.changed_code:
        return None
    chosen = dg.AssetSelection.assets(*plan.changed_code).downstream()
    return sorted(chosen.resolve(all_assets), key=lambda k: k.to_user_string())


def inputs_changed_sensor(
    settings: Settings,
    build_assets: list[dg.AssetsDefinition],
    all_assets: list[dg.AssetsDefinition],
    job_name: str,
    default_status: dg.DefaultSensorStatus,
) -> dg.SensorDefinition:
    """Requests a build when the archive or the code changed since the last release; else says why not."""
    import dagster as dg

    versions = code_versions(build_assets)

    @dg.sensor(
        name="inputs_changed",
        job_name=job_name,
        minimum_interval_seconds=300,
        default_status=default_status,
        description="After the nightly fetch: a build when the archive's newest responses or an "
        "asset's code changed since the last release, else a skip reason naming it.",
    )
    def _sensor(context):  # a SensorEvaluationContext (Dagster reads no string annotation here)
        plan = plan_build(settings, versions)
        if not plan.rebuild:
            return dg.SkipReason(plan.reason)
        context.log.info(plan.reason)
        return dg.RunRequest(
            run_key=plan.run_key,
            asset_selection=selection(plan, all_assets),
            tags={FINGERPRINT_TAG: plan.fingerprint},
        )

    return _sensor
