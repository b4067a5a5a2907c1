"""Data quality from the registry's rules.

DuckDB SQL for row screening and the blocking checks (`rules_sql`); one Great
Expectations checkpoint per build for the release's report and Data Docs (`checkpoint`).
"""
