"""Every setting of a build, in one table: one name each for the env var, the CLI flag and the
Dagster config field.

A setting named `workers` is the environment variable `BGFUNDS_WORKERS`, the flag
`--workers` and the field `workers` of its resource (`Settings` or the live crawler
`LiveIsunCrawler`, `pipelines.resources`); its default is in the table (and equal to
the field's own, which a test checks). A value comes from
the flag if given, else from the environment, else the resource's default; it is read
here and nowhere else (`initial`, `resolve`), so the three cannot drift apart. Older
flag names stay accepted as aliases (`--budget` for `--requests-per-night`).

This module imports nothing heavy: `bgfunds --help` builds its flags from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "BGFUNDS_"
PROFILE_ENV = "BGFUNDS_PROFILE"  # "sample" (default, the recorded corpus) or "live" (the crawler)


class SettingError(ValueError):
    """A setting's value cannot be read; the message names the variable or flag and the value."""


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("not a yes/no value")


@dataclass(frozen=True)
class Setting:
    name: str  # the resource's field
    resource: str  # the resource key: "settings" or "isun_pages" (the live crawler)
    parse: Callable[[str], Any]
    help: str
    default: Any = None  # the resource's default (a test keeps the two equal)
    flag: bool = True  # whether the CLI has a flag for it (all have an env var and a field)
    cli_default: Any = "same"  # where the CLI's default differs from the resource's
    aliases: tuple[str, ...] = ()  # older flag names, still accepted

    @property
    def env(self) -> str:
        return PREFIX + self.name.upper()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def read(self, text: str, where: str) -> Any:
        try:
            return self.parse(text)
        except ValueError as exc:
            raise SettingError(f"{where}: {text!r} is not a valid {self.name} ({exc})") from None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir", "settings", str, "where the raw archive, warehouse and releases live", "data"
    ),
    Setting(
        "workers", "settings", int, "processes parsing batches of contracts; 0: one per core", 0
    ),
    Setting(
        "force_rebuild",
        "settings",
        _bool,
        "rebuild even if nothing changed since the last release",
        False,
        aliases=("--force",),
    ),
    Setting(
        "lock_wait_seconds",
        "settings",
        float,
        "seconds to wait for another build of the same data dir before giving up",
        3600.0,
        aliases=("--wait",),
        cli_default=0.0,  # the CLI refuses a locked data dir at once; a scheduled run waits
    ),
    Setting(
        "max_row_drop_share",
        "settings",
        float,
        "a table losing more than this share of its rows since the last release blocks it",
        0.2,
        flag=False,
    ),
    Setting(
        "isun_partitions",
        "settings",
        int,
        "partitions of the contracts, each parsed into a parts store of its own "
        "(Dagster partitions of _core_isun__partition)",
        1,
        flag=False,
    ),
    Setting(
        "batch_contracts",
        "settings",
        int,
        "contracts per parsing batch (all of a contract's tabs in one batch)",
        500,
        flag=False,
    ),
    Setting(
        "public_url",
        "settings",
        str,
        "public URL the releases are served at (absolute links in the DCAT catalogue and the Atom "
        "feeds); its root serves `latest`, as `bgfunds serve` does",
        "http://127.0.0.1:8000/",
    ),
    Setting(
        "publish_to",
        "settings",
        str,
        "also upload the release to this fsspec URL (s3://bucket/prefix, ...): files, read back "
        "and checked against SHA256SUMS, then latest/, then LATEST",
        "",
        aliases=("--to",),
    ),
    Setting(
        "notify_url",
        "settings",
        str,
        "webhook POSTed as JSON ({event, text, health}) when a night fails or the data turns stale",
        "",
    ),
    Setting(
        "max_release_age_hours",
        "settings",
        float,
        "data older than this (since the last release, or a night that found nothing new) is "
        "stale: /health answers 503, and a failed night exits 1",
        48.0,
    ),
    Setting(
        "isun_base_url",
        "isun_pages",
        str,
        "ИСУН site or mirror to crawl",
        "https://2020.eufunds.bg",
        aliases=("--base-url",),
    ),
    Setting(
        "requests_per_night",
        "isun_pages",
        int,
        "requests per run, listings included",
        2000,
        aliases=("--budget",),
    ),
    Setting(
        "interval_seconds",
        "isun_pages",
        float,
        "seconds between requests to a host; unset: 4, or robots.txt's Crawl-delay if longer",
        aliases=("--interval",),
    ),
    Setting(
        "contact",
        "isun_pages",
        str,
        "contact address in the User-Agent",
        "opendata@bgfunds.example",
    ),
    Setting(
        "api_interval_seconds",
        "isun_pages",
        float,
        "seconds between open-data API calls",
        240.0,
        aliases=("--api-interval",),
    ),
    Setting(
        "max_programme_calls",
        "isun_pages",
        int,
        "open-data programmes fetched per night, longest-unfetched first (unset: all)",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


def initial(setting: Setting, env: Mapping[str, str], cli: bool = False) -> Any:
    """A setting's value before any flag: the environment's, else the default (the CLI's)."""
    if setting.env in env:
        return setting.read(env[setting.env], setting.env)
    return setting.cli_default if cli and setting.cli_default != "same" else setting.default


def resolve(env: Mapping[str, str], args: Any = None) -> dict[str, dict[str, Any]]:
    """Resource key -> {field: value} of every setting: the flag's value where the CLI has the
    flag (argparse's default for it is `initial`), else the environment's, else the default."""
    values: dict[str, dict[str, Any]] = {}
    for setting in SETTINGS:
        if args is not None and setting.flag and hasattr(args, setting.name):
            given = getattr(args, setting.name)
        else:
            given = initial(setting, env)
        values.setdefault(setting.resource, {})[setting.name] = given
    return values
