"""Text made safe for every published output, at one boundary: the release's exports.

ИСУН serves names and descriptions as they were typed into it, and they carry what Word
and copy-paste leave behind: field marks (U+0013/U+0014), ESC and other C0 controls, C1
controls (U+0080–U+009F), the non-characters U+FFFE/U+FFFF (and U+FDD0–U+FDEF and the
last two of every plane), bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069)
that make a name display as another, and zero-width characters (U+200B–U+200D, U+2060,
U+FEFF). XLSX and XML (Atom) refuse the controls outright; a browser shows the overrides.

The rule is one regular expression, `UNSAFE`, written in the syntax Python, Arrow and
DuckDB (RE2) share: every match is removed (tab, line feed and carriage return stay;
they are valid everywhere). It runs once, in `warehouse.release.export_files`, over the
release's DuckDB copy and the CSV batches; the Parquet files keep the text as read.

Lone surrogates (`"\\ud800"` in a JSON answer) cannot be stored as UTF-8 at all, so they
are replaced by U+FFFD where the text is read (`replace_surrogates`), not here.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# C0 but \t \n \r; DEL and C1; bidi embeddings/overrides/isolates; zero-width; BOM;
# non-characters of the BMP and the last two code points of every plane.
_RANGES = (
    r"\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{7F}-\x{9F}"
    r"\x{200B}-\x{200D}\x{2060}\x{FEFF}"
    r"\x{202A}-\x{202E}\x{2066}-\x{2069}"
    r"\x{FDD0}-\x{FDEF}\x{FFFE}\x{FFFF}"
)
_PLANE_ENDS = "".join(rf"\x{{{p:X}FFFE}}\x{{{p:X}FFFF}}" for p in range(1, 17))
UNSAFE = "[" + _RANGES + _PLANE_ENDS + "]"  # RE2 / Arrow syntax

_UNSAFE_PY = re.compile(
    re.sub(r"\\x\{([0-9A-F]+)\}", lambda m: rf"\U{int(m.group(1), 16):08X}", UNSAFE)
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: str | None) -> str | None:
    """The text without the characters `UNSAFE` matches (None stays None)."""
    if value is None:
        return None
    return _UNSAFE_PY.sub("", value)


def is_safe(value: str) -> bool:
    return _UNSAFE_PY.search(value) is None


def replace_surrogates(value: str) -> str:
    """Lone surrogates (unencodable as UTF-8) as U+FFFD; everything else as it was."""
    return _SURROGATE.sub("\ufffd", value)


def _is_text(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or (pa.types.is_string_view(data_type))
    )


def safe_arrow(table: pa.Table) -> pa.Table:
    """Every text column of an Arrow table with `UNSAFE` removed."""
    columns = []
    for column in table.columns:
        if _is_text(column.type):
            column = pc.replace_substring_regex(column, UNSAFE, "")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def duckdb_safe_sql(column: str) -> str:
    """An SQL expression of `column` (quoted) with `UNSAFE` removed."""
    return f"regexp_replace({column}, '{UNSAFE}', '', 'g')"


def make_database_safe(con, tables: list[str]) -> dict[str, int]:
    """Remove `UNSAFE` from every VARCHAR column of `tables` in a DuckDB connection, in place.

    Only rows holding such a character are rewritten; returns {table.column: rows changed}."""
    changed: dict[str, int] = {}
    for table in tables:
        columns = [
            name
            for name, data_type in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE table_name = ? AND NOT internal",
                [table],
            ).fetchall()
            if data_type == "VARCHAR"
        ]
        for name in columns:
            quoted = '"' + name.replace('"', '""') + '"'
            n = con.execute(
                f"UPDATE {table} SET {quoted} = {duckdb_safe_sql(quoted)} "
                f"WHERE regexp_matches({quoted}, '{UNSAFE}')"
            ).fetchone()[0]
            if n:
                changed[f"{table}.{name}"] = n
    return changed
