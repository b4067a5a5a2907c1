"""The warehouse: table metadata, DuckDB schema and loading, Parquet/CSV export."""
