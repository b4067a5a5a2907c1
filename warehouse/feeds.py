"""Atom feeds of what changed: the whole site (`site/feeds/all.atom`) and per municipality,
beneficiary and programme (`site/feeds/<kind>/<key>.atom`).

Events come from `history_projects`, which gets a row whenever a project of `projects` (every
contract of the open-data API and the register export, and every page read) appears, its
tracked values change or it is gone, so the bulk sources' nightly changes are events as much
as the pages': each row compared with the project's previous row is one or more events —
`new` (a new contract), `pages` (a contract known from the bulk sources had its pages read),
`amounts` (contracted, grant or paid changed), `status`, `end_date`, `over_reported`
(is_over_reported turned true), `gone` (is_removed) — each with the values before and after —
and, from `history_contractors` (`warehouse.contractors`: the open-data API's contracts, the
Procurements and Participants pages), `contractor`: a contractor new on a known project, with
the project's contractors before and after.
A project is filed under the municipalities, beneficiary and programme it has in this release
or, if it is gone, in the previous release (read from that release's Parquet files).

Feed URLs are absolute from the public URL (`--public-url`; its root follows `latest`, so a
subscriber's feed moves with the releases); entry links point at the project page of the
release where the change happened. Each feed keeps the newest `MAX_ENTRIES` events; a feed
with none is dated with the release in which it first appeared (the previous release's date
for it, while it stays empty), so an unchanged feed keeps its bytes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import duckdb

from warehouse.contractors import first_seen_releases, history_rows, new_contractors
from warehouse.site_common import money, project_file, slug, write_or_link
from warehouse.text_safety import safe_text
from warehouse.views import release_order_key

MAX_ENTRIES = 200
EVENT_TITLES = {
    "new": "Нов договор / new contract",
    "pages": "Прочетени страници / page detail read",
    "amounts": "Променени суми / amounts changed",
    "status": "Променен статус / status changed",
    "end_date": "Променена крайна дата / end date changed",
    "over_reported": "Отчетено над договореното / reported above contracted",
    "gone": "Договорът вече не е в ИСУН / contract gone",
    "contractor": "Нов изпълнител / new contractor",
}
AMOUNTS = (("amount_total", "договорено"), ("amount_grant", "БФП"), ("amount_paid", "изплатено"))


@dataclass
class Event:
    release_id: str
    project_code: str
    kind: str
    summary: str


def _now(row: dict) -> str:
    return (
        f"договорено {money(row['amount_total_bgn'], row['amount_total_eur'])}, "
        f"изплатено {money(row['amount_paid_bgn'], row['amount_paid_eur'])}"
        + (f", статус {row['status']}" if row.get("status") else "")
    )


def _changes(before: dict, row: dict, rid: str, code: str) -> list[Event]:
    """What changed between a project's two history rows, each with its before and after value."""
    events = []
    changed = [
        f"{label}: {money(before[f'{s}_bgn'], before[f'{s}_eur'])} → {money(row[f'{s}_bgn'], row[f'{s}_eur'])}"
        for s, label in AMOUNTS
        if f"{s}_eur" in row and before.get(f"{s}_eur") != row[f"{s}_eur"]
    ]
    if changed:
        events.append(Event(rid, code, "amounts", "; ".join(changed)))
    for field, label in (("status", "статус"), ("end_date", "крайна дата")):
        old, new = before.get(field), row.get(field)
        if old is not None and new != old:  # None before: a column the older release did not track
            events.append(
                Event(rid, code, field, f"{label}: {old} → {new if new is not None else '—'}")
            )
    if row["is_over_reported"] and not before["is_over_reported"]:
        events.append(Event(rid, code, "over_reported", _now(row)))
    return events


