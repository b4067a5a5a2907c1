"""Atom feeds of what changed, per municipality, beneficiary and programme (`site/feeds/…`).

Events come from `history_projects`, which gets a row whenever a project appears, its
tracked values change or it is gone: each row compared with the project's previous row is
one or more events — `new` (first row, or back after being gone), `amounts` (contracted or
paid changed), `over_reported` (is_over_reported turned true), `gone` (is_removed). A project
is filed under the municipalities, beneficiary and programme it has in this release or, if
it is gone, in the previous release (read from that release's Parquet files).

Feed URLs are absolute from the base URL (`/` follows `latest`, so a subscriber's feed
moves with the releases); entry links point at the project page of the release where the
change happened. Each feed keeps the newest `MAX_ENTRIES` events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import duckdb

from warehouse.site_common import money, project_file, slug
from warehouse.text_safety import safe_text
from warehouse.views import release_order_key

MAX_ENTRIES = 200
EVENT_TITLES = {
    "new": "Нов проект / new project",
    "amounts": "Променени суми / amounts changed",
    "over_reported": "Отчетено над договореното / reported above contracted",
    "gone": "Проектът вече не е в ИСУН / project gone",
}


@dataclass
class Event:
    release_id: str
    project_code: str
    kind: str
    summary: str


def project_events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    """Every event in the history, oldest first."""
    cur = con.execute(
        "SELECT * FROM history_projects ORDER BY project_code, " + release_order_key("release_id")
    )
    names = [d[0] for d in cur.description]
    events, previous = [], None
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        before = previous if previous and previous["project_code"] == row["project_code"] else None
        rid, code = row["release_id"], row["project_code"]
        now = (
            f"договорено {money(row['amount_total_bgn'], row['amount_total_eur'])}, "
            f"изплатено {money(row['amount_paid_bgn'], row['amount_paid_eur'])}"
        )
        if row["is_removed"]:
            events.append(Event(rid, code, "gone", f"Последно известно: {now}"))
        elif before is None or before["is_removed"]:
            events.append(Event(rid, code, "new", now))
        else:
            changed = [
                (
                    label,
                    before[f"{stem}_bgn"],
                    before[f"{stem}_eur"],
                    row[f"{stem}_bgn"],
                    row[f"{stem}_eur"],
                )
                for stem, label in (
                    ("amount_total", "договорено"),
                    ("amount_grant", "БФП"),
                    ("amount_paid", "изплатено"),
                )
                if f"{stem}_eur" in row and before[f"{stem}_eur"] != row[f"{stem}_eur"]
            ]
            if changed:
                events.append(
                    Event(
                        rid,
                        code,
                        "amounts",
                        "; ".join(
                            f"{label}: {money(ob, oe)} → {money(nb, ne)}"
                            for label, ob, oe, nb, ne in changed
                        ),
                    )
                )
            if row["is_over_reported"] and not before["is_over_reported"]:
                events.append(Event(rid, code, "over_reported", now))
        previous = row
    return events


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
        for code, name, key, programme in con.execute(
            f"SELECT project_code, project_name, coalesce(beneficiary_eik, beneficiary_name), programme_code "
            f"FROM {projects}"
        ).fetchall():
            names[code] = safe_text(name)  # the previous release's Parquet keeps the text as read
            member[code] |= {("beneficiary", key), ("programme", programme)}
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


def write_feeds(
    con: duckdb.DuckDBPyConnection,
    site: Path,
    base_url: str,
    previous: Path | None,
    titles: dict[tuple[str, str], str],
) -> dict[str, int]:
    """One Atom file per municipality, beneficiary and programme that has events or a page.

    `base_url` ends with '/' and serves the latest release at its root (`bgfunds serve`);
    `titles` maps (kind, key) to the feed's title (the page's heading).
    """
    events = project_events(con)
    member, names = _memberships(con, previous)
    by_feed = defaultdict(list)
    for e in events:
        for feed in member.get(e.project_code, ()):
            by_feed[feed].append(e)
    counts = defaultdict(int)
    for (kind, key), title in titles.items():
        feed_events = sorted(
            by_feed.get((kind, key), []),
            key=lambda e: (e.release_id[:10], e.release_id, e.project_code),
            reverse=True,
        )[:MAX_ENTRIES]
        relative = f"feeds/{kind}/{slug(key)}.atom"
        entries = []
        for e in feed_events:
            link = f"{base_url}releases/{e.release_id}/site/{project_file(e.project_code)}"
            name = names.get(e.project_code) or e.project_code
            entries.append(
                f"<entry><id>urn:bgfunds:{escape(e.release_id)}:{escape(e.project_code)}:{e.kind}</id>"
                f"<title>{escape(EVENT_TITLES[e.kind])}: {escape(name)}</title>"
                f"<updated>{_stamp(e.release_id)}</updated>"
                f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
                f"<category term={quoteattr(e.kind)}/>"
                f'<summary type="html">'
                f"{escape(e.project_code + ' · издание ' + e.release_id + ' · ' + e.summary)}</summary>"
                f"</entry>\n"
            )
        updated = _stamp(feed_events[0].release_id) if feed_events else "1970-01-01T00:00:00Z"
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        page = f"{base_url}site/{kind}/{slug(key)}.html"
        path.write_text(
            atom(f"{base_url}site/{relative}", f"bgfunds: {title}", page, entries, updated),
            encoding="utf-8",
        )
        counts[kind] += 1
    return dict(counts)
