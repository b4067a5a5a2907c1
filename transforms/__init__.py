"""Pure normalisation functions: text in, typed values and tables out.

Nothing here does I/O or knows about Dagster; assets in `pipelines/` call these.
"""
