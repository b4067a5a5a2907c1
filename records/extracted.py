"""The fields an extracted document record carries per project, scored by `make eval` and read by the build."""

SCORED_FIELDS = (
    "project_code",
    "procedure_code",
    "amount_total",
    "amount_eu",
    "duration_months",
    "start_date",
    "end_date",
)
