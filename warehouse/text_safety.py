"""Text made safe for every published output, at one boundary: the release's exports.

ИСУН serves names and descriptions as they were typed into it, and they carry what Word
and copy-paste leave behind: field marks (U+0013/U+0014), ESC and other C0 controls, C1
controls (U+0080–U+009F), the non-characters U+FFFE/U+FFFF (and U+FDD0–U+FDEF and the
last two of every plane), bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069)
that make a name display as another, and zero-width characters (U+200B–U+200D, U+2060,
U+FEFF). XLSX and XML (Atom) refuse the controls outright; a browser shows the overrides.

The rule is one regular expression, `UNSAFE`, written in the syntax Python, Arrow and
DuckDB (RE2) share: every match is removed (tab, line feed and carriage return stay;
they are valid everywhere). The release scans for it once (`unsafe_cells`, in
`warehouse.release.export_files`); the columns found are cleaned in the CSV batches and,
for the XLSX, the site and its feeds, through a connection whose TEMP views read those
columns cleaned (`connect_text_safe`: nothing is copied, a table without such text is read
as it is). The Parquet and DuckDB files keep the text as read.

Lone surrogates (`"\\ud800"` in a JSON answer) cannot be stored as UTF-8 at all, so they
are replaced by U+FFFD where the text is read (`replace_surrogates`), not here.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.duckdb_store import connect

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


def safe_arrow(table: pa.Table, only: Collection[str] | None = None) -> pa.Table:
    """Every text column of an Arrow table (or those named in `only`) with `UNSAFE` removed."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if _is_text(column.type) and (only is None or name in only):
            column = pc.replace_substring_regex(column, UNSAFE, "")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


# In JSON text the same characters also come escaped (`\u0013`, `\b`): those escapes are
# removed too; an escaped backslash (first alternative) is kept as it is, so the scan from
# the left never reads half of one.
JSON_ESCAPES = (
    r"(\\\\)|\\(?:b|f|u000[0-8bBcCeEfF]|u001[0-9a-fA-F]|u007[fF]|u00[89][0-9a-fA-F]"
    r"|u200[bBcCdD]|u2060|u202[a-eA-E]|u206[6-9]|u[fF][eE][fF][fF]|u[fF][dD][dDeE][0-9a-fA-F]"
    r"|u[fF]{3}[eEfF]|u[dD][89a-fA-F][0-9a-fA-F]{2})"
)


# What a JSON cell may hold that `duckdb_safe_sql` removes: the characters, or their escapes
# (an escaped backslash followed by such a letter counts too: it is only rewritten as it was).
JSON_UNSAFE = UNSAFE + "|" + JSON_ESCAPES.split("|", 1)[1]


def duckdb_safe_sql(column: str, data_type: str = "VARCHAR") -> str:
    """An SQL expression of `column` (quoted) with `UNSAFE` removed (and, for JSON, its escapes)."""
    if data_type == "JSON":
        text = f"regexp_replace(CAST({column} AS VARCHAR), '{UNSAFE}', '', 'g')"
        return f"CAST(regexp_replace({text}, '{JSON_ESCAPES}', '\\1', 'g') AS JSON)"
    return f"regexp_replace({column}, '{UNSAFE}', '', 'g')"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def unsafe_cells(con, database: str | None = None) -> dict[str, dict[str, int]]:
    """{table or view: {column: cells holding `UNSAFE`}} over every VARCHAR and JSON column of
    the tables and views of `database` (one scan each; columns with none left out, tables
    with none too). The one regex pass of the release: the CSV export and the text-safe views
    rewrite only the columns named here, and copy every other column as it is. `database`:
    an attached database's name (default the connection's own)."""
    database = database or con.execute("SELECT current_database()").fetchone()[0]
    found: dict[str, dict[str, int]] = {}
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
        "WHERE database_name = ? AND NOT internal ORDER BY 2",
        [database, database],
    ).fetchall():
        text = _text_columns(con, database, schema, table)
        if not text:
            continue
        counts = con.execute(
            "SELECT "
            + ", ".join(
                f"count(*) FILTER (WHERE regexp_matches(CAST({_quote(c)} AS VARCHAR), "
                f"'{UNSAFE if t != 'JSON' else JSON_UNSAFE}'))"
                for c, t in text
            )
            + f" FROM {_quote(database)}.{_quote(schema)}.{_quote(table)}"
        ).fetchone()
        columns = {c: n for (c, _), n in zip(text, counts, strict=True) if n}
        if columns:
            found[table] = columns
    return found


def _text_columns(con, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (c, t)
        for c, t in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [database, schema, table],
        ).fetchall()
        if t in ("VARCHAR", "JSON")
    ]


def text_safe_views(con, unsafe: dict[str, dict[str, int]]) -> None:
    """On `con` (read-only will do), a TEMP view over each table that `unsafe` names, with
    `UNSAFE` removed from the columns it names: DuckDB resolves a name to the temp view
    before the table, the file's own views included, so every query on that connection
    reads safe text and nothing is copied. Tables without unsafe text are read as they are."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "ORDER BY table_name",
        [database],
    ).fetchall():
        rewrite = unsafe.get(table)
        if not rewrite:
            continue
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [database, schema, table],
        ).fetchall()
        select = ", ".join(
            f"{duckdb_safe_sql(_quote(c), t)} AS {_quote(c)}" if c in rewrite else _quote(c)
            for c, t in columns
        )
        con.execute(
            f"CREATE TEMP VIEW {_quote(table)} AS SELECT {select} "
            f"FROM {_quote(database)}.{_quote(schema)}.{_quote(table)}"
        )


def connect_text_safe(path: Path | str, unsafe: dict[str, dict[str, int]]):
    """A read-only connection to a DuckDB file that reads its text safe (`text_safe_views`)."""
    con = connect(path, read_only=True)
    try:
        text_safe_views(con, unsafe)
    except BaseException:
        con.close()
        raise
    return con


def _create_views(statements: list[str], con) -> None:
    """Views in an order that works (one may read another, whatever the catalogue's order)."""
    pending = list(statements)
    while pending:
        failed = []
        for sql in pending:
            try:
                con.execute(sql)
            except duckdb.CatalogException:
                failed.append(sql)
        if len(failed) == len(pending):
            con.execute(failed[0])  # raises: a view that reads something that is not there
        pending = failed


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
