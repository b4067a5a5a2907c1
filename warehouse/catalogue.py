"""Release metadata generated from `registry.tables`: Frictionless Data Package, DCAT-AP
(JSON-LD), the bilingual data dictionary, the quality report, and the static `index.html`.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from registry.tables import Table

PACKAGE_NAME = "bgfunds-isun"
TITLE_BG = "Проекти, финансирани от ЕС в България (ИСУН 2020)"
TITLE_EN = "EU-funded projects in Bulgaria (ИСУН 2020)"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
SOURCE = {"title": "ИСУН 2020 public module", "path": "https://2020.eufunds.bg"}

_FRICTIONLESS_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMPTZ": "datetime",
    "JSON": "string",
}


def frictionless_type(duckdb_type: str) -> str:
    return "number" if duckdb_type.startswith("DECIMAL") else _FRICTIONLESS_TYPES[duckdb_type]


def table_schema(table: Table) -> dict:
    fields = []
    for f in table.fields:
        field = {
            "name": f.name,
            "type": frictionless_type(f.type),
            "title": f.bg,
            "description": f"{f.en} / {f.bg}",
        }
        if field["type"] == "datetime":
            field["format"] = (
                "default"  # ISO 8601: "2025-03-14 09:12:05Z" (`warehouse.export.csv_ready`)
            )
        if f.unit:
            field["unit"] = f.unit
        if not f.nullable:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": [fk.column],
                "reference": {"resource": fk.parent, "fields": [fk.parent_column]},
            }
            for fk in table.foreign_keys
        ]
    return schema


def datapackage(release_id: str, tables: list[Table], files: dict[str, dict]) -> dict:
    """Each table twice: as CSV (`<table>`) and as Parquet (`<table>-parquet`), with one schema."""
    resources = []
    for t in tables:
        csv = files[f"{t.name}.csv"]
        resources.append(
            {
                "name": t.name,
                "path": f"{t.name}.csv",
                "title": t.bg,
                "description": f"{t.en} / {t.bg}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "bytes": csv["bytes"],
                "hash": f"sha256:{csv['sha256']}",
                "schema": table_schema(t),
            }
        )
    for t in tables:
        parquet = files.get(f"{t.name}.parquet")
        if parquet:
            resources.append(
                {
                    "name": f"{t.name}-parquet",
                    "path": f"{t.name}.parquet",
                    "title": t.bg,
                    "description": f"{t.en} / {t.bg} (Parquet)",
                    "format": "parquet",
                    # No bytes/hash here: frictionless's Parquet reader does not count them (and
                    # would report a mismatch); SHA256SUMS and dcat.jsonld carry both.
                    "mediatype": "application/vnd.apache.parquet",
                    "schema": {k: v for k, v in table_schema(t).items() if k != "foreignKeys"},
                }
            )
    return {
        "name": PACKAGE_NAME,
        "title": f"{TITLE_BG} / {TITLE_EN}",
        "version": release_id,
        "licenses": [LICENSE],
        "sources": [SOURCE],
        "resources": resources,
    }


def validate_datapackage(
    path: Path,
    checked_elsewhere: frozenset[tuple[str, str]] = frozenset(),
    unchanged: frozenset[str] = frozenset(),
    hashes: bool = True,
) -> dict:
    """Validate the Data Package: its descriptor with the frictionless library, every row of its
    CSV resources against their Table Schema with DuckDB (`warehouse.datapackage_check`: types,
    required fields, primary and foreign keys, header, bytes and, with `hashes`, hash).

    Foreign keys named in `checked_elsewhere` are left to the build's checks (`_as_validated`).
    The Parquet resources hold the same rows (one writer, `warehouse.export`); for those the
    file's own schema is compared with the declared one (names and order).

    Resources named in `unchanged` (their files are the previous release's, which validated
    them: `warehouse.release_reuse`) are not read again, unless a foreign key that is
    validated here ties them to one that is.
    """
    import pyarrow.parquet as pq
    from frictionless import FrictionlessException, Package

    from warehouse.datapackage_check import check_csv_resources

    path = Path(path)
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    try:
        errors = [f"package: {e.type}: {e.message}" for e in Package.metadata_validate(descriptor)]
    except FrictionlessException as exc:
        errors = [f"package: {exc.error.type}: {exc.error.message}"]
    resources = [
        _as_validated(r, checked_elsewhere)
        for r in descriptor["resources"]
        if r.get("format") != "parquet"
    ]
    tied = {
        name
        for r in resources
        for fk in r["schema"].get("foreignKeys", [])
        for name in (r["name"], fk["reference"].get("resource") or r["name"])
    }
    to_read = [r for r in resources if r["name"] not in unchanged or r["name"] in tied]
    by_resource = check_csv_resources(to_read, path.parent, every=resources, hashes=hashes)
    errors += [e for r in to_read for e in by_resource.get(r["name"], [])]
    for r in descriptor["resources"]:
        if r.get("format") == "parquet":
            names = pq.read_schema(path.parent / r["path"]).names
            declared = [f["name"] for f in r["schema"]["fields"]]
            if names != declared:
                errors.append(
                    f"{r['name']}: schema: the file's columns {names} are not the declared {declared}"
                )
    return {
        "valid": not errors,
        "errors": errors[:50],
        "error_count": len(errors),
        "rows_checked_per_resource": "all",
        "resources_read": len(to_read),
    }


def _as_validated(resource: dict, checked_elsewhere: frozenset[tuple[str, str]]) -> dict:
    """A CSV resource as it is validated: its dialect stated (our one writer's), and without
    the foreign keys (resource, column) that `checked_elsewhere` names: those are checked on
    every row by the build's blocking checks."""
    schema = dict(resource["schema"])
    keys = [
        fk
        for fk in schema.get("foreignKeys", [])
        if (resource["name"], fk["fields"][0]) not in checked_elsewhere
    ]
    if keys:
        schema["foreignKeys"] = keys
    else:
        schema.pop("foreignKeys", None)
    return {
        **resource,
        "schema": schema,
        "dialect": {"csv": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True}},
    }


