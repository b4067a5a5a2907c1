"""The Data Package's CSV resources checked against their Table Schema by DuckDB, every row.

What frictionless checks of a CSV resource, each rule as one DuckDB query over the file
(read with the dialect the descriptor states, every cell as text, as frictionless reads it):

- the file: its size is the declared `bytes` (and, with `hashes`, its SHA-256 the declared
  `hash`); it decodes as UTF-8; every row has as many cells as the header (DuckDB's strict
  CSV reader refuses one that has not): `source-error`, `hash-count`, `byte-count`;
- the header: the field names, in order (`incorrect-label`);
- each cell: empty is missing (`missingValues: [""]`); a value parses as its field's type,
  with the lexical forms frictionless accepts by default (`type-error`): integers as digits
  with an optional sign, numbers as decimals with an optional exponent (or NaN/INF), booleans
  as true/True/TRUE/1 and false/False/FALSE/0, dates as YYYY-MM-DD, datetimes as ISO 8601
  with a date and a time (`T` or a space between them, an optional offset or `Z`);
- a required field holds no missing cell (`constraint-error`);
- the primary key: no missing part, no key twice (`primary-key`);
- each foreign key: every value that is there is a value of the referenced field of the
  referenced resource (`foreign-key`).

frictionless 5.21 reads rows in Python (and sniffs each file's dialect, and reads a whole
referenced file for a foreign key): at 10 000 contracts its reading of the first 10 000 rows
of each resource cost 20 CPU seconds. These queries read every row in a fraction of that.
The descriptor itself is still validated by frictionless (`warehouse.catalogue`).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb

from warehouse.duckdb_store import connect

EXAMPLES = 3
# Frictionless's default lexical forms (its `bareNumber`, `trueValues`/`falseValues`, formats).
_LEXICAL = {
    "integer": r"[+-]?[0-9]+",
    "number": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|nan|[+-]?(INF|inf)",
    "boolean": r"true|True|TRUE|1|false|False|FALSE|0",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "datetime": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?",
}
_CAST = {"date": "DATE", "datetime": "TIMESTAMPTZ"}  # the calendar checked too: no 2026-02-30


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(path: Path, fields: list[dict]) -> str:
    columns = "{" + ", ".join(f"{_literal(f['name'])}: 'VARCHAR'" for f in fields) + "}"
    return (
        f"read_csv({_literal(str(path))}, header = true, auto_detect = false, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
        "null_padding = false, encoding = 'utf-8')"
    )


def _missing(column: str) -> str:
    return f"({column} IS NULL OR {column} = '')"


def _bad_value(column: str, field_type: str) -> str | None:
    """True where the cell is there and is not a value of the type (None: every text is)."""
    pattern = _LEXICAL.get(field_type)
    if pattern is None:
        return None
    bad = f"NOT regexp_full_match({column}, {_literal(pattern)})"
    if field_type in _CAST:
        bad = f"({bad} OR TRY_CAST({column} AS {_CAST[field_type]}) IS NULL)"
    return f"(NOT {_missing(column)} AND {bad})"


def _file_errors(name: str, resource: dict, path: Path, hashes: bool) -> list[str]:
    errors = []
    if not path.is_file():
        return [f"{name}: scheme-error: the file {resource['path']} is not there"]
    size = path.stat().st_size
    if "bytes" in resource and resource["bytes"] != size:
        errors.append(f"{name}: byte-count: the file has {size} bytes, not {resource['bytes']}")
    if hashes and "hash" in resource:
        algorithm, _, declared = resource["hash"].rpartition(":")
        digest = hashlib.new(algorithm or "md5")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != declared:
            errors.append(f"{name}: hash-count: the file's {algorithm} is not the declared one")
    encoding = resource.get("encoding", "utf-8")
    try:
        with open(path, encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        return [*errors, f"{name}: encoding-error: {exc}"]
    declared = [f["name"] for f in resource["schema"]["fields"]]
    if header != declared:
        errors.append(f"{name}: incorrect-label: the header {header} is not the fields {declared}")
    return errors


def _row_errors(con: duckdb.DuckDBPyConnection, name: str, schema: dict) -> list[str]:
    """Type, required and primary-key errors of the resource's view `name`, in one scan (and
    one more for duplicate keys)."""
    fields = schema["fields"]
    key = list(schema.get("primaryKey") or [])
    # (error type, what it says, SQL true on a bad row, what a bad row shows)
    checks: list[tuple[str, str, str, str]] = []
    for f in fields:
        column = _q(f["name"])
        bad = _bad_value(column, f["type"])
        if bad:
            checks.append(("type-error", f"{f['name']} is not a {f['type']}", bad, column))
        if (f.get("constraints") or {}).get("required") or f["name"] in key:
            what = "primary-key" if f["name"] in key else "constraint-error"
            checks.append((what, f"{f['name']} is missing", _missing(column), "NULL"))
    errors = []
    if checks:
        counted = con.execute(
            "SELECT "
            + ", ".join(
                f"count(*) FILTER (WHERE {sql}), list({shown}) FILTER (WHERE {sql})[1:{EXAMPLES}]"
                for _, _, sql, shown in checks
            )
            + f" FROM {_q(name)}"
        ).fetchone()
        for i, (kind, what, _, _) in enumerate(checks):
            count, examples = counted[2 * i], counted[2 * i + 1]
            if count:
                shown = f", e.g. {examples}" if kind == "type-error" else ""
                errors.append(f"{name}: {kind}: {what} in {count} rows{shown}")
    if key:
        cols = ", ".join(_q(c) for c in key)
        twice = con.execute(
            f"SELECT {cols}, count(*) FROM {_q(name)} GROUP BY ALL HAVING count(*) > 1 "
            f"LIMIT {EXAMPLES}"
        ).fetchall()
        if twice:
            errors.append(f"{name}: primary-key: keys more than once, e.g. {twice}")
    return errors


def _foreign_key_errors(
    con: duckdb.DuckDBPyConnection, name: str, schema: dict, known: set[str]
) -> list[str]:
    errors = []
    for fk in schema.get("foreignKeys", []):
        parent = fk["reference"].get("resource") or name
        if parent not in known:
            errors.append(f"{name}: foreign-key: the resource {parent!r} is not in the package")
            continue
        child = " AND ".join(f"{_q(c)} IS NOT NULL AND {_q(c)} <> ''" for c in fk["fields"])
        match = " AND ".join(
            f"p.{_q(pc)} = c.{_q(cc)}"
            for cc, pc in zip(fk["fields"], fk["reference"]["fields"], strict=True)
        )
        cols = ", ".join(f"c.{_q(c)}" for c in fk["fields"])
        missing = con.execute(
            f"SELECT count(*), list(DISTINCT ({cols}))[1:{EXAMPLES}] FROM {_q(name)} c "
            f"WHERE {child} AND NOT EXISTS (SELECT 1 FROM {_q(parent)} p WHERE {match})"
        ).fetchone()
        if missing[0]:
            errors.append(
                f"{name}: foreign-key: {missing[0]} rows whose {fk['fields']} is not in "
                f"{parent} {fk['reference']['fields']}, e.g. {missing[1]}"
            )
    return errors


def check_csv_resources(
    resources: list[dict], base: Path, every: list[dict] | None = None, hashes: bool = True
) -> dict[str, list[str]]:
    """{resource name: its errors} for the CSV `resources` (as the descriptor states them,
    paths relative to `base`); `every`: all the package's CSV resources, those a foreign key
    may refer to (default `resources`). With `hashes`, each file's digest is checked against
    its declared `hash` (off where the descriptor's hashes were just computed from these files)."""
    every = every or resources
    found: dict[str, list[str]] = {}
    con = connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for r in every:
            con.execute(
                f"CREATE VIEW {_q(r['name'])} AS SELECT * FROM "
                f"{_reader(base / r['path'], r['schema']['fields'])}"
            )
        known = {r["name"] for r in every}
        for r in resources:
            name = r["name"]
            errors = _file_errors(name, r, base / r["path"], hashes)
            if not any(" encoding-error:" in e or " scheme-error:" in e for e in errors):
                try:
                    errors += _row_errors(con, name, r["schema"])
                    errors += _foreign_key_errors(con, name, r["schema"], known)
                except duckdb.Error as exc:  # not CSV as stated: a row too long, bad UTF-8
                    errors.append(f"{name}: source-error: {str(exc).splitlines()[0]}")
            found[name] = errors
    finally:
        con.close()
    return found
