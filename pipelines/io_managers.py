"""The IO manager of the build: what asset functions return is stored under the data directory.

Asset functions are plain functions: they return a DataFrame (staged here as Parquet
parts typed by the table's metadata, `warehouse.staging`; a frame of an asset that is not a
table is pickled as it is), a `StagedTable` they staged
themselves (tables written a batch at a time), or a small value (a list of URLs, the
extracted records); they receive the same as plain arguments. Each output is recorded
as a small pickle in `<data_dir>/staging/.outputs/<asset>.pickle` (a `StagedTable` is a
reference: table name, directory, rows), so a later run (a rebuild of only the assets
whose code changed, a step run from the UI) reads what an earlier run produced.

Which table a DataFrame is comes from the asset's own definition metadata: `table_metadata`
puts the table's name and its column schema (`dagster/column_schema`, the DuckDB types)
there, so the IO manager needs no list of tables and a new table needs no edit here.
"""

import pickle
import uuid
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.resources import Settings
from registry.tables import Field, Table
from warehouse.staging import StagedTable, stage_frame

TABLE_KEY = "bgfunds/table"
SCHEMA_KEY = "dagster/column_schema"


def table_out(table: Table, version: str, group_name: str = "core") -> dg.AssetOut:
    """The output of a multi-asset that produces `table`: described and typed from the registry."""
    return dg.AssetOut(
        group_name=group_name,
        description=table.en,
        code_version=version,
        metadata=table_metadata(table),
    )


def table_metadata(table: Table) -> dict:
    """Definition metadata of the asset that produces `table`: its name and typed column schema."""
    return {
        TABLE_KEY: table.name,
        SCHEMA_KEY: dg.TableSchema(
            columns=[
                dg.TableColumn(
                    f.name,
                    f.type,
                    description=f.en,
                    constraints=dg.TableColumnConstraints(nullable=f.nullable),
                )
                for f in table.fields
            ]
        ),
    }


def table_of(metadata: dict) -> Table:
    """The staging shape of a table (name, columns and their types) from `table_metadata`."""
    name, schema = metadata.get(TABLE_KEY), metadata.get(SCHEMA_KEY)
    if name is None or schema is None:
        raise ValueError(
            f"a DataFrame output needs `{TABLE_KEY}` and `{SCHEMA_KEY}` in its asset's metadata "
            "(pipelines.io_managers.table_metadata)"
        )
    name = getattr(name, "value", name)
    schema = getattr(schema, "schema", schema)
    fields = tuple(
        Field(c.name, c.type, c.description or "", "", nullable=c.constraints.nullable)
        for c in schema.columns
    )
    return Table(name, "", "", (), fields)


class StagingIOManager(dg.ConfigurableIOManager):
    """Outputs under `settings.staging_dir`: DataFrames staged as Parquet, everything as a pickle."""

    settings: dg.ResourceDependency[Settings]

    def _path(self, key: dg.AssetKey) -> Path:
        return self.settings.staging_dir / ".outputs" / f"{'__'.join(key.path)}.pickle"

    def _output_path(self, context: dg.OutputContext) -> Path:
        """An asset's output by its key; an op's inside a graph-backed asset by its step."""
        if context.has_asset_key:
            return self._path(context.asset_key)
        return (
            self.settings.staging_dir
            / ".outputs"
            / "_ops"
            / f"{context.step_key}.{context.name}.pickle"
        )

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is None:
            return
        if isinstance(obj, pd.DataFrame) and TABLE_KEY in context.definition_metadata:
            obj = stage_frame(self.settings.staging_dir, table_of(context.definition_metadata), obj)
        if isinstance(obj, StagedTable):
            context.add_output_metadata(
                {"rows": obj.rows, "staged": dg.MetadataValue.path(obj.path)}
            )
        path = self._output_path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)

    def load_input(self, context: dg.InputContext):
        path = (
            self._path(context.asset_key)
            if context.has_asset_key
            else self._output_path(context.upstream_output)
        )
        if not path.exists():
            what = (
                context.asset_key.to_user_string()
                if context.has_asset_key
                else context.upstream_output.step_key
            )
            raise FileNotFoundError(f"{path}: no stored output of {what} (materialise it first)")
        return pickle.loads(path.read_bytes())