def dcat(release_id: str, issued: str, files: dict[str, dict], base_url: str = "") -> dict:
    distributions = []
    for name, info in sorted(files.items()):
        distributions.append(
            {
                "@type": "dcat:Distribution",
                "dct:title": name,
                "dcat:downloadURL": {"@id": f"{base_url}{name}"},
                "dcat:mediaType": info["mediatype"],
                "dcat:byteSize": {"@value": str(info["bytes"]), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": info["sha256"],
                },
                "dct:license": {"@id": LICENSE["path"]},
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "spdx": "http://spdx.org/rdf/terms#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@type": "dcat:Dataset",
        "@id": f"{base_url}#dataset",
        "dct:identifier": f"{PACKAGE_NAME}/{release_id}",
        "dct:title": [
            {"@value": TITLE_BG, "@language": "bg"},
            {"@value": TITLE_EN, "@language": "en"},
        ],
        "dct:description": [
            {
                "@value": "Договори, дейности и суми от ИСУН 2020, нормализирани и проверени.",
                "@language": "bg",
            },
            {
                "@value": "Contracts, activities and amounts from ИСУН 2020, normalised and validated.",
                "@language": "en",
            },
        ],
        "dct:issued": {"@value": issued, "@type": "xsd:dateTime"},
        "dct:modified": {"@value": issued, "@type": "xsd:dateTime"},
        "owl:versionInfo": release_id,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "bgfunds"},
        "dct:spatial": {"@id": "http://publications.europa.eu/resource/authority/country/BGR"},
        "dcat:theme": [
            {"@id": "http://publications.europa.eu/resource/authority/data-theme/ECON"},
            {"@id": "http://publications.europa.eu/resource/authority/data-theme/GOVE"},
        ],
        "dct:source": {"@id": SOURCE["path"]},
        "dct:license": {"@id": LICENSE["path"]},
        "dcat:distribution": distributions,
    }


