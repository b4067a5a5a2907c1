"""Blocking asset checks, one per registry table, generated from the registry's rules.

`table_checks(tables_by_asset())` gives each table produced by an asset a blocking
`@asset_check` that runs every rule of the table (`registry.tables.table_rules`) as
DuckDB SQL over its staged Parquet (`quality.rules_sql.check_table`): the row rules,
the unique key, each checked foreign key's parent rows (the parent table is an input
of the check), and the row count against the last release
(`Settings.max_row_drop_share` unless the table sets its own limit). A failed check
(severity ERROR) stops the warehouse and the release from being rebuilt, so `latest`
keeps pointing at the last good release. Great Expectations does not run here: it
validates once per build in the release (`quality.checkpoint`).
"""

import inspect

import dagster as dg

from pipelines.resources import Settings
from quality.last_release import last_row_counts
from quality.rules_sql import check_table
from registry import all_tables
from registry.tables import Table, table_rules
from warehouse.staging import StagedTable


def check_result(
    table: Table,
    staged: StagedTable,
    settings: Settings,
    parents: dict[str, StagedTable],
    log=None,
) -> dg.AssetCheckResult:
    """Every rule of `table` on its staged version, as a blocking check's result."""
    outcome = check_table(
        table,
        staged.scan_sql(),
        {name: parent.scan_sql() for name, parent in parents.items()},
        previous_rows=last_row_counts(settings.publish_dir).get(table.name),
        default_drop_share=settings.max_row_drop_share,
    )
    if log is not None:
        if outcome.success:
            log.info(f"{table.name}: {outcome.rows} rows, {len(outcome.outcomes)} rules passed")
        for failure in outcome.failures:
            log.error(f"{table.name}: check FAILED: {failure}")
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows": outcome.rows,
            "rules_evaluated": len(outcome.outcomes),
            "rules_failed": len(outcome.failures),
            "failures": dg.MetadataValue.json([str(f) for f in outcome.failures]),
        },
    )


def table_check(table: Table, tables: dict[str, Table] | None = None) -> dg.AssetChecksDefinition:
    """The blocking check of one table: its asset, plus the assets of its checked parents, in."""
    tables = tables or all_tables()
    parents = {fk.parent: tables[fk.parent].asset for fk in table.foreign_keys if fk.checked}
    rules = sorted({r.name for r in table_rules(table)})

    def _check(
        context: dg.AssetCheckExecutionContext, settings: Settings, staged: StagedTable, **ins
    ) -> dg.AssetCheckResult:
        return check_result(
            table, staged, settings, {name: ins[f"parent_{name}"] for name in parents}, context.log
        )

    return dg.asset_check(
        asset=table.asset,
        name=f"rules_{table.name}",
        blocking=True,
        additional_ins={f"parent_{name}": dg.AssetIn(asset) for name, asset in parents.items()},
        description=f"The registry's rules for {table.name} as DuckDB SQL over the staged table "
        f"({', '.join(rules)}).",
    )(_with_parent_parameters(_check, parents))


def _with_parent_parameters(fn, parents: dict[str, str]):
    """Name the parent inputs in `fn`'s signature, so Dagster sees one parameter per input."""
    signature = inspect.signature(fn)
    params = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    params += [
        inspect.Parameter(
            f"parent_{name}", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=StagedTable
        )
        for name in parents
    ]
    fn.__signature__ = signature.replace(parameters=params)
    return fn


def table_checks(assets: dict[str, Table]) -> list[dg.AssetChecksDefinition]:
    """One blocking check per table, for every table in `assets` (asset name -> table)."""
    tables = {**all_tables(), **{t.name: t for t in assets.values()}}
    return [table_check(table, tables) for table in assets.values()]
