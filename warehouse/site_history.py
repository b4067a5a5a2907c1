"""A project's amounts as of every release since it appeared, for its page (chart and table).

Read from the history tables (`history_projects`, `history_activities`) a range of project
codes at a time; the state as of a release is each key's latest row at or before it.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

import duckdb

from warehouse.charts import grouped_bar_chart
from warehouse.site_common import money, query_rows, table_columns
from warehouse.views import release_order_key


def project_history(con: duckdb.DuckDBPyConnection, first: str, last: str) -> dict[str, str]:
    """Per project from `first` to `last`: its amounts as of every release since it appeared (chart and table)."""
    if not table_columns(con, "history_projects"):
        return {}
    # Every release a history row names: one where only activities changed has no project row.
    activities = (
        " UNION SELECT release_id FROM history_activities"
        if table_columns(con, "history_activities")
        else ""
    )
    releases = [
        r[0]
        for r in con.execute(
            f"SELECT release_id FROM (SELECT release_id FROM history_projects{activities}) "
            f"ORDER BY {release_order_key('release_id')}"
        ).fetchall()
    ]
    reported = defaultdict(dict)  # code -> release -> (bgn, eur), state as of the release
    if table_columns(con, "history_activities"):
        for r in query_rows(
            con,
            "SELECT release_id, project_code, activity_no, amount_reported_bgn, amount_reported_eur, "
            "is_removed FROM history_activities WHERE project_code BETWEEN ? AND ? "
            f"ORDER BY project_code, {release_order_key('release_id')}",
            [first, last],
        ):
            reported[r["project_code"]].setdefault("_rows", []).append(r)
    out, position = {}, {r: i for i, r in enumerate(releases)}
    rows = query_rows(
        con,
        "SELECT * FROM history_projects WHERE project_code BETWEEN ? AND ? ORDER BY project_code, "
        + release_order_key("release_id"),
        [first, last],
    )
    by_code = defaultdict(list)
    for r in rows:
        by_code[r["project_code"]].append(r)
    for code, changes in by_code.items():
        state, series, table = None, [], []
        acts_rows = reported.get(code, {}).get("_rows", [])
        acts_state: dict = {}
        ci = ai = 0
        for rel in releases:
            while ci < len(changes) and position[changes[ci]["release_id"]] <= position[rel]:
                state = changes[ci]
                ci += 1
            while ai < len(acts_rows) and position[acts_rows[ai]["release_id"]] <= position[rel]:
                acts_state[acts_rows[ai]["activity_no"]] = acts_rows[ai]
                ai += 1
            if state is None:
                continue
            rep_bgn = sum(
                (a["amount_reported_bgn"] or 0) for a in acts_state.values() if not a["is_removed"]
            )
            rep_eur = sum(
                (a["amount_reported_eur"] or 0) for a in acts_state.values() if not a["is_removed"]
            )
            gone = state["is_removed"]
            series.append(
                (
                    rel,
                    {
                        "contracted": float(state["amount_total_eur"] or 0),
                        "reported": float(rep_eur),
                        "paid": float(state["amount_paid_eur"] or 0),
                    },
                )
            )
            table.append(
                f"<tr><td>{escape(rel)}{' (липсва / gone)' if gone else ''}</td>"
                f'<td class="num">{money(state["amount_total_bgn"], state["amount_total_eur"])}</td>'
                f'<td class="num">{money(rep_bgn, rep_eur)}</td>'
                f'<td class="num">{money(state["amount_paid_bgn"], state["amount_paid_eur"])}</td></tr>'
            )
        out[code] = (
            grouped_bar_chart("Към всяко издание / as of each release", series)
            + '<div class="wide"><table class="history"><tr><th>Издание</th><th>Договорено</th>'
            f"<th>Отчетено</th><th>Изплатено</th></tr>{''.join(table)}</table></div>"
        )
    return out