def dictionary_rows(tables: list[Table]) -> list[dict]:
    return [
        {
            "table": t.name,
            "field": f.name,
            "type": f.type,
            "unit": f.unit or "",
            "primary_key": f.name in t.primary_key,
            "required": not f.nullable,
            "description_bg": f.bg,
            "description_en": f.en,
        }
        for t in tables
        for f in t.fields
    ]


def dictionary_markdown(tables: list[Table]) -> str:
    lines = ["# Речник на данните / Data dictionary", ""]
    for t in tables:
        lines += [
            f"## {t.name}",
            "",
            f"{t.bg}  ",
            f"{t.en}",
            "",
            f"Ключ / primary key: {', '.join(t.primary_key) or '—'}",
            "",
            "| поле / field | тип / type | единица / unit | описание | description |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| {f.name} | {f.type} | {f.unit or ''} | {f.bg} | {f.en} |" for f in t.fields]
        lines.append("")
    return "\n".join(lines)


def _coverage_html(coverage: dict | None) -> str:
    """The release's coverage of ИСУН (`warehouse.coverage`): a sentence, freshness, a row per programme."""
    if not coverage:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(p['programme_id']))}/{escape(str(p['period_id']))}</td><td>{escape(p['name'] or '')}</td>"
        f"<td>{'' if p['in_api'] is None else p['in_api']}</td><td>{p['in_release']}</td><td>{p['with_page_detail']}</td>"
        f"<td>{escape(p['fetched_at'] or 'not fetched yet')}</td></tr>"
        for p in coverage["programmes"]
    )
    fresh = "".join(
        f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in coverage["freshness"].items()
    )
    return (
        f"<h2>Обхват / Coverage</h2><p>{escape(coverage['line'])}; register export: {coverage['export_rows']} "
        f"rows, {coverage['export_rows_not_in_api']} not in the API</p><ul>{fresh}</ul>"
        "<table><tr><th>programme</th><th>name</th><th>in the API</th><th>in the release</th>"
        f"<th>with page detail</th><th>fetched</th></tr>{rows}</table>"
    )


def _data_docs_link(report: dict) -> str:
    """A link to the release's Great Expectations Data Docs, if the build published them."""
    docs = (report.get("great_expectations") or {}).get("data_docs")
    if not docs:
        return ""
    return (
        f'<p id="data-docs">Great Expectations Data Docs: <a href="{escape(docs)}">{escape(docs)}</a> '
        "(правилата и резултатите по таблици / every table's rules and results)</p>"
    )


def quality_report_html(report: dict) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{t['rows']}</td><td>{t['expectations_evaluated']}</td>"
        f'<td class="{"ok" if t["success"] else "bad"}">{"passed" if t["success"] else "FAILED"}</td></tr>'
        for name, t in report["tables"].items()
    )
    q = "".join(
        f"<tr><td>{escape(k)}</td><td>{v}</td></tr>"
        for k, v in report["quarantine"]["by_table_rule"].items()
    )
    fr = report["frictionless"]
    coverage = _coverage_html(report.get("coverage"))
    return f"""<!DOCTYPE html><html lang="bg"><head><meta charset="utf-8"><title>Quality report {escape(report["release_id"])}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}table{{border-collapse:collapse}}.ok{{color:#2e7d32}}.bad{{color:#c62828}}</style>
</head><body><h1>Доклад за качеството / Quality report — {escape(report["release_id"])}</h1>
<h2>Great Expectations</h2>{_data_docs_link(report)}<table><tr><th>table</th><th>rows</th><th>expectations</th><th>result</th></tr>{rows}</table>
<h2>Карантина / Quarantine: {report["quarantine"]["total"]} rows</h2><table><tr><th>table:rule</th><th>rows</th></tr>{q}</table>
{coverage}<h2>Frictionless Data Package</h2><p class="{"ok" if fr["valid"] else "bad"}">{"valid" if fr["valid"] else "INVALID"} ({fr["error_count"]} errors;
rows read per file: {escape(str(fr.get("rows_checked_per_resource", "all")))})</p>
</body></html>"""


