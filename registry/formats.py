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

# Project codes of the other funding families a free-text page may name (issue 26), each in the one form
# its programme publishes; `transforms.codes.code_scheme` names the family of a code. Programme
# operators' own formats, as real pages print them:
# - eea: EEA and Norway Grants 2014–21, ИСУН numbers with the programme's letters (BGLD-3.001-0004-C01,
#   procedure BGENERGY-2.002);
# - interreg: Interreg V-A Romania–Bulgaria (ROBG-408), Interreg-IPA Bulgaria–Serbia/North Macedonia
#   (CB007.2.13.091);
# - dfz: the Rural Development Programme's contracts with ДФЗ (14/07/2/0/00810; 2007–13: 22/321/00813, and the
#   ЛИДЕР measures' 48/3/3130652: МИГ / measure / seven-digit number);
# - phare: PHARE contract numbers (BG0106.07.01-064);
# - solidarity: EU Solidarity Fund grants (2014BG16SPO001-0019);
# - life: the EU's LIFE programme (LIFE+ 2007–13, LIFE 2014–20), its project numbers as the
#   Commission prints them: "LIFE" + the call's year, the strand, the country, the number
#   (LIFE11 NAT/BG/360, LIFE08 NAT/BG/000278, LIFE17 CCA/BG/000080);
# - opos: ОП „Околна среда“ 2007–13's grant contracts with the Ministry of Environment and Waters, numbered
#   as printed "договор за предоставяне на безвъзмездна финансова помощ 58111-с077-268" (Latin c);
# - swiss: the Bulgarian–Swiss Cooperation Programme's Partnership Fund projects ("Проект PF 022-038").
# An RRP proposal number may have three digits (BG-RRP-4.020-037) as well as four.
CODE_SCHEME_REGEX: dict[str, str] = {
    # ИСУН's (2014–20, 2021–27 and 2007–13 BG051PO001-…-C0001), and ИСУН 2007–13's slash form
    # (BG161PO001/1.4-07/2010/017)
    "isun": (
        r"^(?:(?!BG-RRP)" + PROGRAMME_PATTERN + r"-\d{1,2}(?:\.\d{1,3}){1,2}-\d{3,5}(?:-C\d{2,4})?"
        r"|BG\d{3}PO\d{3}/\d[\d.\-]*/\d{4}/\d{3})$"
    ),
    "rrp": r"^BG-RRP-\d{1,2}\.\d{3}-\d{3,4}(?:-C\d{2})?$",
    "eea": r"^BG(?:LD|ENERGY|ENVIRONMENT|CULTURE|INNOVATION|JUSTICE|HOME|SOCIAL|BUSINESS|RESEARCH)"
    r"-\d{1,2}\.\d{3}-\d{4}(?:-C\d{2})?$",
    "interreg": r"^(?:ROBG-\d{1,4}|CB\d{3}\.\d{1,2}\.\d{1,2}\.\d{3})$",
    "dfz": r"^(?:\d{2}/\d{2}/\d/\d/\d{5}|\d{2}/\d{3}/\d{5}|\d{2}/\d/\d{7})$",
    "phare": r"^BG\d{4}\.\d{2}\.\d{2}-\d{3}$",
    "solidarity": r"^\d{4}BG16SPO\d{3}-\d{4}$",
    "life": r"^LIFE\d{2} [A-Z]{2,3}/[A-Z]{2}/\d{3,6}$",
    "opos": r"^\d{5}-c\d{3}-\d{3}$",
    "swiss": r"^PF \d{3}-\d{3}$",
}
# A document's project code: one of the families' forms (the family is the row's `code_scheme`).
ANY_SCHEME_PROJECT_CODE_REGEX = (
    "^(?:" + "|".join(r[1:-1] for r in CODE_SCHEME_REGEX.values()) + ")$"
)
# A document's procedure code: ИСУН's (with a МИГ's "-S1" suffix, or ОПРР's own three-digit procedure
# number, BG16RFOP001-1.001-039), the 2007–13 forms (BG161PO001/4.1-03/2010, ОПОС's
# BG161PO005/10/1.11/02/16), or an EEA grants
# programme's (BGENERGY-2.002).
ANY_SCHEME_PROCEDURE_CODE_REGEX = (
    rf"^(?:{PROGRAMME_PATTERN}-\d{{1,2}}(?:\.\d{{1,3}}){{1,2}}(?:-S\d{{1,2}}|-\d{{3}})?"
    r"|BG\d{3}PO\d{3}/[\d.]+(?:-\d{1,3})?/\d{4}"
    # ОП „Околна среда“ 2007–13's: programme / call / operation / year / number (BG161PO005/10/1.11/02/16)
    r"|BG\d{3}PO\d{3}/\d{2}/\d\.\d{1,2}/\d{2}/\d{1,3}"
    r"|BG(?:LD|ENERGY|ENVIRONMENT|CULTURE|INNOVATION|JUSTICE|HOME|SOCIAL|BUSINESS|RESEARCH)-\d{1,2}\.\d{3})$"
)