def project_events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    """Every event in the history, oldest first.

    A contract known from the bulk sources only has its proposal code as its code; when its
    pages are read it is the contract code, so the history says the first is gone and the
    second is new in the same release: that is one event, `pages` (page detail read)."""
    cur = con.execute(
        "SELECT * FROM history_projects ORDER BY project_code, " + release_order_key("release_id")
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    firsts = set()  # (release, proposal code) of contracts that appeared with their pages read
    seen = set()
    for row in rows:
        if row["project_code"] not in seen and row.get("detail_level") == "pages":
            firsts.add((row["release_id"], row.get("proposal_code")))
        seen.add(row["project_code"])
    gone_to_pages = {
        (r["release_id"], r["project_code"])
        for r in rows
        if r["is_removed"] and (r["release_id"], r["project_code"]) in firsts
    }
    events, previous = [], None
    for row in rows:
        before = previous if previous and previous["project_code"] == row["project_code"] else None
        rid, code = row["release_id"], row["project_code"]
        previous = row
        if row["is_removed"]:
            if (rid, code) not in gone_to_pages:
                events.append(Event(rid, code, "gone", f"Последно известно: {_now(row)}"))
        elif before is None or before["is_removed"]:
            if (rid, row.get("proposal_code")) in gone_to_pages:
                events.append(
                    Event(rid, code, "pages", f"{row.get('proposal_code')} → {code}: {_now(row)}")
                )
            else:
                events.append(Event(rid, code, "new", _now(row)))
        else:
            events += _changes(before, row, rid, code)
    return events


def contractor_events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    """A contractor new on a known project, with the project's contractors before and after."""
    return [
        Event(
            e["release_id"],
            e["project_code"],
            "contractor",
            f"нов изпълнител / new contractor: {e['contractor']}; изпълнители / contractors: "
            f"{'; '.join(e['before']) or '—'} → {'; '.join(e['after'])}",
        )
        for e in new_contractors(history_rows(con), first_seen_releases(con))
    ]


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _memberships(con: duckdb.DuckDBPyConnection, previous: Path | None) -> tuple[dict, dict]:
    """project_code -> {(feed kind, key)} and project_code -> name, from this release and the previous one."""
    sources = [("projects", "project_places")]
    if (
        previous
        and (previous / "projects.parquet").exists()
        and (previous / "project_places.parquet").exists()
    ):
        sources.append(
            (
                f"read_parquet('{previous / 'projects.parquet'}')",
                f"read_parquet('{previous / 'project_places.parquet'}')",
            )
        )
    member, names = defaultdict(set), {}
    for projects, places in reversed(sources):  # this release's values win
        without = (
            "CASE WHEN beneficiary_without_eik THEN 'without_eik' END"
            if "beneficiary_without_eik" in _columns_of(con, projects)
            else "NULL"
        )
        for code, name, key, programme in con.execute(
            f"SELECT project_code, project_name, coalesce(beneficiary_eik, beneficiary_name, {without}), "
            f"programme_code FROM {projects}"
        ).fetchall():
            names[code] = safe_text(name)  # the previous release's Parquet keeps the text as read
            member[code] |= {("beneficiary", key), ("programme", programme), ("all", "all")}
        for code, lau in con.execute(
            f"SELECT DISTINCT project_code, code FROM {places} "
            "WHERE level = 'municipality' AND code IS NOT NULL"
        ).fetchall():
            member[code].add(("municipality", lau))
    return member, names


def atom(feed_url: str, title: str, alternate: str, entries: list[str], updated: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="bg">\n'
        f"<id>{escape(feed_url)}</id><title>{escape(title)}</title><updated>{updated}</updated>\n"
        f"<author><name>bgfunds</name></author>\n"
        f'<link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>\n'
        f'<link rel="alternate" type="text/html" href={quoteattr(alternate)}/>\n'
        + "".join(entries)
        + "</feed>\n"
    )


def _stamp(release_id: str) -> str:
    return f"{release_id[:10]}T00:00:00Z"


def _empty_since(old: Path | None) -> str | None:
    """The `updated` of the previous release's feed `old` when it had no entries either: an
    empty feed keeps the date of the release in which it first appeared (so its bytes, and it
    is linked, not written, night after night), never 1970."""
    try:
        text = old.read_text(encoding="utf-8") if old is not None else ""
    except OSError:
        return None
    found = _UPDATED.search(text)
    return found[1] if found and "<entry>" not in text else None


_UPDATED = re.compile(r"<updated>(\d{4}-\d{2}-\d{2}T00:00:00Z)</updated>")


def _entry(e: Event, name: str, base_url: str) -> str:
    link = f"{base_url}releases/{e.release_id}/site/{project_file(e.project_code)}"
    return (
        f"<entry><id>urn:bgfunds:{escape(e.release_id)}:{escape(e.project_code)}:{e.kind}</id>"
        f"<title>{escape(EVENT_TITLES[e.kind])}: {escape(name)}</title>"
        f"<updated>{_stamp(e.release_id)}</updated>"
        f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
        f"<category term={quoteattr(e.kind)}/>"
        f'<summary type="html">'
        f"{escape(e.project_code + ' · издание ' + e.release_id + ' · ' + e.summary)}</summary>"
        f"</entry>\n"
    )


def write_feeds(
    con: duckdb.DuckDBPyConnection,
    site: Path,
    base_url: str,
    previous: Path | None,
    titles: dict[tuple[str, str], str],
    release_id: str,
) -> dict[str, int]:
    """One Atom file per municipality, beneficiary and programme with a page, and `feeds/all.atom`.

        `base_url` ends with '/' and serves the latest release at its root (`bgfunds serve`, or the
        `--public-url` the releases are published at); `titles` maps (kind, key) to the feed's
        title (the page's heading). A feed with no events is dated with the release in which it
    first appeared (`_empty_since`). A feed whose
        bytes are those of the previous release's is linked from it; "linked" counts those.
    """
    events = project_events(con) + contractor_events(con)
    member, names = _memberships(con, previous)
    by_feed = defaultdict(list)
    for e in events:
        for feed in member.get(e.project_code, ()):
            by_feed[feed].append(e)
    counts, linked, directories = defaultdict(int), 0, set()
    everything = {("all", "all"): "всички промени / every change"}
    for (kind, key), title in {**titles, **everything}.items():
        feed_events = sorted(
            by_feed.get((kind, key), []),
            key=lambda e: (e.release_id[:10], e.release_id, e.project_code, e.kind),
            reverse=True,
        )[:MAX_ENTRIES]
        relative = "feeds/all.atom" if kind == "all" else f"feeds/{kind}/{slug(key)}.atom"
        entries = [
            _entry(e, names.get(e.project_code) or e.project_code, base_url) for e in feed_events
        ]
        old = previous / "site" / relative if previous else None
        updated = (
            _stamp(feed_events[0].release_id)
            if feed_events
            else _empty_since(old) or _stamp(release_id)
        )
        path = site / relative
        if path.parent not in directories:
            path.parent.mkdir(parents=True, exist_ok=True)
            directories.add(path.parent)
        page = (
            f"{base_url}site/index.html"
            if kind == "all"
            else f"{base_url}site/{kind}/{slug(key)}.html"
        )
        text = atom(f"{base_url}site/{relative}", f"bgfunds: {title}", page, entries, updated)
        linked += write_or_link(path, text.encode("utf-8"), old)
        counts[kind] += 1
    return {**counts, "linked": linked}
