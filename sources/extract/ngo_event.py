"""NGO portal announcements of events under a procedure (seed 003)."""

from __future__ import annotations

import re

from sources.extract.common import new_record, put, put_codes, put_places
from transforms.text_values import find_dates, find_emails, find_time

_IMPLEMENTER = re.compile(
    r"(?:се\s+изпълнява\s+от|изпълнител(?:\s+на\s+проекта)?\s+е|бенефициент\s+е)\s+"
    r"((?:Сдружение|Фондация|Община|Народно читалище|Читалище)\s+[„\"“]?[^„“”\"]*?[”“\"]?)"
    r"(?=\s+в\s+партньорство|\.|,)"
)
_PARTNER = re.compile(
    r"в\s+партньорство\s+с\s+((?:Община|Сдружение|Фондация)\s+[А-Я„\"“][^.,;]*?)(?=\.|,|;|\s+и\s+)"
)
_PROJECT = re.compile(
    r"(?m)(?:^|\s)[Пп]роект(?:ът)?\s+[„\"“]?([A-ZА-Я][\w\- ]{1,80}?)[”“\"]?(?=\s+в\s+резюме|\s*:|\s+се\s+изпълнява|$)"
)
_ADDRESS = re.compile(
    r"(?:в\s+)?((?:град|гр\.|село|с\.)\s+[А-Я][а-я]+,\s*(?:ул\.|бул\.|пл\.)\s*[^,.\n]+?\d+[А-Яа-я]?)"
)
_TITLE = re.compile(
    r"(?m)^(Покана[^\n]{5,160}|[^\n]{0,40}(?:форум|среща|конференция|обучение|кръгла маса)[^\n]{0,120})$"
)


def extract(text: str) -> dict:
    record = new_record("ngo-event")
    put_codes(record, text)
    if m := _TITLE.search(text):
        record["event_title"] = m.group(1).strip()
    if m := _PROJECT.search(text):
        put(record, "title", m.group(1).strip(), span=(m.start(1), m.end(1), m.group(1)))
    if m := _IMPLEMENTER.search(text):
        put(record, "beneficiary", m.group(1).strip(), span=(m.start(1), m.end(1), m.group(1)))
    partners = list(_PARTNER.finditer(text))
    if partners:
        put(
            record,
            "partners",
            [p.group(1).strip() for p in partners],
            span=(partners[0].start(1), partners[0].end(1), partners[0].group(1)),
        )
    dates = find_dates(text)
    if dates:
        record["event_date"] = dates[0].value.isoformat()
        record["spans"]["event_date"] = dates[0].span()
        if time := find_time(text[dates[0].end : dates[0].end + 40]):
            record["event_time"] = time.value
    if m := _ADDRESS.search(text):
        record["address"] = m.group(1).strip()
        record["spans"]["address"] = {"start": m.start(1), "end": m.end(1), "text": m.group(1)}
    emails = find_emails(text)
    if emails:
        record["email"] = emails[0].value
        record["spans"]["email"] = emails[0].span()
    put_places(
        record,
        " ".join(p for p in (record.get("beneficiary"), *(record.get("partners") or [])) if p),
    )
    record["spans"].pop("municipalities", None)
    return record