EXAMPLE_QUERIES = [
    (
        "Усвояване по програми / Absorption by programme",
        "-- every contract (projects.parquet holds all of them); equals absorption_by_programme.parquet\n"
        "SELECT programme_code, count(*) AS projects,\n       sum(amount_total_eur) AS contracted_eur,\n"
        "       sum(amount_paid_eur) AS paid_eur,\n       round(sum(amount_paid_eur) / sum(amount_total_eur), 4) AS payment_rate\n"
        "FROM 'projects.parquet' GROUP BY ALL ORDER BY contracted_eur DESC;",
    ),
    (
        "Дейности, отчетени над договореното / Activities reported above contracted",
        "SELECT project_code, activity_no, activity_name, amount_contracted_eur, amount_reported_eur, execution_rate\n"
        "FROM 'activities.parquet' WHERE is_over_reported ORDER BY execution_rate DESC;",
    ),
    (
        "Най-големи бенефициенти / Top beneficiaries",
        "-- by ЕИК, else name (as absorption_by_beneficiary.parquet); beneficiaries without ЕИК together\n"
        "SELECT coalesce(beneficiary_eik, beneficiary_name,\n"
        "                CASE WHEN beneficiary_without_eik THEN 'without_eik' END) AS beneficiary_key,\n"
        "       any_value(beneficiary_name) AS beneficiary_name, count(*) AS projects,\n"
        "       sum(amount_total_eur) AS contracted_eur\n"
        "FROM 'projects.parquet' GROUP BY beneficiary_key ORDER BY contracted_eur DESC LIMIT 20;",
    ),
    (
        "Развитие на изплатените суми / Paid amounts over releases (state as of each release)",
        "-- history_projects keeps a row only when a project changes: the state as of a release is each project's\n"
        "-- latest row at or before it (ready-made: 'totals_over_releases.parquet').\n"
        "WITH r AS (SELECT DISTINCT release_id FROM 'history_projects.parquet'),\n"
        "state AS (SELECT r.release_id AS as_of, h.* FROM r JOIN 'history_projects.parquet' h ON h.release_id <= r.release_id\n"
        "          QUALIFY row_number() OVER (PARTITION BY r.release_id, h.project_code ORDER BY h.release_id DESC) = 1)\n"
        "SELECT as_of AS release_id, count(*) FILTER (WHERE NOT is_removed) AS projects,\n"
        "       sum(amount_paid_eur) FILTER (WHERE NOT is_removed) AS paid_eur\n"
        "FROM state GROUP BY ALL ORDER BY release_id;",
    ),
]


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def index_html(
    *,
    release_id: str,
    issued: str,
    tables: list[Table],
    files: dict[str, dict],
    counts: dict[str, int],
    quality: dict,
    changelog: dict,
    charts: list[str],
    dictionary: list[dict],
) -> str:
    def link(name: str) -> str:
        info = files[name]
        return (
            f'<a href="{escape(name)}">{escape(name)}</a><br><small>{_size(info["bytes"])} · '
            f'<code title="SHA-256">{info["sha256"][:16]}…</code></small>'
        )

    datasets = "".join(
        f"<tr><td><b>{escape(t.name)}</b><br><small>{escape(t.bg)}<br>{escape(t.en)}</small></td>"
        f'<td class="num">{counts.get(t.name, 0):,}</td><td>{link(t.name + ".parquet")}</td><td>{link(t.name + ".csv")}</td>'
        f"<td>{link(t.name + '.xlsx') if t.name + '.xlsx' in files else ''}</td></tr>"
        for t in tables
    )
    dict_rows = "".join(
        f"<tr><td>{escape(r['table'])}</td><td><code>{escape(r['field'])}</code></td><td>{escape(r['type'])}</td>"
        f"<td>{escape(r['unit'])}</td><td>{escape(r['description_bg'])}</td><td>{escape(r['description_en'])}</td></tr>"
        for r in dictionary
    )
    checks = "".join(
        f'<li>{escape(name)}: <b class="{"ok" if t["success"] else "bad"}">{"passed" if t["success"] else "FAILED"}</b> '
        f"({t['expectations_evaluated']} expectations, {t['rows']:,} rows)</li>"
        for name, t in quality["tables"].items()
    )
    quarantine = "".join(
        f"<li>{escape(k)}: {v}</li>" for k, v in quality["quarantine"]["by_table_rule"].items()
    )
    queries = "".join(
        f"<h3>{escape(title)}</h3><pre>{escape(sql)}</pre>" for title, sql in EXAMPLE_QUERIES
    )
    s = changelog["summary"]
    other = "".join(
        f'<li><a href="{n}">{n}</a> <small>{_size(files[n]["bytes"])}</small></li>'
        for n in sorted(files)
        if not n.endswith((".parquet", ".csv", ".xlsx"))
    )
    coverage = quality.get("coverage", {}).get("site_line") or quality.get("coverage", {}).get(
        "line", ""
    )
    return f"""<!DOCTYPE html>
<html lang="bg"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bgfunds — {escape(release_id)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222}}
h1{{color:#1f5f99}} table{{border-collapse:collapse;width:100%;margin:1em 0}} td,th{{border:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}}
th{{background:#f3f6fa}} .num{{text-align:right}} .ok{{color:#2e7d32}} .bad{{color:#c62828}} pre{{background:#f6f8fa;padding:.8em;overflow:auto}}
.charts{{display:flex;flex-direction:column;gap:1.5em}} small{{color:#555}}
</style></head><body>
<h1>{escape(TITLE_BG)}<br><small>{escape(TITLE_EN)}</small></h1>
<p>Издание / release <b id="release-id">{escape(release_id)}</b>, {escape(issued)}. Източник / source: <a href="{SOURCE["path"]}">{escape(SOURCE["title"])}</a>.
Лиценз / licence: <a href="{LICENSE["path"]}">{LICENSE["name"]}</a>. Суми в евро при 1 EUR = 1,95583 лв. / Amounts in EUR at 1 EUR = 1.95583 BGN.</p>
<p id="site-link" style="font-size:1.2em">➜ <a href="site/index.html"><b>Търсене по община, бенефициент, проект и програма</b>
/ search by municipality, beneficiary, project and programme</a> (без SQL / no SQL needed)</p>
<p id="coverage">{escape(coverage)}</p>
<h2 id="charts">Усвояване / Absorption</h2><div class="charts">{"".join(charts)}</div>
<h2 id="datasets">Набори от данни / Datasets</h2>
<p><small>CSV: for tools (comma-separated, point decimals, column names as in Parquet). For Excel open the XLSX:
Bulgarian column titles, real numbers. / CSV е за програми; за Excel отворете XLSX: заглавия на български, числа като числа.
absorption_by_municipality и absorption_by_district: проект на няколко места се отчита за всяко — не събирайте по места.</small></p>
<table><tr><th>таблица / table</th><th>редове / rows</th><th>Parquet (zstd)</th><th>CSV (UTF-8, BOM)</th><th>Excel</th></tr>{datasets}</table>
<p>Цялата база / whole database: {link("warehouse.duckdb")}</p>
<p>Метаданни / metadata:</p><ul>{other}</ul>
<h2 id="quality">Качество / Quality</h2>
{_data_docs_link(quality)}<ul>{checks}<li>Frictionless Data Package: <b class="{"ok" if quality["frictionless"]["valid"] else "bad"}">{"valid" if quality["frictionless"]["valid"] else "INVALID"}</b></li></ul>
<p>В карантина / quarantined: <b id="quarantine-total">{quality["quarantine"]["total"]}</b> rows</p><ul>{quarantine}</ul>
<p>Промени / changes since the previous release: {s["added"]} added, {s["removed"]} removed, {s["projects_changed"]} changed
(<a href="changelog.md">changelog.md</a>).</p>
<h2 id="queries">Примерни заявки в DuckDB / Example DuckDB queries</h2>
<p>Run in this folder with <code>duckdb</code> or <code>python -c "import duckdb; print(duckdb.sql(...))"</code>.</p>{queries}
<h2 id="dictionary">Речник на данните / Data dictionary</h2>
<table><tr><th>table</th><th>field</th><th>type</th><th>unit</th><th>описание</th><th>description</th></tr>{dict_rows}</table>
</body></html>
"""


def write_json(path: Path, data) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
