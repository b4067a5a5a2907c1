"""A project's amounts over the releases in which they changed, for its page (chart and table).

Read from the history tables (`history_projects`, `history_activities`) a range of project
codes at a time; the state as of a release is each key's latest row at or before it. A row is
listed for a release in which the project's contracted, reported or paid amounts (or its
being gone) changed, dated by that release, so a page whose project did not change tonight
has the same bytes as last night's and is linked, not written (`site_common.write_or_link`).
The release in which the project's tracked values last changed dates a bulk-only page's
"page detail not read yet" notice (`last_changes`).
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

import duckdb

from warehouse.charts import grouped_bar_chart
from warehouse.site_common import money, query_rows, table_columns
from warehouse.views import release_order_key


def _reported(acts_state: dict, currency: str):
    return sum(
        (a[f"amount_reported_{currency}"] or 0) for a in acts_state.values() if not a["is_removed"]
    )


def project_history(
    con: duckdb.DuckDBPyConnection, first: str, last: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Per project from `first` to `last`: (its amounts over the releases in which they changed,
    chart and table; the release in which its `history_projects` row last changed)."""
    if not table_columns(con, "history_projects"):
        return {}, {}
    order = release_order_key("release_id")
    activity_rows = defaultdict(list)  # code -> its activities' history rows, oldest first
    if table_columns(con, "history_activities"):
        for r in query_rows(
            con,
            f"SELECT {order} AS k, release_id, project_code, activity_no, amount_reported_bgn, "
            "amount_reported_eur, is_removed FROM history_activities "
            f"WHERE project_code BETWEEN ? AND ? ORDER BY project_code, {order}",
            [first, last],
        ):
            activity_rows[r["project_code"]].append(r)
    by_code = defaultdict(list)
    for r in query_rows(
        con,
        f"SELECT {order} AS k, * FROM history_projects WHERE project_code BETWEEN ? AND ? "
        f"ORDER BY project_code, {order}",
        [first, last],
    ):
        by_code[r["project_code"]].append(r)
    out, changed_in = {}, {}
    for code, changes in by_code.items():
        changed_in[code] = changes[-1]["release_id"]
        acts_rows = activity_rows.get(code, [])
        # The releases in which a row of the project or of its activities was written.
        releases = sorted({(r["k"], r["release_id"]) for r in (*changes, *acts_rows)})
        state, acts_state, listed = None, {}, None
        series, table = [], []
        ci = ai = 0
        for key, rel in releases:
            while ci < len(changes) and changes[ci]["k"] <= key:
                state = changes[ci]
                ci += 1
            while ai < len(acts_rows) and acts_rows[ai]["k"] <= key:
                acts_state[acts_rows[ai]["activity_no"]] = acts_rows[ai]
                ai += 1
            if state is None:
                continue
            rep_bgn, rep_eur = _reported(acts_state, "bgn"), _reported(acts_state, "eur")
            shown = (
                state["amount_total_bgn"],
                state["amount_total_eur"],
                rep_bgn,
                rep_eur,
                state["amount_paid_bgn"],
                state["amount_paid_eur"],
                bool(state["is_removed"]),
            )
            if shown == listed:  # only a status, a date or a provenance changed: no new row
                continue
            listed = shown
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
                f"<tr><td>{escape(rel)}{' (липсва / gone)' if state['is_removed'] else ''}</td>"
                f'<td class="num">{money(state["amount_total_bgn"], state["amount_total_eur"])}</td>'
                f'<td class="num">{money(rep_bgn, rep_eur)}</td>'
                f'<td class="num">{money(state["amount_paid_bgn"], state["amount_paid_eur"])}</td></tr>'
            )
        out[code] = (
            grouped_bar_chart(
                "Към всяко издание, в което сумите се промениха / as of each release in which "
                "the amounts changed",
                series,
            )
            + '<div class="wide"><table class="history"><tr><th>Издание</th><th>Договорено</th>'
            f"<th>Отчетено</th><th>Изплатено</th></tr>{''.join(table)}</table></div>"
        )
    return out, changed_in
