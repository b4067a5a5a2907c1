"""Formats of published identifiers: the regular expressions a well-formed code matches.

Here, on the ground floor, because both the registry's rules (`registry.tables`) and the
code parser (`transforms.codes`, which repairs typos into these forms) need them. Only
patterns belong here: no parsing, no repairs.
"""

# BG + 2–3 digits + letters/digits with at least one letter + 3 digits:
# BG05SFOP001, BG05M9OP001, BG16M1OP002, BG051PO001, BG16FFPR003.
# The Recovery and Resilience Plan's codes start with `BG-RRP` (BG-RRP-2.004-0005-C01).
PROGRAMME_PATTERN = r"(?:BG-RRP|BG\d{2,3}(?=[A-Z0-9]*[A-Z])[A-Z0-9]{2,6}?\d{3})"

# Well-formed codes as they are published (used by the quality checks).
PROJECT_CODE_REGEX = (
    rf"^{PROGRAMME_PATTERN}-\d{{1,2}}(?:\.\d{{1,3}}){{1,2}}-\d{{3,5}}(?:-C\d{{2,4}})?$"
)
PROCEDURE_CODE_REGEX = rf"^{PROGRAMME_PATTERN}-\d{{1,2}}(?:\.\d{{1,3}}){{1,2}}$"
PROGRAMME_CODE_REGEX = rf"^{PROGRAMME_PATTERN}$"
