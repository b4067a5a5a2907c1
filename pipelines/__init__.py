"""Dagster wiring: definitions, assets, checks, resources, schedules and the `bgfunds` CLI.

Assets are thin: they read resources, call functions from `sources/`, `transforms/`,
`quality/` and `warehouse/`, and report metadata. No parsing or business rule lives here.
"""
