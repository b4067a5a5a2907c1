"""Project facts in free text, one record per project the text speaks of, every value with its evidence.

What belongs here: the kind-independent rules that decide which number, code or date in a news item,
project page, ИСУН 2007–13 page or programme page is a project's code, procedure code, total, EU share,
duration, start or end date, and which project it belongs to. Values are found by the finders in
`transforms.text_values`; here each candidate gets a role from the words around it (a label such as
"Начална дата:", a phrase such as "ще приключи на", "от които ... от ЕФРР") or is set aside with a reason
(a signing or ceremony date, a deadline, a procedure's or programme's budget, the grant or own share,
an approximate or range value, an extension). A record keeps, per field, `evidence` (offsets, snippet,
rule); where two candidates for one field conflict within one project the field stays null and the
candidates are listed. A text that names no project (a call, a programme page, a plan) gives no record.
What does not belong here: kind-specific fields (activities, partners, strategy stages) — those stay in
the kind modules — and the ИСУН 2014–20 contract pages, which `sources.isun` parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from records.extracted import SCORED_FIELDS
from sources.extract.furniture import article_end, is_dateline, is_furniture_label
from sources.extract.project_rows import project_rows
from sources.extract.record_card import card_facts
from transforms.amounts import round_cents, to_bgn, to_eur
from transforms.codes import SCHEME_CODE_IN_TEXT, CodeError, normalise_scheme_code, parse_code
from transforms.text_values import (
    MONTH_PERIOD_RE,
    find_all_dates,
    find_bare_number,
    find_codes,
    find_durations,
    find_money,
)

CORE_FIELDS = SCORED_FIELDS


@dataclass
class Fact:
    field: str
    value: object
    start: int
    end: int
    text: str
    rule: str
    flags: list[str] = field(default_factory=list)
    currency: str | None = None

    def evidence(self) -> dict:
        out = {"start": self.start, "end": self.end, "text": self.text, "rule": self.rule}
        if self.flags:
            out["flags"] = list(self.flags)
        return out


def _of(found, field: str, value, rule: str, currency: str | None = None) -> Fact:
    """The fact a finding (`transforms.text_values.Found`) gives for `field` under `rule`."""
    return Fact(field, value, found.start, found.end, found.text, rule, list(found.flags), currency)


def _flat(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def _window_before(text: str, pos: int, size: int = 160, stop_at: int = 0) -> str:
    """The words before `pos` back to the sentence start (a full stop before a capital), at most `size` chars."""
    start = max(stop_at, pos - size)
    chunk = text[start:pos]
    cuts = [
        m.end()
        for m in re.finditer(
            r"(?<![0-9]\.)(?<!\bг\.)(?<!\bлв\.)(?<!\bч\.)[.!?;]\s+(?=[А-ЯA-Z„\"“])|\n\s*\n", chunk
        )
    ]
    if not cuts:
        return _flat(chunk)
    own = chunk[cuts[-1] :]
    if not own.strip():
        # a value alone in its paragraph ("What's the budget?\n\n299.325,66 euro"): a short
        # paragraph just before it is its label
        label = chunk[cuts[-2] if len(cuts) > 1 else 0 : cuts[-1]].strip()
        if 0 < len(label) <= 80:
            return _flat(label + " ")
    return _flat(own)


def _window_after(text: str, pos: int, size: int = 120) -> str:
    return _flat(text[pos : pos + size])


# --- codes ----------------------------------------------------------------------------------------------------------

_PROCEDURE_CONTEXT = re.compile(
    # round 6: "по процедура за подбор на проекти BG14MFOP001-4.002-0004 в МИРГ": a МИГ's or МИРГ's procedure
    # for selecting projects, numbered like a project, is a procedure
    r"(процедур\w*\s+за\s+подбор\s+на\s+проект\w*|"
    r"процедур\w*|схем\w*|бюджетна линия|budget line|покана|(grant\s+)?scheme|procedure)"
    r"\W{0,6}(№|No\.?|рег\. ?№)?\W{0,3}"
    r"([„“\"][^”“\"]{0,200}[”“\"]\s*,?\s*)?$",
    re.I,
)
# "по процедура на директно предоставяне на безвъзмездна финансова помощ BG16RFOP001-1.001-039",
# "схема за безвъзмездна помощ BG161PO001/1.1-01/2007", "процедура чрез директно предоставяне на
# безвъзмездна финансова помощ №BG16FFPR003-2.002": the procedure's kind stands between the word
# and the code. A number with a four-digit proposal there is still a project's ("... помощ
# BG05SFPR003-1.001-0082 „Топъл обяд“"); ОПРР's own procedure numbers end in three digits.
_PROCEDURE_KIND_CONTEXT = re.compile(
    r"(процедур\w*|схем\w*)\s+(за|на|чрез)\s+(?![^.„“\"\d]*(проект|договор))[^.„“\"\d]{0,90}?(\s|№)\s*$",
    re.I,
)
_OLD_CODE = re.compile(r"BG\s?\d{3}\s?[PР][OО]\d{3}\s?/\s?[\d.\-/ ]*\d")
# A 2007–13 scheme's number: programme / operation-call / year, no contract number after the year
_OLD_PROCEDURE_SHAPE = re.compile(r"^BG\d{3}PO\d{3}/[\d.]+(?:-\d{1,3})?/\d{4}$")
_INTERREG_CODE = re.compile(r"\b(CB\d{3}\.\d{1,2}\.\d{1,2}\.\d{3})\b")


def _code_facts(text: str) -> list[Fact]:
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for m in _OLD_CODE.finditer(text):
        raw = m.group(0)
        value = re.sub(r"\s+", "", raw).replace("Р", "P").replace("О", "O")
        before = _window_before(text, m.start(), 60)
        role = (
            "procedure_code"
            if _PROCEDURE_CONTEXT.search(before) or _PROCEDURE_KIND_CONTEXT.search(before)
            else "project_code"
            if re.search(r"(договор|проект)\w*[^.]{0,60}$", before, re.I)
            else None
        )
        if role == "project_code" and _OLD_PROCEDURE_SHAPE.match(value):
            # round 7: "с проект по ОП „Регионално развитие”, мярка BG161 PO001/3.2-02/2011": a 2007–13 code
            # ending in the call's year has no contract number, so it names the scheme, never a project
            role = "procedure_code"
        taken.append((m.start(), m.end()))
        if role:
            facts.append(Fact(role, value, m.start(), m.end(), raw, f"{role}_2007_13_form"))
    for found in find_codes(text):
        if any(s <= found.start < e for s, e in taken):
            continue
        if not text[found.end :].strip():
            # "финансиран по Процедура № BG06RDNP001-19.00" as the page's last characters: the page cut
            # the code off, so what is left of it may be another code's start; never read
            continue
        parsed = found.value
        before = _window_before(text, found.start, 260)
        tail = re.match(r"-S\d{1,2}\b", text[found.end : found.end + 5])
        if _PROCEDURE_CONTEXT.search(before) or (
            _PROCEDURE_KIND_CONTEXT.search(before)
            and not (parsed.is_project and len(parsed.proposal_no) >= 4)
        ):
            # "по процедура BG16RFOP001-1.001-039": a procedure, even where the number looks like a proposal's.
            value = parsed.code + (tail.group(0) if tail else "")
            facts.append(_of(found, "procedure_code", value, "procedure_after_word"))
        elif parsed.is_project:
            facts.append(_of(found, "project_code", parsed.code, "project_code"))
            facts.append(
                _of(found, "procedure_code", parsed.procedure_code, "procedure_of_project_code")
            )
        elif not re.match(r"-Q\d", text[found.end : found.end + 3]):
            value = parsed.code + (tail.group(0) if tail else "")
            facts.append(_of(found, "procedure_code", value, "procedure_code"))
    facts += _scheme_code_facts(text)
    for m in _INTERREG_CODE.finditer(text):
        if re.search(
            r"проект\w*\W{0,5}$|project\W{0,5}$", _window_before(text, m.start(), 30), re.I
        ):
            facts.append(
                Fact(
                    "project_code",
                    m.group(1),
                    m.start(1),
                    m.end(1),
                    m.group(1),
                    "interreg_project_code",
                )
            )
    return facts


def _scheme_code_facts(text: str) -> list[Fact]:
    """Codes of the other families (`transforms.codes.code_scheme`): an Interreg project (ROBG-408),
    a ДФЗ contract (17/07/2/0/00092), a PHARE contract (BG 0106.07.01 – 064), a Solidarity Fund
    grant (2014BG16SPO001-0019), a LIFE project number (LIFE11 NAT/BG/360) name a project; an EEA
    grants number names a project where it carries the proposal number (BGLD-3.001-0004), else a
    procedure (BGENERGY-2.002)."""
    facts = []
    for m in SCHEME_CODE_IN_TEXT.finditer(text):
        code, flags = normalise_scheme_code(m.group(0))
        scheme = m.lastgroup
        if (
            scheme == "dfz"
            and re.fullmatch(r"\d{2}/\d/\d{7}", code)
            and not re.search(r"договор\w*[^.\d]{0,30}$", _window_before(text, m.start(), 60), re.I)
        ):
            # round 7: the ЛИДЕР form (48/3/3130652) is short enough to be some other number: only a
            # contract's ("по договор за БФП № 48/3/3130652/04.08.2014г.")
            continue
        if scheme == "eea" and not re.search(r"\.\d{3}-\d{4}", code):
            facts.append(
                Fact(
                    "procedure_code",
                    code,
                    m.start(),
                    m.end(),
                    m.group(0),
                    "eea_procedure_code",
                    flags,
                )
            )
            continue
        facts.append(
            Fact(
                "project_code",
                code,
                m.start(),
                m.end(),
                m.group(0),
                f"{scheme}_project_code",
                flags,
            )
        )
        if scheme == "eea":
            procedure = re.sub(r"-\d{4}(-C\d{2})?$", "", code)
            facts.append(
                Fact(
                    "procedure_code",
                    procedure,
                    m.start(),
                    m.end(),
                    m.group(0),
                    "procedure_of_project_code",
                    flags,
                )
            )
    return facts


# --- money ----------------------------------------------------------------------------------------------------------

_APPROXIMATE = re.compile(
    r"(около|близо|над|почти|приблизително|малко над|до|между|към|from|around|about|over|up to|"
    r"nearly|almost|approximately|more than|less than|under)\s*$",
    re.I,
)
# "около" and its kin before an amount given to the cent ("около 1 234 567, 89 евро") round nothing.
_STATED_TO_THE_CENT = re.compile(r"около|приблизително|around|about|approximately", re.I)
_RANGE_AFTER = re.compile(r"^\s*(и|до|to|and|[-–—])\s*(\d|BGN|EUR|€)", re.I)
_EU_BEFORE = re.compile(
    r"(ЕФРР|ЕСФ|ЕЗФРСР|[Кк]охезионния фонд|Европейски(я|ят)?\s+фонд\s+за\s+регионално\s+развитие|"
    r"Европейски(я|ят)?\s+социален\s+фонд|Европейски(я|ят)?\s+земеделски\s+фонд\w*|Европейския съюз|\bЕС\b|EU budget|"
    r"EU contributes|EU contribution|ERDF contribution|от\s+които\s+европейско\s+финансиране|"
    r"(?:EU|European\s+Union)\s+(?:co-?financing|funding|grant|support|share)|"
    # "Европейското финансиране е 850 000 лв.", "Европейско съфинансиране: …", "Размер на европейското финансиране:"
    r"(?:[Рр]азмер(?:ът)?\s+на\s+)?(?<![\w-])[Ее]вропейско(?:то)?\s+(?:съ)?финансиране(?:\s+по\s+проекта)?|"
    # "Европейският принос е …", "Европейските средства са в размер на …", "Европейският фонд за … осигурява …"
    r"(?<![\w-])[Ее]вропейски(?:ят)?\s+принос|(?<![\w-])[Ее]вропейските\s+средства|"
    r"Европейският\s+(?:\w+\s+){0,3}фонд(?:\s+за\s+(?:\w+\s+){1,5}?)?(?=(?:осигурява|предоставя|покрива|финансира)\s*$)|"
    r"Европейския\s+(?:\w+\s+)?фонд\s+за\s+(?:\w+\s+){1,5}?(?=(?:е|са|възлиза\s+на|в\s+размер\s+на)\s*$)|"
    r"European\s+[Ff]und\s+for\s+Regional\s+Development|European\s+Regional\s+Development\s+Fund|"
    # round 7: "От Европейския съюз чрез Националния план за възстановяване и устойчивост ще бъдат осигурени …"
    r"(?<![\w-])[Оо]т\s+Европейския\s+съюз[^.\d]{0,90}?\s(ще\s+бъдат\s+|са\s+|се\s+)?(осигурени|предоставени|осигуряват|предоставят))"
    r"(?:\s*(?:\([A-ZА-Я+ ]{2,12}\)|на ЕС|е|са|възлиза на|в размер на|на\s+стойност|is|amounts\s+to|with|[–:-]|"
    r"осигурява|предоставя|покрива|финансира))*\s*$"
)
_EU_AFTER = re.compile(
    # (round 7: "От тях 4 156 801 лв. е съфинансиране от Европейския фонд за Регионално развитие")
    r"^\W{0,3}(?:лв\.?\s*)?(?:от\s+тях\s+)?(?:е\s+|са\s+|is\s+)?(?:(?:съ)?финансиране\s+)?(?:/?предоставени\s+)?"
    r"(?:от\s+|по линия на\s+)?"
    r"(?:безвъзмездн\w+\s+финансов\w+\s+помощ\s+)?(?:от\s+)?"
    r"(ЕФРР|ЕСФ|ЕЗФРСР|[Кк]охезионния фонд|Европейския фонд за регионално развитие|"
    r"Европейския социален фонд|Европейския съюз|ЕС\b|европейско\b|европейско финансиране|EU\b|"
    r"Европейския\s+(?:\w+\s+){0,3}фонд|европейски\s+средства|"
    r"European\s+(?:co-?financing|funding|contribution|Union)|ERDF\b|ESF\b|Cohesion\s+Fund)"
    r"|^\W{0,3}(?:of\s+the\s+amount\s+)?(?:are|is|will\s+be)\s+(?:granted|given|provided)(?:\s+free)?"
    r"\s+by\s+(?:the\s+)?(?:EU|European\s+Union)(?!\s+and)"
    # "€ 439 602 (75%) се предоставят от програма LIFE+": a share (its percent optional) that a named EU
    # programme or fund provides
    r"|^[^\S\n]*(?:\(\s*\d{1,3}(?:[.,]\d{1,2})?\s*%\s*\)[^\S\n]*)?,?[^\S\n]*(?:се\s+)?"
    r"(?:предоставя(?:т)?|осигурява(?:т)?|финансира(?:т)?|поема(?:т)?|идва(?:т)?|са\s+осигурени|са\s+предоставени)"
    r"\s+(?:от|по)\s+(?:програма(?:та)?\s+LIFE\+?|LIFE\+?|Европейския\s+съюз|ЕС\b|Европейската\s+комисия|"
    r"ЕФРР|ЕСФ\+?|ЕЗФРСР|ЕФМДР\w*|Кохезионния\s+фонд|Европейския\s+(?:\w+\s+){0,3}фонд)",
    re.I,
)
_NOT_PROJECT_MONEY = re.compile(
    r"(безвъзмездн\w*\s+(финансов\w*\s+)?помощ|\bБФП\b|"
    # round 6: "Общата стойност на финансовата помощ при него е …", "Финансовата помощ за изпълнение на
    # проекта е в размер на …", "Безвъзмездното финансиране в размер на …", "договор за предоставяне на
    # изцяло безвъзмездно финансиране в размер на …": an aid or a grant, not the project's total; "да
    # осигури предвиденото съфинансиране в размер на …": the beneficiary's co-financing
    r"(?<![\w-])финансов\w*\s+помощ|безвъзмездн\w*\s+финансиране|съфинансиране\w*\s+в\s+размер|"
    r"\bGrant\b|собствен\w*\s+(финансов\w*\s+)?(принос|финансиране|средства|участие)|"
    r"Self finance|съфинансиране(то)?\s+(е|от)|национално\w* съфинансиране|Total paid|участието на общ|"
    r"Одобрени за финансиране|стойността на финансирането|финансирането на(?!\s+проекта\s+е)|отпуснат|"
    # round 7: "Министерският съвет отпуска целево финансиране в размер на 710 000 лв. за община Кубрат"
    r"отпуска\w*|"
    r"процедурата|програмата|"
    r"по програма|бюджет\w* на (програмата|процедурата|схемата|мярката|общината|организацията|субсидията|подмярката)|"
    r"[Ии]нвестиционн\w* програм|общата им стойност|общата сума|[Оо]бщият размер на "
    r"(средствата|безвъзмездната|наличния)|"
    r"заделени|разпредели|транш|приоритетна ос|Priority axis|Programme budget|"
    r"[Tt]he\s+programme\s+(has|is)|(?<!total\s)Budget:|максималн|минималн|"
    r"the total amount(?!\s+of\s+the\s+project)|total budget \(|call\b|допълнителен трансфер|годишен бюджет|"
    r"ще получи|получава|"
    r"усвоени|[Оо]бщо\s+\d|\d+\s+проект\w*\s+на|за ремонтите|Поръчката|обществена(та)?\s+поръчка\b|"
    # a contractor's contract, an advance or a payment: money of the works, not the project's total
    # (round 8: "Кмета на Община Берковица … и представител на Обединение „Геостройтехмин“ подписаха договор на
    # стойност 5 530 963, 03 лв.": a consortium of firms is a contractor)
    r"(?<![\w-])(Обединение|ДЗЗД|[Кк]онсорциум)\s+[„\"“]|"
    r"изпълнител\w*|договор\w*\s+за\s+(строителство|доставка|инженеринг|услуга|проектиране|ремонт|"
    r"изпълнение\s+на\s+СМР|строителен\s+надзор|консулт\w*|упражняване)|аванс\w*|плащане|"
    # "проекти на обща стойност ...": the sum of several projects, not one project's total
    r"\bпроекти(те)?,?\s+(на|с|за)\s+(обща\s+)?(приблизителна\s+)?стойност|\bprojects\s+(worth|with\s+a\s+total)|"
    # "Девет проекта на обща стойност 502 047 евро": a count of projects in words, a sum
    r"\b(два|три|четири|пет|шест|седем|осем|девет|десет|\w+надесет|\w+десет)\s+(\w+\s+)?проект\w*\s+(на|с|за)\s|"
    # "… общинските са 55 на обща стойност …": a count of projects and their sum
    r"\b(са|е)\s+\d+\s+(проект\w*\s+)?(на|с)\s+(обща\s+)?стойност|"
    # "Общата стойност на трите проекта е …": the sum of the projects counted, not one project's total
    r"\b(двата|трите|четирите|петте|шестте|седемте|осемте|деветте|десетте|\d+-те)\s+проекта\b|"
    # "Финансирането за община Велико Търново е в размер на …": one partner's part of a shared project
    r"[Фф]инансирането\s+за\s+(община|общината|партньор\w*|водещ\w*|организация\w*)\b|"
    # round 7: "Индикативната стойност на проекта е 22 800 лв.": a proposal's estimate, not a stated total
    r"индикативн\w*)",
    re.I,
)
_NOT_PROJECT_MONEY_AFTER = re.compile(
    r"^[^\S\n]{0,2}[,:)/]?[^\S\n]{0,2}(безвъзмездн|БФП|собствен|национално съфинансиране|"
    r"от (държавния|националния|общинския) бюджет|от общината|за (целия|периода)|"
    r"(са )?(предвидени|заделени) за|"
    # round 7: "Проектът е на стойност 6,3 милиона лева в 3 оперативни програми": money spread over several
    # programmes is a local strategy's budget, not one project's total
    r"(в|по)\s+(\d+|две|три|четири|пет)\s+(оперативни\s+)?програми)"
)
_TOTAL_STRONG = re.compile(
    r"(обща(та)?\s+(му\s+)?стойност|стойност(та)?\s+на\s+(проекта|инвестицията)|общ(ият)?\s+(му\s+)?бюджет|"
    r"бюджет(ът)?\s+на\s+(проекта|проектното\s+предложение)|[Сс]ума\s+на\s+проекта|общ(ият)?\s+размер\s+на\s+проекта|Цялата\s+стойност|"
    r"Предвиденият\s+финансов\s+ресурс|Total\s+(project\s+)?cost|total\s+(budget|value|amount)\s+of\s+the\s+project|"
    r"(Проектът|проектът|[Пп]роект(ът)?\s+[„\"“][^”“\"]{3,200}[”“\"])[^.]{0,80}?\s(е|възлиза)\s+на\s+(обща\s+)?стойност|"
    r"[Ии]нвестицията\s+е\s+на\s+стойност|worth|What[’']s\s+the\s+budget\?|"
    r"(cost|value)\s+of\s+(the|that|this)\s+project\s+(is|comes\s+to|amounts\s+to)|project'?s\s+(value|cost)\s+is|\bTotal\s+budget\s*:|"
    r"[Пп]роектът\s+е\s+за|[Оо]добрената\s+(обща\s+)?стойност(\s+на\s+проекта)?|[Рр]азмер(ът)?\s+на\s+инвестицията|"
    r"[Пп]роект(ът)?(\s+[„\"“][^”“\"]{3,200}[”“\"])?,?\s+(е\s+)?с\s+(общ\s+)?бюджет(\s+от)?|Total\s+(project\s+)?value|(the\s+)?project\s+budget\s+is|"
    r"budget\s+of\s+the\s+project\s+is|[Ии]нвестицията\s+е\s+(за|в\s+размер\s+на)|"
    r"[Оо]бщата\s+(му\s+)?инвестиция\s+(е|възлиза)|(a|its|the)\s+total\s+(budget|value|cost)\s+(of|is|amounts\s+to)|[Фф]инансирането\s+на\s+проекта\s+е|(?<![\w-])[Сс]\s+договор\s+за|[Оо]добрените\s+(общи\s+)?разходи(\s+по\s+проекта)?\s+(са|възлизат)|"
    r"(Ремонтът|Проектът|Обектът|[Ии]нвестицията|Изграждането|Реконструкцията|[Вв]сичко\s+това)[^.]{0,80}?\s(ще\s+)?(струва|стурва)|"
    # "Община Ген. Тошево е с одобрен проект за 2 377 897 лева": one project's approved total
    r"(?<![\w-])(е\s+)?с\s+одобрен\s+проект\s+за|"
    # "… като общата финансова рамка е от 7 970 005 евро": a project's whole financial frame
    r"[Оо]бщата\s+финансова\s+рамка(\s+на\s+проекта)?\s+(е|възлиза)|"
    # "… ще се подобри енергийната ефективност чрез проект за 4 230 000 лева": one project and its amount
    r"(?<![\w-])(чрез|със?)\s+проект\s+за(?=\s*$)|"
    # "следващият проект, който е изготвен и внесен в …, е за основен ремонт в ОДЗ „Синчец” и е за 450 000 лв."
    r"[Пп]роект(ът)?,\s+който\s+[^.]{0,200}?\sе\s+за(?=\s*$)|"
    # "Обща стойност на Договор BG161PO001/5-02/2012/014 е 535 837, 39 лв.": a contract named by its code
    r"[Оо]бща(та)?\s+стойност\s+на\s+[Дд]оговор(а)?\s+(№\s*)?[A-Z]{2}[\w/-]*\d[\w/-]*\s+(е|възлиза\s+на)|"
    # "Стойността на залата е 1 999 319.94 лв": the value of the object the project builds
    r"[Сс]тойността\s+на\s+(обекта|залата|сградата|площадката|съоръжението)\s+(е|възлиза\s+на)|"
    # round 6: "Стойността на договора след допълнителното споразумение възлиза на 118 107 лв.": a grant
    # contract's value (a works or supply contract is set aside by the contractor's words)
    r"[Сс]тойността\s+на\s+договора\b[^.\d]{0,80}?\s(е|възлиза\s+на)|"
    # "проект „…“, в който ще бъдат вложени общо 2 781 594, 47 лева"
    r"[Пп]роект\w*\s+[„\"“][^”“\"]{3,200}[”“\"],?\s+в\s+който\s+(ще\s+бъдат|са|бяха)\s+(вложени|инвестирани)|"
    # "Вече е одобрен и първият проект за 1,5 милиона лева": one approved project and its amount
    r"(?<![\w-])(одобрен|спечелен|внесен)\s+(е\s+)?(и\s+)?(първият\s+|вторият\s+|още\s+един\s+)?проект\s+за(?=\s*$))"
    r"[^.\d]{0,60}$",
    re.I,
)
_TOTAL_WEAK = re.compile(
    r"(на\s+(обща\s+)?стойност|^\s*Стойност|\bСтойност\s+|възлиза\s+на|е\s+в\s+размер\s+на|"
    # "Бюджет: 120 000 лв." on a project's card, "… с общ бюджет от 2 млн. лв."
    r"(^|\s)(Общ\s+)?[Бб]юджет(\s+на\s+проекта)?\s*[:–-]|"
    r"[,\s](а|и)\s+стойността(\s+му)?(\s+е)?\s*)[^.\d]{0,20}$"
)
# "Средствата - 653 544 лева ...", "Средствата по проекта са ...": the sentence opens with the project's money and the
# amount follows at once (a share - ЕС, БФП, own funds - is set aside before this rule is asked).
_TOTAL_FUNDS_SENTENCE = re.compile(
    r"^\s*(Средствата|Сумата)(\s+(по|за)\s+(проекта|него|обекта|договора))?"
    r"\s*((са|е)\s+)?(са|е|възлизат\s+на|в\s+размер\s+на|[-–—:])\s*$"
)
# "На 195 937 лева възлиза проект „…“": the amount first, the project's total after it.
_TOTAL_BEFORE_VERB = re.compile(
    r"^[^\S\n]*(възлиза|възлизат|струва)\s+(проект\w*|стойността\s+на\s+проект\w*|"
    r"общата\s+стойност\s+на\s+проект\w*|инвестицията|бюджетът\s+на\s+проект\w*)\b"
)
# "подписа административен договор № BG06RDNP001-7.021-0016-C01 за предоставяне на безвъзмездна финансова
# помощ с Държавен фонд „Земеделие“ на стойност 2 933 696.74 лева": the value of the project's grant contract is
# its total (the grant words name the contract, not the amount; "в размер на" after them stays a grant).
_GRANT_CONTRACT_VALUE = re.compile(
    r"[Дд]оговор\w*\s*(№\s*\S+\s+)?за\s+(предоставяне\s+на\s+)?(?P<grant>безвъзмездна\s+финансова\s+помощ|БФП)"
    # (the contract's number may follow the grant words: "… помощ 58111-с077-268 на стойност …", and its date
    # after a slash, round 7: "договор за БФП № 48/3/3130652/04.08.2014г. на стойност 63977,17 лв.")
    r"(\s+(№\s*)?[\w/-]*\d[\w/-]*(/\d{1,2}\.\d{1,2}\.\d{4}\s?г?\.?)?)?[^.\d]{0,80}?\sна\s+стойност(\s+от)?\s*$"
)
_PROJECT_WORD = re.compile(r"проект|project|инвестици|договор", re.I)


# "325, 459 BGN (167,730 EUR)", "4 000 лв. / 2 045 евро": the same amount in the other currency.
_EQUIVALENT = re.compile(r"^\s*[(/]\s*$")
# "Ремонтът на ДГ „Роза“ ще струва 197 750,33 лв., на „Приказен свят“ - 196 492,80 лв., а на ...": one
# sentence giving each project's amount in turn, after the first one's total label.
_ENUMERATED = re.compile(r"^\s*[,;]\s*(а\s+|и\s+)?(на|за)\s+[^.\d]{1,80}?\s[-–—:]\s*$")


# "… одобрени … 64 проекта. Те са на обща стойност 14 806 048 лв.": "they" after a count of projects is their sum.
_THEY = re.compile(r"^\s*(Те|Общо\s+те|Всички\s+те|Общата\s+им)\b")


# (round 6) "Най-много – 48 са сключените договори по програма … Те са на стойност 14 649 000 лв.": contracts
# counted before "they" are several too
_CONTRACT_COUNT = re.compile(
    r"\b(\d+|два|три|четири|пет|шест|седем|осем|девет|десет|\w+надесет|\w+десет)\s+"
    r"((са|бяха)\s+)?(\w+\s+){0,2}?(договора|договори|договорите|проекти|проектите)\b"
)


def _sum_of_counted_projects(text: str, position: int, before: str) -> bool:
    if not _THEY.match(before):
        return False
    previous = text[max(0, position - len(before) - 300) : position - len(before)]
    return any(
        m.group(1) not in ("1", "един", "една")
        for regex in (_PROJECT_COUNT, _CONTRACT_COUNT)
        for m in regex.finditer(previous)
    )


# "Пет болници получават финансиране … по схема на Министерството на здравеопазването … по ОП „Регионално
# развитие” 2007-2013 г. с общ бюджет 148 млн. лева": a budget in a sentence that names a scheme, programme,
# procedure or measure and no project or contract is the scheme's, not a project's total.
_SCHEME_BUDGET = re.compile(
    r"(?<![\w-])(схема|схемата|програма|програмата|процедура|процедурата|мярка|мярката)\b[^\n]{0,200}?"
    r"\s(с|със)\s+(общ\s+)?бюджет(\s+от)?\s*$",
    re.I,
)
_PROJECT_OR_CONTRACT = re.compile(r"проект|договор|project|contract", re.I)


# "Одобреното финансиране за Община Пирдоп е в размер на 2 983 973 лева без ДДС, за реализация на проект …",
# "споразумение … за финансиране на инфраструктурен проект в размер на 2 007 523 лв.": the financing of a
# project that a national body funds in full is its total. Only where the page names no EU fund,
# programme or grant: there "financing" is a grant or a share, not a total.
_NATIONAL_FINANCING = re.compile(
    r"((?<![\w-])(Одобрено|Осигурено|Предоставено|Отпуснато)(то)?\s+финансиране(\s+за\s+[^.\d]{0,60}?)?"
    r"\s+е\s+в\s+размер\s+на|(?<![\w-])финансиране\s+на\s+(инфраструктурен\s+)?(проект|обект)\w*"
    r"\s+в\s+размер\s+на)\s*$",
    re.I,
)
_EU_FUNDING_WORDS = re.compile(
    r"[Ее]вропейск|\bЕС\b|\bEU\b|ЕФРР|ЕСФ|ЕЗФРСР|Кохезион|[Оо]перативн\w+\s+програм|\bОП\b|\bОП[А-Я]{2,4}\b|"
    r"\bПРСР\b|селските\s+райони|Interreg|ИНТЕРРЕГ|безвъзмездн|\bБФП\b|\bЕИП\b|[Нн]орвеж|[Шш]вейцар|"
    r"\bН?ПВУ\b|[Пп]лан\w*\s+за\s+възстановяване|[Пп]рограма\s+[„\"“](Развитие\s+на\s+регионите|Околна\s+среда|"
    r"Конкурентоспособност|Развитие\s+на\s+човешките|Региони\s+в\s+растеж)"
)


def _schemes_budget(sentence: str) -> bool:
    return bool(_SCHEME_BUDGET.search(sentence)) and not _PROJECT_OR_CONTRACT.search(sentence)


# "Проектите, на обща стойност 785 548 лева, са за:\n • Техническа помощ за … на стойност 250 344 лв.;": a list
# of projects, one a line, each line ending on its project's value (what the line names along the way, a
# programme or its priority axis, does not make the amount theirs).
_PROJECTS_LIST_INTRO = re.compile(r"[Пп]роектите\b[^.\n]{0,80}?\s(са|включват)(\s+за)?\s*:\s*$")
_LIST_ITEM_VALUE = re.compile(r"^[^\S\n]*[•·▪*–-][^\S\n]*\S[^\n]*\sна\s+стойност(\s+от)?\s*$")


# round 6: "Споразуменията касаят следните проекти: – „…“ на обща стойност 1 620 000 лв. – „…“ на обща стойност
# 702 000 лв.", "подписани два договора … за финансиране на следните проекти:\n1. „…“ на стойност 5 853 706,45 лв.
# без ДДС\n\n2. …", "Двата работни проекта са: … на обща стойност 1 946 828. 63 лв.; …": a list the text announces
# as its projects, each item (after a dash, a number, a semicolon or a new line) ending on its own value.
_LIST_OF_PROJECTS = re.compile(
    r"(?<![\w-])([Сс]ледните\s+(\w+\s+){0,2}?проекти|([Дд]вата|[Тт]рите|[Чч]етирите|[Пп]етте|[Шш]естте)\s+(\w+\s+)?проекта\s+са|"
    r"[Пп]роектите\s+са)\s*:"
)
_ITEM_START = re.compile(r"(^|\n)[^\S\n]*(\d{1,2}[.)]|[•·▪*–—-])|[;]|\s[–—]\s|:\s")
_ITEM_VALUE = re.compile(r"\sна\s+(обща\s+)?стойност(\s+от)?\s*$")


def _announced_list_value(text: str, start: int) -> bool:
    """Whether the amount at `start` ends an item of a list of projects the text announces (see above)."""
    intro = None
    for m in _LIST_OF_PROJECTS.finditer(text, max(0, start - 2500), start):
        intro = m
    if intro is None:
        return False
    region = text[intro.end() : start]
    # the list ends at a paragraph that is not an item
    if re.search(r"\n\s*\n(?![^\S\n]*(\d{1,2}[.)]|[•·▪*–—-]))", region):
        return False
    item_starts = [m.end() for m in _ITEM_START.finditer(text, intro.end(), start)]
    item = text[max([intro.end(), *item_starts]) : start]
    return bool(_ITEM_VALUE.search(item)) and not _APPROXIMATE.search(item[-30:])


# round 7: "проекти за водопроводите на кв. „Настан“ - 6 701 974,40 лв., с. Брезе - 4 159 725,19 лв., …",
# "Общо 5 са обектите, които са включени във финансирането, както следва:\n1. … в с. Бисерци - 70 000 лв.\n2. …",
# "за 2 проекта: „Изграждане на физкултурен салон в с. Кочан” – 350 000 лв., и „…” – 500 000 лв.": a paragraph
# that speaks of projects or sites (обекти) and pairs at least two names with amounts after a dash lists each
# project with its value. A dash after a digit is a range; a name that is a municipality or a region is an
# allotment, not a project.
_DASH_BEFORE_AMOUNT = re.compile(r"[^\W\d][.“”\"»)]?[^\S\n]*[-–—][^\S\n]*$")
_LISTED_ITEMS_INTRO = re.compile(r"(?<![\w-])(проект\w*|обект\w*)\b", re.I)
# "Безвъзмездна финансова помощ - 22 023.04 лв.\nСредства от ЕЗФРСР – 19820.74 лв.", "от които от Европейски фонд
# за регионално развитие – 1 543 430.00 лева и Национално финансиране – …": one project's money by source
_FUNDING_ITEM = re.compile(
    r"финансир\w*|помощ|фонд\w*|средства|съфинанс\w*|принос|бюджет\w*|от\s+които|ЕЗФРСР|ЕФРР|ЕСФ|\bЕС\b",
    re.I,
)
_ALLOTMENT_ITEM = re.compile(
    r"(?<![\w-])(общин\w*|област\w*)\s+[А-Я]\w*[^\S\n]*[-–—][^\S\n]*$", re.I
)


def _dash_listed_values(text: str, money: list) -> set[int]:
    """Starts of the amounts that each end a "name – amount" item of a list of projects (see above)."""
    dashed = [m for m in money if _DASH_BEFORE_AMOUNT.search(text[max(0, m.start - 8) : m.start])]
    listed: set[int] = set()
    paragraphs: dict[int, list] = {}
    for m in dashed:
        breaks = [b.end() for b in re.finditer(r"\n[^\S\n]*\n", text[: m.start])]
        paragraphs.setdefault(breaks[-1] if breaks else 0, []).append(m)
    for opening, items in paragraphs.items():
        # the list's introduction: from the paragraph's start, or from an amount it states before the list
        # (a sum, or one project's money by source: "Общият бюджет на проекта е 589 602 евро, от които …")
        lead = max(
            [opening, *(m.end for m in money if opening <= m.start and m.end <= items[0].start)]
        )
        if len(items) < 2 or not _LISTED_ITEMS_INTRO.search(text[lead : items[0].start]):
            continue
        previous_end = opening
        for m in items:
            segment = text[previous_end : m.start]
            item = re.split(r"[\n:;,]", segment)[
                -1
            ]  # the item's own name, after its list's separator
            # round 8: "Основен ремонт на НЧ „Отец Паисий“ – гр. Полски Тръмбеш (85% средства от НДЕФ) – 289 364
            # лв.": a remark in brackets on the share a source pays does not make the item a source
            item = re.sub(r"\(\s*\d{1,3}\s*%[^)]*\)?", " ", item)
            if (
                (previous_end != opening and len(segment) > 300)
                or _ALLOTMENT_ITEM.search(item)
                or _FUNDING_ITEM.search(item)
            ):
                break
            listed.add(m.start)
            previous_end = m.end
    return listed


def _listed_projects_value(text: str, start: int, end: int) -> bool:
    if _announced_list_value(text, start):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    if not _LIST_ITEM_VALUE.match(text[line_start:start]):
        return False
    if not re.match(r"^[^\S\n]*[;.]?[^\S\n]*(\n|$)", text[end:]):
        return False
    # the list's introduction: the lines above it, items of the same list or blank, up to "Проектите … са за:"
    above = text[:line_start].rstrip("\n").split("\n")
    for line in reversed(above[-12:]):
        if not line.strip() or re.match(r"^[^\S\n]*[•·▪*–-]", line):
            continue
        return bool(_PROJECTS_LIST_INTRO.search(line))
    return False


# "… саниране на още 18 многофамилни жилищни сгради … общият брой на обновените блокове … достига 36. Общата
# стойност на инвестицията е 9 019 317,84 евро.": an investment's or a sum's total after the text counts
# several buildings, objects or contracts is their sum (or of unclear scope), not one project's total. A label
# that names the project itself ("Общата стойност на проекта") is not questioned.
_COUNTED_ITEMS = re.compile(
    r"(?<![\w.,])(\d{1,4}|два|две|три|четири|пет|шест|седем|осем|девет|десет|\w+надесет|\w+десет)"
    r"\s+(\w+\s+){0,3}?(сгради|блока|блокове|обекта|договора|училища|улици|пътя|детски\s+градини)\b"
    r"|общ(ият|ия)\s+брой\s+на\s+(\w+\s+)?(сгради|блокове|обекти|проекти|договори)",
    re.I,
)
# (the definite "Общата стойност на инвестицията" heads its own sentence; "… е на обща стойност" says its subject's)
_SUM_LABEL = re.compile(
    r"[Оо]бщата\s+(\w+\s+)?(стойност|сума|инвестиция)(?!\s+на\s+(проекта|договор))"
)


def _sum_over_counted_items(text: str, position: int, label: re.Match | None) -> bool:
    if label is None or not _SUM_LABEL.match(label.group(0)):
        return False
    counts = _COUNTED_ITEMS.findall(text[max(0, position - 500) : position])
    return any(c[0].lower() not in ("1", "един", "една", "едно") for c in counts)


# "Проектът е за извършване на подготвителни дейности … Финансирането се осигурява от Програмата за развитие на
# селските райони и е на стойност 50 хил. лв.": the financing the project gets from one source, "and is worth N" —
# the whole project's money (a share or a grant says so: "от които", "безвъзмездн…", "съфинансиране").
# round 7: "Община Панагюрище изпълнява проект за … Той се реализира по Програма „Развитие на регионите“ 2021–2027
# и е на стойност 62 466 лева": the project (or "it") carried out under a programme "and is worth N" — the
# programme named on the way does not make the amount the programme's.
_PROJECT_UNDER_PROGRAMME_VALUE = re.compile(
    r"(?<![\w-])(Той|Проектът)\s+се\s+(реализира|изпълнява|финансира)\s+по\s+[^.\d]{3,120}?"
    r"(\d{4}\s*[-–]\s*\d{4}\s*(г\.\s*)?)?\s*и\s+е\s+на\s+(обща\s+)?стойност(\s+от)?\s*$"
)
_FINANCING_PROVIDED_VALUE = re.compile(
    r"(?<![\w-])Финансирането\s+(се\s+осигурява|е\s+осигурено|се\s+предоставя)\s+от\s+"
    r"(?![^.\d]*(безвъзмездн|съфинанс|от\s+които))[^.\d]{3,120}?\s+и\s+е\s+на\s+стойност(\s+от)?\s*$"
)


# "Общата стойност на одобрените за финансиране разходи по проекта и одобрената безвъзмездна финансова помощ е в
# размер 388 123,01 лв.": the label names the project's approved costs first; the grant coordinated with them
# (one amount for both, the project funded in full) does not make the amount a grant.
_APPROVED_COSTS_TOTAL = re.compile(
    # round 7: "Общият размер на одобрените разходи по проекта е: 63179,50 лева без ДДС"
    r"([Оо]бщата\s+стойност|[Оо]бщият\s+размер)\s+на\s+одобрените\s+(за\s+финансиране\s+)?(допустими\s+)?разходи\s+по\s+проекта"
    r"(\s+и\s+[^.\d]{0,90}?)?\s+(е|възлиза)(\s+в\s+размер)?(\s+на)?\s*:?\s*$"
)


# "Изготвяне на инвестиционен проект за модернизация на уличното осветление … Стойността на проекта е 137 000
# лв. без ДДС": where "проект" is a design (an investment, technical or working design made under a
# procurement contract), its value is the design contract's, not an EU project's total.
_DESIGN_PROJECT = re.compile(
    r"(изготвяне|разработване|изработване|проектиране)\w*\s+на\s+(инвестиционен|технически|работен|идеен)\s+проект",
    re.I,
)


def _design_contract_value(text: str, position: int) -> bool:
    # (only where the page speaks of the procurement that buys the design)
    return bool(_DESIGN_PROJECT.search(text[max(0, position - 400) : position])) and bool(
        re.search(r"поръчк|възлага|изпълнител", text, re.I)
    )


# round 6, on a page that names no EU fund, programme or grant: money a national body allots for one named work is
# that work's total — "бяха отпуснати 600 000 лв. за ремонт на водопровода в село Царева ливада", "274 141 лв. ще
# бъдат използвани за укрепване на свлачище", "Със споразумение в размер на 2 млн. лева МРРБ финансира обект
# „…“". Not: "отпусната сума е 700 000 лева, за частично финансиране на ремонт" (a part), "873 300 лева за
# реализация на два проекта" (a sum: no work named after "за").
_ALLOTTED_BEFORE = re.compile(
    r"((?<![\w-])(са|бяха|е|беше|бе)\s+отпуснат\w*|(?<![\w-])отпусна|"
    r"(?<![\w-])споразумение\s+в\s+размер\s+на)\s*$"
)
_WORK_AFTER = re.compile(
    r"^[^\S\n]*(ще\s+бъдат\s+(използвани|вложени|изразходвани)\s+)?за\s+(основен\s+)?"
    r"(ремонт|укрепване|реконструкция|изграждане|рехабилитация|подмяна|обновяване|благоустрояване|"
    r"възстановяване|саниране)\w*\s+на\s"
    r"|^[^\S\n]*[А-Я]{2,6}\s+финансира\s+обект\s+[„\"“]"
)


def _national_allotment(text: str, before: str, raw_after: str) -> bool:
    if not _WORK_AFTER.match(raw_after) or _EU_FUNDING_WORDS.search(text):
        return False
    # the amount after its allotting words, or opening its sentence ("274 141 лв. ще бъдат използвани за …")
    return bool(_ALLOTTED_BEFORE.search(before)) or (
        re.search(r"(^|[.!?])\s*$", before) is not None and raw_after.lstrip().startswith("ще")
    )


def _money_facts(text: str) -> list[Fact]:
    facts: list[Fact] = []
    money = find_money(text)
    dash_listed = _dash_listed_values(text, money)
    previous_end = 0
    for m in money:
        between = text[previous_end : m.start]
        if previous_end and _EQUIVALENT.match(between):
            previous_end = m.end
            continue
        if facts and facts[-1].end == previous_end and facts[-1].field == "amount_total":
            if _ENUMERATED.match(between):
                amount, currency = m.value
                facts.append(
                    _of(m, "amount_total", float(round_cents(amount)), "enumerated_total", currency)
                )
                previous_end = m.end
                continue
        before = _window_before(text, m.start, 170, stop_at=previous_end)
        near = _window_before(text, m.start, 30, stop_at=previous_end)
        after = _window_after(text, m.end, 90)
        raw_after = text[m.end : m.end + 90]
        previous_end = m.end
        amount, currency = m.value
        approximate = _APPROXIMATE.search(near)
        if approximate and _STATED_TO_THE_CENT.fullmatch(approximate.group(1)) and amount % 1:
            # "около 1 234 567, 89 евро": a value given to the cent is the stated one, whatever the
            # word before it says
            approximate = None
        if approximate or _RANGE_AFTER.match(after) or re.search(r"\d\s*[-–]\s*$", near):
            continue
        value = float(round_cents(amount))
        # (the words after an amount end at its line: the next line's label "EU contribution:" is not its)
        if _EU_AFTER.match(_flat(raw_after.split("\n")[0])) or _EU_BEFORE.search(before):
            if not re.search(r"(над|over|above)\s*$", near) and not _OTHERS_BUDGET.search(
                _sentence_before(text, m.start)
            ):
                facts.append(_of(m, "amount_eu", value, "eu_share_phrase", currency))
            continue
        if _national_allotment(text, before, raw_after):
            facts.append(_of(m, "amount_total", value, "national_allotment", currency))
            continue
        # A total's own label ("е на обща стойност от") answers for its clause: a procedure or a
        # grant named further back in the sentence does not make the amount theirs.
        contract = _GRANT_CONTRACT_VALUE.search(before)
        if (
            contract
            and not _NOT_PROJECT_MONEY.search(before[contract.end("grant") :])
            and not _NOT_PROJECT_MONEY_AFTER.match(raw_after)
        ):
            facts.append(_of(m, "amount_total", value, "grant_contract_value", currency))
            continue
        if _PROJECT_UNDER_PROGRAMME_VALUE.search(before) and not _NOT_PROJECT_MONEY_AFTER.match(
            raw_after
        ):
            facts.append(_of(m, "amount_total", value, "project_under_programme_value", currency))
            continue
        if _FINANCING_PROVIDED_VALUE.search(before):
            facts.append(_of(m, "amount_total", value, "financing_value", currency))
            continue
        if _APPROVED_COSTS_TOTAL.search(before):
            facts.append(_of(m, "amount_total", value, "approved_costs_total", currency))
            continue
        if _listed_projects_value(text, m.start, m.end) or m.start in dash_listed:
            facts.append(_of(m, "amount_total", value, "listed_project_value", currency))
            continue
        label = _TOTAL_STRONG.search(before)
        zone = before[max(0, label.start() - 40) :] if label else before
        if (
            _NOT_PROJECT_MONEY.search(zone)
            or _NOT_PROJECT_MONEY_AFTER.match(raw_after)
            or _sum_of_counted_projects(text, m.start, before)
            or _schemes_budget(_window_before(text, m.start, 300))
            or _sum_over_counted_items(text, m.start, label)
            or _design_contract_value(text, m.start)
            or _of_a_works_contract(text, m.start)
        ):
            continue
        if label:
            facts.append(_of(m, "amount_total", value, "total_label", currency))
        elif _NATIONAL_FINANCING.search(before) and not _EU_FUNDING_WORDS.search(text):
            facts.append(_of(m, "amount_total", value, "national_financing_total", currency))
        elif re.search(r"(^|\s)(На|на)\s*$", near) and _TOTAL_BEFORE_VERB.match(raw_after):
            facts.append(_of(m, "amount_total", value, "total_before_verb", currency))
        elif (
            _TOTAL_WEAK.search(before) or _TOTAL_FUNDS_SENTENCE.search(before)
        ) and _PROJECT_WORD.search(text[max(0, m.start - 300) : m.start]):
            facts.append(_of(m, "amount_total", value, "total_value_phrase", currency))
    facts += _share_without_currency(text, facts)
    facts += _total_without_currency(text, facts)
    # a record's table cell after its total's label ("Total cost | 1 234", "Обща стойност | 92,864.22 |")
    for m in re.finditer(
        r"(?m)Total (project )?cost\s*\|?\s*|^[^\S\n]*Обща\s+стойност[^\S\n]*\|[^\S\n]*", text
    ):
        if any(f.start >= m.end() and f.start - m.end() < 3 for f in facts):
            continue
        bare = find_bare_number(text[m.end() : m.end() + 40])
        if bare and bare.start == 0 and bare.value[0] is not None:
            start = m.end() + bare.start
            facts.append(
                Fact(
                    "amount_total",
                    float(round_cents(bare.value[0])),
                    start,
                    m.end() + bare.end,
                    bare.text,
                    "total_label_no_currency",
                    list(bare.flags),
                    None,
                )
            )
    return facts


# "Целият проект е на стойност 1 450 000 без ДДС": a total whose currency the text leaves out (a number after
# a total's label and before the VAT words); kept with currency null and flag `currency_not_stated`.
_BEFORE_VAT = re.compile(r"^[^\S\n]+(без|с|със|вкл\.?|включително)[^\S\n]+(включен[^\S\n]+)?ДДС")


# "Обща стойност на проекта (лв.): 1 234 567,89", "Стойност в евро | 345 000": the currency in the label.
_LABEL_CURRENCY = re.compile(
    r"(?:стойност|бюджет)[^\n.\d]{0,40}?(?:\(\s*|\bв\s+)(?P<cur>лв\.?|лева|BGN|евро|EUR)\s*\)?\s*[:|–-]?\s*$",
    re.I,
)


def _total_without_currency(text: str, facts: list[Fact]) -> list[Fact]:
    out = []
    for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:[ \u00a0.]\d{3})*(?:,\d{1,2})?(?![\d.,]\d)", text):
        label = _LABEL_CURRENCY.search(text[max(0, m.start() - 80) : m.start()])
        if not label or any(f.start <= m.start() < f.end for f in facts):
            continue
        before = _window_before(text, m.start(), 170)
        strong = _TOTAL_STRONG.search(before) or re.search(r"(^|\s)(Обща\s+)?[Сс]тойност", before)
        bare = find_bare_number(m.group(0))
        if not strong or _NOT_PROJECT_MONEY.search(before) or bare is None or bare.value[0] is None:
            continue
        cur = label["cur"].lower()
        currency = "BGN" if cur.startswith(("лв", "лева", "bgn")) else "EUR"
        out.append(
            Fact(
                "amount_total",
                float(round_cents(bare.value[0])),
                m.start(),
                m.end(),
                m.group(0),
                "total_currency_in_label",
                [f for f in bare.flags if f != "currency_not_stated"] + ["currency_in_label"],
                currency,
            )
        )
    for m in re.finditer(r"(?<![\d.,])\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d{1,2})?(?![\d,])", text):
        if not _BEFORE_VAT.match(text[m.end() : m.end() + 30]) or any(
            f.start <= m.start() < f.end for f in facts
        ):
            continue
        before = _window_before(text, m.start(), 170)
        label = _TOTAL_STRONG.search(before) or (
            _TOTAL_WEAK.search(before) and _PROJECT_WORD.search(before)
        )
        zone = before[max(0, label.start() - 40) :] if label else before
        bare = find_bare_number(m.group(0))
        if not label or _NOT_PROJECT_MONEY.search(zone) or bare is None:
            continue
        out.append(
            Fact(
                "amount_total",
                float(round_cents(bare.value[0])),
                m.start(),
                m.end(),
                m.group(0),
                "total_label_no_currency",
                list(bare.flags),
                None,
            )
        )
    return out


# "7,689,268.62 euro, out of which 6,535,878.32ERDF": a share whose currency is the total's, said once.
_SHARE_NO_CURRENCY = re.compile(
    r"(out\s+of\s+which|от\s+които|от\s+тях)\s+(?P<n>\d[\d ,.]*\d)\s*(ERDF|ЕФРР|ESF|ЕСФ|IPA|ENI|EAFRD|ЕЗФРСР)\b"
)


def _share_without_currency(text: str, facts: list[Fact]) -> list[Fact]:
    out = []
    for m in _SHARE_NO_CURRENCY.finditer(text):
        total = next(
            (
                f
                for f in reversed(facts)
                if f.field == "amount_total" and f.end <= m.start() and m.start() - f.end < 20
            ),
            None,
        )
        bare = find_bare_number(m.group("n"))
        if total is None or bare is None or any(f.start == m.start("n") for f in facts):
            continue
        value = float(round_cents(bare.value[0]))
        out.append(
            Fact(
                "amount_eu",
                value,
                m.start("n"),
                m.end("n"),
                m.group("n"),
                "eu_share_currency_of_total",
                ["currency_of_total"],
                total.currency,
            )
        )
    return out


# --- dates and duration -------------------------------------------------------------------------------------------

_START_LABEL = re.compile(
    # "Начална дата:", "Началната дата на проекта е", "Датата на започване на проекта е"
    r"(Начална(та)?\s+дата(\s+(на|за)\s+(изпълнение(\s+на\s+проекта)?|проекта)(\s+е)?)?|Start\s+date|"
    r"Дата(та)?\s+на\s+(стартиране|започване)(\s+на\s+(проекта|изпълнението)(\s+е)?)?|"
    r"(?<![\w-])(Начало(\s+на\s+(проекта|изпълнението))?|Start)\s*:|"
    r"(Началото|Стартът)\s+на\s+(проекта|изпълнението(\s+на\s+проекта)?)\s+е)\s*[:|]?\s*$",
    re.I,
)
_END_LABEL = re.compile(
    r"(Дата(та)?\s+на\s+(приключване|завършване)(\s+на\s+(проекта|изпълнението)(\s+е)?)?|"
    r"Крайна(та)?\s+дата(\s+(на|за)\s+(изпълнение(\s+на\s+проекта)?|проекта)(\s+е)?)?|End\s+date|"
    r"Край\s+на\s+проекта|(?<![\w-])(Край(\s+на\s+изпълнението)?|End)\s*:|"
    r"Краят\s+на\s+(проекта|изпълнението(\s+на\s+проекта)?)\s+е)\s*[:|]?\s*$",
    re.I,
)
_NOT_PROJECT_DATE = re.compile(
    r"(Дата\s+на\s+решение|Contract\s+date|contract|подпис\w*|сключ\w*|ще\s+се\s+проведе|"
    r"ще\s+се\s+състои|пресконференция|церемония|първа\s+копка|публикуван\w*|"
    r"[Кк]ра[ейн]\w*\s+срок\s+за\s+(подаване|кандидатстване)|deadline|кандидатстване|"
    r"заседание|Решение|Протокол|Актуално\s+към|от\s+дата|Договор\s*№?\s*[\w\-./]*\s*/\s*|"
    r"/\s*)$",
    re.I,
)
# "да се подсигури топъл обяд през летния период 01.07.2016 г.-30.09.2016 г.": the period a service is given
# in (a season, a school year), not the project's start and end.
# "От 40 (четиридесет) потребителите на социалната услуга стават 60 (шестдесет) за периода от 18.12.2017 г. до
# 31.12.2019 г.": the period a social service reaches its users, not the project's start and end.
_SERVICE_SEASON = re.compile(
    r"(летния|зимния|есенния|пролетния|отоплителния|ваканционния)\s+(период|сезон)|учебната\s+година|"
    r"потребител\w*\s+на\s+(социалната\s+)?услуга|топъл\s+обяд",
    re.I,
)
_EVENT_AFTER = re.compile(
    r"^\s*(г\.?|година)?\s*(\([^)]{0,15}\)\s*)?(от\s+\d{1,2}[:.]\d{2}|\d{1,2}[:.]\d{2}\s*ч|"
    r"[^.]{0,80}(подписа|сключ|signed|бе\s+подписано|ще\s+се\s+проведе|ще\s+се\s+състои))",
    re.I,
)
# "Строителството ще приключи до …": the works' end, not the project's (the project's words are not in the clause).
_WORKS_SUBJECT = re.compile(
    r"^\s*(Строителството|Строително-монтажните|СМР|Ремонтът|Ремонтните|Работите|Доставката|"
    r"Обществената\s+поръчка|Изпълнителят)\b(?![^.]*проект)"
)
# "Дейност 2 по проекта ще приключи на …": a numbered activity's, stage's or phase's end, not the project's.
_NUMBERED_PART = re.compile(r"(?<!\w)([Дд]ейност|[Ее]тап|[Фф]аза)\w*\s*(№\s*)?\d")
# "От 15.07.2011 г. стартира работа на терен по Дейност 4 по проект …": an activity's or a stage's start, not
# the project's.
_ACTIVITY_START_AFTER = re.compile(
    r"^\s*(г\.?|година)?\s*,?\s*[^.]{0,40}?\b(стартира\w*|започ\w*)\s+[^.]{0,40}?\b(по|на)\s+"
    r"([Дд]ейност|[Ее]тап|[Фф]аза|[Кк]омпонент)\w*\s*(№\s*)?\d",
)
_START_AFTER = re.compile(
    r"^\s*(г\.?|година)?\s*,?\s*[^.]{0,120}?\b(стартира(ха)?|започна|започва)\s+"
    r"(изпълнение(то)?|реализацията|работа|дейностите|проект)",
    re.I,
)
_START_BEFORE = re.compile(
    r"((проект\w*|[Рр]еализацията|[Ии]зпълнението)[^.]{0,60}(стартира|започна|започва)\w*\s+(на|от|през)?"
    r"|project[^.]{0,60}\s(started|starts|began|begins|will\s+start)\s+(on|in)"
    r"|стартира\s+(на|от|през))\s*$",
    re.I,
)
_PROJECT_STARTED = re.compile(
    r"[Пп]роект(ът)?(\s+[„\"“][^”“\"]{3,150}[”“\"])?\s+(стартира|започна)\s+(на|от|през)\s*$"
)
_ALONE_ON_LINE = re.compile(r"^\s*[^\w\n]{0,3}\s*(\d{1,2}[:.]\d{2}\s*(ч\.?)?\s*)?\s*$")


def _line_of(text: str, start: int, end: int) -> str:
    """The rest of the line a date stands on, without the date."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return text[line_start:start] + text[end:line_end]


_RUNNING_FROM = re.compile(r"^\s*(г\.?|година)?\s*се\s+изпълнява\s+проект", re.I)
_END_PHRASE = re.compile(
    r"(ще\s+приключи|приключва|да\s+приключ\w+|да\s+бъд(е|ат)\s+(приключен|завършен|изпълнен|реализиран)\w*|"
    r"[Сс]рок(ът)?\s+на\s+проекта(\s+е)?|удълж\w+|"
    # "Проектът приключи на 30.06.2024 г.", "Проектът, който завърши през юни 2024 г."
    r"[Пп]роект(ът|а)?\b[^.\d]{0,60}?\s(приключи|завърши|приключил\w*|завършил\w*)\s+(на|през)|"
    # "Проектът ще бъде изпълнен до …", "Проектът ще се изпълнява до …"
    r"[Пп]роект(ът|а)?\b[^.\d]{0,60}?((ще|да|трябва\s+да)\s+бъд(е|ат)\s+(изпълнен|завършен|приключен|реализиран)\w*|"
    r"ще\s+се\s+(изпълнява|реализира)\w*)\s+до|кра(ен|йният)\s+срок(а|ът)?\s+за\s+изпълнение[^.\d]{0,40}?|"
    r"\d{1,3}\s+месеца,?\s+(или|т\.\s?е\.)|"
    # "Срокът за изпълнението на договора е 36 месеца (до 13.05.2023г.)": the end in brackets after the duration
    r"[Сс]рок(ът)?\s+(за|на)\s+(изпълнение(то)?\s+на\s+(проекта|договора)|проекта)[^.\d]{0,20}?\d{1,3}\s+(месеца|години)\s*\(|"
    r"удълж\w+[^.]{0,40}?|срок(ът)?\s+(за|на)\s+изпълнение[^.\d]{0,60}|completed\s+no\s+later\s+than|no\s+later\s+than|until|"
    r"will\s+end\s+on|ends\s+on)\s*(е\s+)?(на|до|през|в|:|[-–])?\s*(месец)?\s*$",
    re.I,
)
# "Срокът за изпълнение на проекта е 70 месеца, считано 28 февруари 2018 година, датата на сключване на
# договора": the date a project's duration is counted from is its start, whatever else happened that day.
_COUNTED_FROM = re.compile(
    r"\d{1,3}\s*(месеца|месец|години|година|дни|months|years)\W{0,3}(считано|считан\w*|начиная|counting)"
    r"(\s+(от|from))?(\s+датата(\s+на\s+\w+(\s+на\s+\w+)?)?)?\s*[-–,:]?\s*$",
    re.I,
)
_RANGE_SEP = re.compile(r"^\.?\s*(г\.?|година)?\s*(–|-|—|→|до|to)\s*")
_DURATION_CONTEXT = re.compile(
    r"(продължителност\w*|срок(ът|а)?\s+(за|на)\s+(неговото\s+|нейното\s+|своето\s+|тяхното\s+)?(изпълнение|реализация)\w*|"
    # round 7: "Планирания период за реализацията им е 18 месеца" (a period of carrying the projects out)
    r"период(ът|а)?\s+(за|на)\s+(реализация|изпълнение)\w*|"
    r"[Сс]рок(ът|а)?\s+на\s+проекта|"
    # "Обектът ще се изпълнява 2 години", "трябва да приключи за 18 месеца": a duration worded as a deadline
    r"(проект\w*|обект\w*|дейностите|той|тя)[^.\d]{0,40}(ще\s+се\s+(изпълнява|реализира)\w*|"
    r"(трябва|следва)\s+да\s+(приключи|завърши|бъде\s+(изпълнен|реализиран)\w*)\s+(за|в\s+рамките\s+на))|"
    r"период(ът)?\s+на\s+изпълнение|ще\s+продължи|duration|within\s+a\s+period\s+of|"
    r"[Пп]роект(ът|а)?\b[^.\d]{0,40}\sсъс\s+срок(\s+на\s+(изпълнение|реализация))?\s+от|"
    r"(?<![\w-])Срок\s*:|"  # a project card's "Срок: 24 месеца"
    r"(проект\w*|той|тя)[^.\d]{0,40}(реализиран|изпълнен)\w*\s+за|"
    # "Проектът се изпълнява за срок от 24 месеца", "… ще се реализира в срок от 18 месеца"
    r"(проект\w*|той|тя)[^.\d]{0,40}(се\s+)?(изпълнява|реализира)\w*\s+(за|в)\s+(срок|период)\s+от|"
    # round 6: "Проекта се изпълнява в рамките на 24 месеца", "Проектът ще се реализира в рамките на 24 месеца"
    r"(проект\w*|той|тя)[^.\d]{0,40}(се\s+)?(изпълнява|реализира)\w*\s+в\s+рамките\s+на|"
    r"изпълнението\s+на\s+проекта\s+е)[^.\d]{0,60}$",
    re.I,
)
# "Срокът за изпълнение на проекта е до 6 месеца.": the term a grant contract gives the project, stated as
# its upper bound; the project's duration (the words must name the project itself, not a works contract).
# round 7: "Ремонтът, обзавеждането и отчитането на проекта трябва да приключат до 20 месеца от подписването на
# договора за финансиране": a project's deadline counted from its contract's signing is its duration.
_DEADLINE_FROM_SIGNING = re.compile(
    r"(?<![\w-])[Пп]роекта?\b[^.\d]{0,40}?(трябва|следва)\s+да\s+(приключ|завърш)\w*\s+(до|в\s+рамките\s+на)\s*$"
)
_TERM_UP_TO = re.compile(r"(?<![\w-])[Сс]рок(ът)?\s+за\s+изпълнение\s+на\s+проекта\s+е\s+до\s*$")
_NOT_DURATION = re.compile(
    r"(удължава|удължен|удължаване|удължаването|extension|максимал|maximum|не\s+повече\s+от|"
    r"\bдо\s*$|up\s+to|обучителн|компенсацията|устойчивост)",
    re.I,
)
# "Продължителност: 01.03.2019", "Продължителността на проекта е до февруари 2026 година": the end
_DURATION_LABEL_DATE = re.compile(
    r"[Пп]родължителност\w*(\s+на\s+проекта)?\s*([:–—-]|\s+е\s+до|\s+е\s+до\s+края\s+на)?\s*$"
)


_EXTENSION = re.compile(r"удълж\w*|extension|extended", re.I)
# "Бюджетът на Министерството на туризма е 176 471 евро, от които 150 000 евро от ЕФРР": a
# partner's or another body's budget, so its EU share is not the project's.
_OTHERS_BUDGET = re.compile(
    r"[Бб]юджет(ът|а)?\s+на\s+(?!проекта|инвестицията|project)\w+|(?<!the\s)[Pp]artner'?s\s+budget"
)


def _sentence_before(text: str, position: int, limit: int = 300) -> str:
    """The text from the start of the sentence holding `position` up to it."""
    start = max(0, position - limit)
    window = text[start:position]
    cut = max(window.rfind(". "), window.rfind(".\n"), window.rfind("\n\n"))
    return window[cut + 1 :] if cut >= 0 else window


def _date_facts(text: str) -> list[Fact]:
    facts: list[Fact] = []
    dates = find_all_dates(text)
    used: set[int] = set()
    for i, d in enumerate(dates):
        if i in used:
            continue
        before = _window_before(text, d.start, 120)
        after = re.sub(r"\b(гр|ул|бул|пл|с|г|инж|д-р)\.", r"\1,", _window_after(text, d.end, 160))
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        sep = _RANGE_SEP.match(text[d.end : d.end + 12])
        if _START_LABEL.search(before):
            facts.append(_of(d, "start_date", d.value, "start_label"))
        elif _END_LABEL.search(before):
            facts.append(_of(d, "end_date", d.value, "end_label"))
        elif is_furniture_label(before):
            continue
        elif _COUNTED_FROM.search(before) and not _EXTENSION.search(
            _sentence_before(text, d.start)
        ):
            facts.append(_of(d, "start_date", d.value, "duration_counted_from"))
        elif _DURATION_LABEL_DATE.search(before):
            facts.append(_of(d, "end_date", d.value, "date_after_duration_label"))
        elif (
            sep
            and nxt
            and nxt.start == d.end + sep.end()
            and not _NOT_PROJECT_DATE.search(before)
            and not _SERVICE_SEASON.search(before)
            and d.value < nxt.value
        ):
            span = (d.start, nxt.end, text[d.start : nxt.end])
            if _EXTENSION.search(_sentence_before(text, d.start)):
                # "удължаване срока на договора ..., считано от 01.02.2026 г. до 30.09.2026 г.":
                # the extension's period; only its end is the project's (new) end.
                facts.append(Fact("end_date", nxt.value, *span, "extended_end", list(nxt.flags)))
            else:
                facts.append(Fact("start_date", d.value, *span, "period_range", list(d.flags)))
                facts.append(Fact("end_date", nxt.value, *span, "period_range", list(nxt.flags)))
            used.add(i + 1)
        elif is_dateline(text, d.start, d.end):
            continue
        elif (
            _END_PHRASE.search(before)
            and not _NOT_PROJECT_DATE.search(before)
            and not _NUMBERED_PART.search(before)
            and not _WORKS_SUBJECT.match(before)
        ):
            facts.append(_of(d, "end_date", d.value, "end_phrase"))
        elif _PROJECT_STARTED.search(before):
            # "Проектът стартира на 18 ноември 2016 г. със сключения ... Договор": the text says the
            # project started then, whatever else happened that day
            facts.append(_of(d, "start_date", d.value, "project_started_on"))
        elif _ALONE_ON_LINE.match(_line_of(text, d.start, d.end)):
            continue  # a date on a line of its own is the page's (published, updated), not the project's
        elif (
            _NOT_PROJECT_DATE.search(before)
            # round 8: "Поляха … първата копка по проект в община Борован\n\nДнес 14.04.2011г. започна
            # изпълнението на ПРОЕКТ …": the day of a first-sod ceremony starts the works, not the project
            or re.search(r"първа(та)?\s+копка", text[max(0, d.start - 200) : d.start], re.I)
            or _EVENT_AFTER.match(after)
            or _ACTIVITY_START_AFTER.match(after)
        ):
            continue
        elif (
            _START_BEFORE.search(before)
            or _START_AFTER.match(after)
            or (
                re.search(r"(започна|стартира|започва)\w*\s+(на|от)\s*$", before)
                and (
                    re.match(r"^[^.]{0,80}(изпълнение|реализация|проект)", after)
                    or re.search(r"проект|изпълнение", before)
                )
            )
        ):
            facts.append(_of(d, "start_date", d.value, "start_phrase"))
        elif re.search(r"\bот\s*$", before) and _RUNNING_FROM.match(after):
            facts.append(_of(d, "start_date", d.value, "running_since"))
    return facts


# "Изменението на продължи-телността на договора от 18 на 20 месеца": a duration changed, the new one stands.
_DURATION_CHANGED = re.compile(
    r"продължи-?\s?телност\w*\s+на\s+(договора|проекта)\s+от\s+\d{1,3}\s+(месеца\s+)?на\s*$", re.I
)


# "Продължителност 12 месеца (1/2019 - 1/2020)", "Период на изпълнение: 3/2021 – 2/2023": a period in months.
_MONTH_PERIOD_CUE = re.compile(
    r"([Пп]родължителност|[Пп]ериод|[Сс]рок|изпълнение|месеца|[Dd]uration|[Pp]eriod)[^.\n\d]{0,40}"
    r"(\d{1,3}\s*(месеца|months)\s*)?[(:–-]?\s*$"
)


def _month_period_facts(text: str) -> list[Fact]:
    facts = []
    for m in MONTH_PERIOD_RE.finditer(text):
        if not (1 <= int(m["m1"]) <= 12 and 1 <= int(m["m2"]) <= 12) or m["y1"] > m["y2"]:
            continue
        if re.search(
            r"[\d/.]$", text[max(0, m.start() - 1) : m.start()]
        ) or not _MONTH_PERIOD_CUE.search(text[max(0, m.start() - 80) : m.start()]):
            continue
        span = (m.start(), m.end(), m.group(0))
        facts.append(
            Fact(
                "start_date", f"{m['y1']}-{int(m['m1']):02d}", *span, "month_period", ["month_only"]
            )
        )
        facts.append(
            Fact("end_date", f"{m['y2']}-{int(m['m2']):02d}", *span, "month_period", ["month_only"])
        )
    return facts


# "24-месечния проект", "18-месечен проект", "двугодишният проект": a duration in the project's adjective.
_YEARS_ADJECTIVE = {
    "едногодиш": 12,
    "двугодиш": 24,
    "тригодиш": 36,
    "четиригодиш": 48,
    "петгодиш": 60,
}
_DURATION_ADJECTIVE = re.compile(
    r"(?<![\d.,])(?:(?P<n>\d{1,3})\s?-?\s?месеч|(?P<years>едногодиш|двугодиш|тригодиш|четиригодиш|петгодиш))"
    r"(ен|ния|ният|на|ната|но)\s+(проект|период\s+на\s+(изпълнение|реализация))",
    re.I,
)


# "Проектът е тригодишен", "Проектът „…“ е 18-месечен": the adjective as the predicate of the project
_DURATION_PREDICATE = re.compile(
    r"[Пп]роект(ът)?(\s+[„\"“][^”“\"]{3,150}[”“\"])?\s+(е|ще\s+бъде)\s+"
    r"(?P<span>(?:(?P<n>\d{1,3})\s?-?\s?месеч|(?P<years>едногодиш|двугодиш|тригодиш|четиригодиш|петгодиш))ен)\b"
)


# "През трите години на неговото изпълнение се осъществиха …": the years of a project's implementation,
# counted with the definite numeral.
_YEARS_OF_ITS_IMPLEMENTATION = re.compile(
    r"(?<![\w-])[Пп]рез\s+(?P<span>(?P<n>двете|трите|четирите|петте)\s+години)\s+на\s+"
    r"((неговото|нейното|своето)\s+изпълнение|изпълнението\s+на\s+проекта|проекта)\b"
)
_DEFINITE_YEARS = {"двете": 2, "трите": 3, "четирите": 4, "петте": 5}


def _duration_adjective_facts(text: str) -> list[Fact]:
    out = []
    for m in _YEARS_OF_ITS_IMPLEMENTATION.finditer(text):
        out.append(
            Fact(
                "duration_months",
                _DEFINITE_YEARS[m["n"].lower()] * 12,
                m.start("span"),
                m.end("span"),
                m["span"],
                "years_of_its_implementation",
            )
        )
    for m in _DURATION_PREDICATE.finditer(text):
        months = int(m["n"]) if m["n"] else _YEARS_ADJECTIVE[m["years"].lower()]
        span = (m.start("span"), m.end("span"))
        out.append(
            Fact("duration_months", months, *span, text[span[0] : span[1]], "duration_adjective")
        )
    for m in _DURATION_ADJECTIVE.finditer(text):
        months = int(m["n"]) if m["n"] else _YEARS_ADJECTIVE[m["years"].lower()]
        end = m.end(3)  # "18-месечен", "двугодишния"
        out.append(
            Fact(
                "duration_months",
                months,
                m.start(),
                end,
                text[m.start() : end],
                "duration_adjective",
            )
        )
    return out


# "подписаха договора за проектиране и строителство … Стойността на подписания договор е 5 210 596 лв. без ДДС
# със срок за изпълнение 7 месеца": the term of a contract for works, supplies or services is the
# contractor's, not the project's (a grant contract's term stays the project's).
_CONTRACT_SENTENCE = re.compile(r"(?<![\w-])(подписания|сключения)\s+договор|^\s*[Дд]оговорът\b")
_WORKS_CONTRACT = re.compile(
    r"договор\w*\s+за\s+(проектиране|строителство|изпълнение\s+на\s+СМР|доставка|инженеринг|услуга)"
    r"|изпълнител\w*",
    re.I,
)
_GRANT_WORDS = re.compile(r"безвъзмездн|\bБФП\b|финансиране", re.I)


# round 8: "… е подписан договор № Д-120/04.08.2020 г. за изпълнение на строително-монтажни работи по проект „…“ …
# Стойността на договора е 282 187.81 лв. с вкл. ДДС … Срокът за изпълнение на договора е 9 месеца.": "the
# contract" whose value or term a sentence states is the last contract the text introduced (by its number or its
# purpose); where that one is for works, supplies or services, the value and the term are the contractor's.
_OF_THE_CONTRACT = re.compile(
    r"(?<![\w-])(стойност\w*|срок\w*\s+за\s+изпълнение)\s+на\s+договора\s+(е|възлиза)?[^\S\n]*(на\s+)?(от\s+)?$",
    re.I,
)
_CONTRACT_INTRODUCED = re.compile(r"(?<![\w-])договор\w*\s+(№|за\s)", re.I)
_WORKS_CONTRACT_INTRODUCED = re.compile(
    r"договор\w*(\s+№\s*[^\s,]+)?(\s+от)?(\s+[\d./]+)?(\s*г\.)?\s+за\s+(изпълнение\s+на\s+)?"
    r"(СМР|строително[-\s]монтажни|строителство|доставка|инженеринг|услуга|проектиране|строителен\s+надзор)",
    re.I,
)


def _of_a_works_contract(text: str, position: int) -> bool:
    """Whether the value or term at `position` is stated of "the contract" and that contract is for works."""
    if not _OF_THE_CONTRACT.search(text[max(0, position - 80) : position]):
        return False
    introduced = list(_CONTRACT_INTRODUCED.finditer(text, max(0, position - 1200), position))
    return bool(introduced) and bool(_WORKS_CONTRACT_INTRODUCED.match(text, introduced[-1].start()))


def _contractors_term(text: str, position: int) -> bool:
    if _of_a_works_contract(text, position):
        return True
    window = text[max(0, position - 300) : position]
    # the sentence starts after a full stop followed by a capital ("лв. без ДДС" does not end one)
    cuts = list(re.finditer(r"[.!?]\s+(?=[А-ЯA-Z„\"])|\n\s*\n", window))
    sentence = window[cuts[-1].end() :] if cuts else window
    if not _CONTRACT_SENTENCE.search(sentence) or _GRANT_WORDS.search(sentence):
        return False
    return bool(_WORKS_CONTRACT.search(text[max(0, position - len(sentence) - 400) : position]))


# round 8: "Очакваният срок за изпълнение на двата обекта е 2 месеца" — the term of the works on sites (обекти:
# streets, buildings under construction) is the builder's, not the project's.
_WORKS_ON_SITES_TERM = re.compile(
    r"срок\w*\s+за\s+(изпълнение|завършване|изграждане)\s+на\s+(\w+\s+){0,2}?обект\w*\s+(е|ще\s+бъде)?\s*(до\s+)?$",
    re.I,
)


def _duration_facts(text: str) -> list[Fact]:
    facts = _duration_adjective_facts(text)
    for d in find_durations(text):
        before = _window_before(text, d.start, 100)
        if _DURATION_CHANGED.search(before):
            facts.append(
                Fact("duration_months", d.value, d.start, d.end, d.text, "duration_changed_to")
            )
        elif _DEADLINE_FROM_SIGNING.search(before) and re.match(
            r"^\s*от\s+(подписването|сключването)\s+на\s+договора", text[d.end : d.end + 40]
        ):
            facts.append(
                Fact("duration_months", d.value, d.start, d.end, d.text, "deadline_from_signing")
            )
        elif _TERM_UP_TO.search(before):
            facts.append(
                Fact("duration_months", d.value, d.start, d.end, d.text, "project_term_up_to")
            )
        elif (
            (
                _DURATION_CONTEXT.search(before)
                # "В рамките на 18 месеца по проекта ще бъдат изготвени …"
                or (
                    re.search(r"(?<![\w-])[Вв]\s+рамките\s+на\s*$", before)
                    and re.match(r"^\s*(по|на)\s+проекта\b", text[d.end : d.end + 30])
                )
            )
            and not _NOT_DURATION.search(before)
            and not _contractors_term(text, d.start)
            and not _WORKS_ON_SITES_TERM.search(before)
            and not re.match(
                r"^\s*(след(?!\s+(подписване(то)?|сключване(то)?)\s+на\s+(административния\s+)?договор)"
                r"|от\s+датата(?!\s+на\s+(подписване|сключване)))",
                text[d.end : d.end + 40],
            )
        ):
            facts.append(
                Fact("duration_months", d.value, d.start, d.end, d.text, "duration_phrase")
            )
    return facts


# --- does the text speak of a project? ----------------------------------------------------------------------------

_PROJECT_STRONG = re.compile(
    r"([Пп]р?оект(ът|а)?\s*:?\s*(№\s*)?[„\"“«]|[Пп]роект\s+с\s+наименование|Наименование(\s+на\s+проекта)?\s*:|"
    r"[Пп]роект(ът)?\s+(е|възлиза)\s+на\s+(обща\s+)?стойност|стойност(та)?\s+на\s+проекта|обща(та)?\s+стойност\s+на\s+проекта|"
    r"Total\s+(project\s+)?cost|The\s+project\s+[\"“]|the\s+project\s+\"|Номер\s+на\s+проект|ПРОЕКТ\s+[A-ZА-Я„\"]|"
    r"[Пп]родължителност(та)?\s+на\s+проекта|[Сс]рок(ът|а)?\s+(за|на)\s+изпълнение\s+на\s+проекта|"
    r"The\s+project\s+duration|total\s+budget\s+of\s+the\s+project|Total\s+project\s+cost|"
    r"(?<![\w-])Project\s*:?\s*[\"“„]|[Pp]roject\s+(duration|budget|value)\b|Total\s+project\s+value|"
    r"Средствата\s+по\s+(договора|проекта)\s+(са|възлизат)|"
    # "Община Ген. Тошево е с одобрен проект за 2 377 897 лева": one project and its amount
    r"(?<![\w-])с\s+одобрен\s+проект\s+за\s+\d|"
    # a project database's record: "Status | Contracted |", "Статус | Сключен |"
    r"(?<![\w-])(Status|Статус)\s*\|\s*(Contracted|Completed|Сключен|Приключен)\b)"
)
_PROJECT_WEAK = re.compile(
    r"\b([Пп]роект(ът|а)?|[Пп]роектното\s+предложение|Целият\s+проект|[Tt]he\s+project|"
    # "подписа два договора за безвъзмездна финансова помощ": a grant contract is a project
    r"договор(а|ът)?\s+за\s+(безвъзмездна\s+финансова\s+помощ|предоставяне\s+на\s+безвъзмездна)|"
    # round 6: "… подадоха в установения срок проектно предложение по процедура …": a proposal submitted
    r"(подаде|подадоха|подадено|внесе|внесоха|внесено)\w*\s+([^.\d]{0,40}?\s)?проектно\s+предложение)\b"
)
# "17 допълнителни общински проекта", "шестнадесет проекта по процедурата": a count of projects
_PROJECT_COUNT = re.compile(
    r"\b(\d+|два|три|четири|пет|шест|седем|осем|девет|десет|\w+надесет|\w+десет)\s+(\w+\s+){0,2}?[Пп]роекта\b"
)
_CALL = re.compile(
    # ("покана до кандидата … за подписване на договор" invites one applicant to sign: not a call)
    r"(кандидатстване|кандидатите|допустими\s+кандидати|[Пп]окана(?!\s+до\s+(кандидата|бенефициента)\b)|[Cc]all\s+for\s+proposals|eligible|"
    r"[Кк]ра[ейн]\w*\s+срок\s+за\s+(подаване|кандидатстване)|(?<!одобрени\s)(?<!одобрените\s)проектни\s+предложения|прием\s+на\s+проекти|"
    r"План\s+за\s+интегрирано\s+развитие|ПИРО|програмен\s+период|Programme\s+budget|Priority\s+axis|"
    # a draft call, a public consultation on a draft ("проект на ПРР 2021-2027" is a draft, not a project)
    r"[Dd]raft\s+calls?|[Пп]роекти\s+на\s+покани|обществен\w*\s+консултаци|Дата\s+на\s+откриване|"
    r"проект\w*\s+на\s+(ПРР|[Пп]рограма|[Нн]аредба|[Зз]акон|[Сс]тратеги|[Пп]лан|[Рр]ешение))"
)


def speaks_of_project(text: str, facts: list[Fact]) -> bool:
    """A project code, a quoted project title (also after "проект:" and the common misspelling "поект"), or project
    words on a page that is not a call, programme or plan."""
    if any(
        f.field == "project_code"
        or f.rule
        in (
            "listed_project_value",
            "national_allotment",
            "national_financing_total",
            "project_under_programme_value",
        )
        for f in facts
    ):
        return True
    if _PROJECT_STRONG.search(text):
        return True
    weak = len(_PROJECT_WEAK.findall(_PROJECT_COUNT.sub("", text)))  # "15 проекта" is a count
    calls = len(_CALL.findall(text))
    # a word of a call ("eligible costs") on a page that labels a project's own facts
    labels = sorted(
        f.start
        for f in facts
        if f.rule in ("start_label", "end_label", "total_label", "record_card")
    )
    labelled = len(labels)
    if labelled >= 3 and labels[-1] - labels[0] < 400:
        return True  # a project record's block ("Start date:", "End date:", "Total budget:") needs no project word
    # (round 6) a project's total read by a total's rule, and project words twice the call's: "Община Казанлък
    # с проект за 653 180 лева …, кандидатстването за който се осъществява пред Министерство на енергетиката"
    totalled = any(f.field == "amount_total" for f in facts)
    return weak > 0 and (calls == 0 or ((labelled >= 2 or totalled) and weak > 2 * calls))


# --- one record per project ---------------------------------------------------------------------------------------

_NEW_PROJECT = re.compile(
    r"проект|project|[Вв]торият|[Ее]диният|[Дд]ругият|още\s+един|също\s+спечели|[Пп]ървият", re.I
)


def _new_record() -> dict:
    record = {name: None for name in CORE_FIELDS}
    record.update(
        currency=None,
        currency_eu=None,
        amount_total_bgn=None,
        amount_total_eur=None,
        evidence={},
        candidates={},
        flags=[],
    )
    return record


def _set(record: dict, fact: Fact) -> None:
    record[fact.field] = fact.value
    record["evidence"][fact.field] = fact.evidence()
    if fact.field == "amount_total":
        record["currency"] = fact.currency
    if fact.field == "amount_eu":
        record["currency_eu"] = fact.currency
    record["flags"] += [f for f in fact.flags if f not in record["flags"]]


# "Този сайт е създаден в изпълнение на Административен договор № ...": a funding notice names the project that paid
# for the site or document, not the project the page reports on.
_FUNDING_NOTICE = re.compile(
    r"(?<![^\s„\"“(])(Т(ози|ази|ова)\s+(уеб\s*|интернет\s+)?"
    r"(сайт|страница|публикация|документ|материал|брошура|видеоклип)\w*|This\s+(website|publication|document))[^.\n]{0,80}?\s"
    r"(е|is|was|has\s+been)\s+(създаден|изготвен|разработен|осъществен|публикуван|финансиран|"
    r"created|produced|funded)\w*[^\n]*"
)


def _funding_notices(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _FUNDING_NOTICE.finditer(text)]


# A procedure the page states: after a procedure word, or a 2007–13 scheme's number (round 7: "схема за
# предоставяне на безвъзмездна финансова помощ BG161PО001/5-03/2013" beats BG161PO001-5.3.03 read off the
# contract's code BG161PO001-5.3.03-0009)
_STATED_PROCEDURE_RULES = {"procedure_after_word", "procedure_code_2007_13_form"}


def _stated_procedure_wins(current: dict, fact: Fact) -> bool:
    """Settle a procedure stated after the word against the one read off the contract code.

    "в рамките на процедура ..., BG16RFOP001-1.001-039" states the procedure; the one read off
    the contract code (BG16RFOP001-1.008-0002-C01) is an inference. The stated one is kept,
    the other listed as a candidate and the record flagged, so a reader sees both. Returns
    False where the two facts are not that pair (an ordinary conflict)."""
    held = current["procedure_code"]
    if fact.field != "procedure_code" or held is None or held == fact.value:
        return False
    rules = {current["evidence"]["procedure_code"]["rule"], fact.rule}
    if (
        "procedure_of_project_code" not in rules
        or not rules & _STATED_PROCEDURE_RULES
        or len(rules) != 2
    ):
        return False
    if fact.rule in _STATED_PROCEDURE_RULES:
        derived = {"value": held, **current["evidence"]["procedure_code"]}
        current["procedure_code"] = fact.value
        current["evidence"]["procedure_code"] = fact.evidence()
    else:
        derived = {"value": fact.value, **fact.evidence()}
    listed = current["candidates"].setdefault("procedure_code", [])
    if all(c["value"] != derived["value"] for c in listed):
        listed.append(derived)
    if "procedure_code_stated_over_derived" not in current["flags"]:
        current["flags"].append("procedure_code_stated_over_derived")
    return True


def _procedure_of(code: str) -> str | None:
    """The procedure a project code of ИСУН's form implies; None for the other families."""
    try:
        return parse_code(code).procedure_code
    except CodeError:
        return re.sub(r"-\d{4}(-C\d{2})?$", "", code) if code.startswith("BG") else None


def _proposal_of(code: str) -> str:
    """The project a code names: the contract code without its contract number (-C01)."""
    return re.sub(r"-[CС]\d{1,4}$", "", code)


def _absorb(into: dict, other: dict) -> None:
    """Fold a second record of the same project into the first: a value one of them lacks is
    taken, a value both hold alike is kept, two different values are a conflict (null, both
    listed) unless one is a procedure stated after the word against one read off a code."""
    if len(other["project_code"]) > len(
        into["project_code"]
    ):  # the contract form (-C01) names it best
        into["project_code"] = other["project_code"]
        into["evidence"]["project_code"] = other["evidence"]["project_code"]
    for name in CORE_FIELDS[1:]:
        mine, theirs = into[name], other[name]
        rules = {
            into["evidence"].get(name, {}).get("rule"),
            other["evidence"].get(name, {}).get("rule"),
        }
        if theirs is None or mine == theirs:
            pass
        elif name == "procedure_code" and rules == {"procedure_of_project_code"}:
            # both read off codes of this one project (one a misprint): the kept code's own
            if _procedure_of(into["project_code"]) == theirs:
                into[name], into["evidence"][name] = theirs, other["evidence"][name]
        elif mine is None and name not in into["candidates"]:
            into[name] = theirs
            into["evidence"][name] = other["evidence"][name]
            if name in ("amount_total", "amount_eu"):
                key = "currency" if name == "amount_total" else "currency_eu"
                into[key] = other[key]
        elif (
            mine is not None
            and "procedure_of_project_code" in rules
            and len(rules & _STATED_PROCEDURE_RULES) == 1
            and len(rules) == 2
        ):
            if other["evidence"][name]["rule"] in _STATED_PROCEDURE_RULES:
                into[name], into["evidence"][name] = theirs, other["evidence"][name]
        else:
            listed = into["candidates"].setdefault(name, [])
            if mine is not None:
                listed.append({"value": mine, **into["evidence"].pop(name)})
                into[name] = None
                into["flags"].append(f"{name}_conflict")
            listed.append({"value": theirs, **other["evidence"][name]})
        for candidate in other["candidates"].get(name, []):
            into["candidates"].setdefault(name, []).append(candidate)
    into["flags"] += [f for f in other["flags"] if f not in into["flags"]]


def _misprint_of(proposal: str, seen: dict[str, dict]) -> dict | None:
    """The record of a code this one differs from by one character of the programme only
    ("BG05M0OP001-2.018-0014" beside "BG05M9OP001-2.018-0014-C01"): a misprint of it."""
    programme, _, rest = proposal.partition("-")
    if not programme.startswith("BG"):
        return None
    for other, record in seen.items():
        other_programme, _, other_rest = other.partition("-")
        if rest == other_rest and len(programme) == len(other_programme):
            if sum(a != b for a, b in zip(programme, other_programme, strict=True)) == 1:
                return record
    return None


def _merge_records_of_one_project(records: list[dict]) -> list[dict]:
    """A project named twice on a page — by its proposal code and its contract code
    ("BG-RRP-1.007-0020" and "BG-RRP-1.007-0020-C01"), or by the same code again after other
    facts — is one project: its records become one, where the project is first named."""
    merged: list[dict] = []
    first_of: dict[str, dict] = {}
    for record in records:
        code = record["project_code"]
        same = code is not None and (
            first_of.get(_proposal_of(code)) or _misprint_of(_proposal_of(code), first_of)
        )
        if same:
            if _proposal_of(code) not in first_of and "project_code_misprint" not in same["flags"]:
                same["flags"].append("project_code_misprint")
            _absorb(same, record)
            continue
        if code is not None:
            first_of[_proposal_of(code)] = record
        merged.append(record)
    return merged


def group_into_projects(text: str, facts: list[Fact]) -> list[dict]:
    """Walk the facts in text order; a second, different value for a field opens a new project where project words
    stand between the two (else the field is in conflict: null, both candidates listed). The facts of a funding
    notice ("Този сайт е създаден в изпълнение на договор № ...") open a project of their own after the page's facts."""
    records: list[dict] = []
    current = _new_record()
    last_end = 0
    conflicted: set[str] = set()
    notices = _funding_notices(text)
    current_in_notice: tuple[int, int] | None = None
    for fact in sorted(facts, key=lambda f: (f.start, f.field != "project_code")):
        notice = next((n for n in notices if n[0] <= fact.start < n[1]), None)
        if (
            notice is not None
            and notice != current_in_notice
            and any(current[f] is not None for f in CORE_FIELDS)
            and current["project_code"] is None
        ):
            records.append(current)
            current = _new_record()
            conflicted = set()
        if notice is not None:
            current_in_notice = notice
        held = current[fact.field]
        if fact.field in conflicted:
            current["candidates"][fact.field].append({"value": fact.value, **fact.evidence()})
            continue
        if _stated_procedure_wins(current, fact):
            last_end = max(last_end, fact.end)
            continue
        if _code_of_the_next_project(current, fact, text[last_end : fact.start]):
            records.append(current)
            current = _new_record()
            conflicted = set()
        elif held is not None and held != fact.value:
            if _opens_new_project(current, fact, text[last_end : fact.start]):
                records.append(current)
                current = _new_record()
                conflicted = set()
            else:
                _mark_conflict(current, fact)
                conflicted.add(fact.field)
                continue
        if current[fact.field] is None:
            _set(current, fact)
        last_end = max(last_end, fact.end)
    records.append(current)
    records = _merge_records_of_one_project(records)
    for record in records:
        if record["amount_total"] is not None and record["currency"]:
            amount = Decimal(str(record["amount_total"]))
            record["amount_total_bgn"] = float(to_bgn(amount, record["currency"]))
            record["amount_total_eur"] = float(to_eur(amount, record["currency"]))
    return records


_PROJECT_TITLE = re.compile(r"[Пп]роект(ът|а)?\s+[„\"“«]")


def _opens_new_project(current: dict, fact: Fact, between: str) -> bool:
    """A second, different value starts the next project: another project code; project words
    between the two (not for a procedure); a procedure read off a code of another project."""
    held = current[fact.field]
    derived = fact.rule == "procedure_of_project_code" and current["project_code"] is not None
    return (
        fact.field == "project_code"
        or fact.rule in ("enumerated_total", "listed_project_value")
        or (not derived and _NEW_PROJECT.search(between) and fact.field != "procedure_code")
        or (derived and fact.field == "procedure_code" and current["project_code"] != held)
        # "… проект „А“ по процедура X на стойност …, и проект „Б“ по процедура Y …": another procedure
        # after another project's title, once the current project has its own value
        or (
            fact.field == "procedure_code"
            and not derived
            and current["amount_total"] is not None
            and bool(_PROJECT_TITLE.search(between))
        )
    )


def _code_of_the_next_project(current: dict, fact: Fact, between: str) -> bool:
    """ "… по процедура BG05SFPR002-2.001 … на обща стойност от 252 755,74 лева, а другият е по
    процедура … BG05SFPR003-1.001-0082": a project code, after project words, whose procedure is not
    the one the current project (with no code of its own, and its own value) was stated under,
    names the next project."""
    if fact.field != "project_code" or current["project_code"] is not None:
        return False
    stated = current["procedure_code"]
    return (
        stated is not None
        and current["amount_total"] is not None
        and _procedure_of(fact.value) not in (None, stated)
        and bool(_NEW_PROJECT.search(between))
    )


def _mark_conflict(current: dict, fact: Fact) -> None:
    """Two values for one field of one project: the field stays null, both are listed."""
    first = current["evidence"].pop(fact.field)
    current["candidates"][fact.field] = [
        {"value": current[fact.field], **first},
        {"value": fact.value, **fact.evidence()},
    ]
    current[fact.field] = None
    if fact.field == "amount_total":
        current["currency"] = None
    current["flags"].append(f"{fact.field}_conflict")


# "Продължителността на проекта е до края на 2019 г.": the project ends on the year's last day.
_UNTIL_YEAR_END = re.compile(
    r"(?P<cue>([Пп]роект(ът|а)?\b|[Пп]родължителност\w*|[Сс]рок\w*|изпълнение\w*)[^.\d]{0,60}?"
    # "Дейностите са с общ бюджет от 179 335.45 лв. и трябва да бъдат реализирани до края на 2023 г."
    r"|(?<![\w-])(Дейностите|[Пп]роект(ът|а)?)\b(?:[^.\n]|(?<=\d)\.(?=\d)|(?<=лв)\.)"
    r"{0,120}?(трябва|следва)\s+да\s+бъд(е|ат)\s+(реализиран|изпълнен|завършен|приключен)\w*\s+"
    # round 7: "… на проекта трябва да приключат до 20 месеца от подписването на договора за финансиране, но
    # не по-късно от края на 2025 г.": the latest end a deadline gives
    r"|(?<![\w-])[Пп]роекта?\b[^.\n]{0,40}?(трябва|следва)\s+да\s+приключ\w*[^.\n]{0,120}?(?=не\s+по-късно))"
    r"\b(до|until|не\s+по-късно\s+от)\s+(края|the\s+end)\s+(на|of)\s+(?P<year>(19|20)\d{2})(?!\d)"
)


def _year_end_facts(text: str) -> list[Fact]:
    return [
        Fact(
            "end_date",
            f"{m.group('year')}-12-31",
            m.end("cue"),
            m.end(),
            text[m.end("cue") : m.end()],
            "until_end_of_year",
        )
        for m in _UNTIL_YEAR_END.finditer(text)
    ]


# Latin letters that look like Cyrillic ones, as typed into Cyrillic words ("Cрoкът зa
# изпълнeниeтo e 36 мeceцa"): read as the Cyrillic letters they stand for.
_LOOKALIKES = str.maketrans("aeopcxyAEOPCXBHKMT", "аеорсхуАЕОРСХВНКМТ")
# (a word with digits is a code, which `transforms.codes` repairs the other way round)
_MIXED_WORD = re.compile(
    r"\b(?!\w*\d)(?=\w*[а-яА-Я])(?=\w*[a-zA-Z])\w+\b"
    r"|(?<=[а-яА-Я] )[aeopcxyAEOPCX]{1,2}(?= [а-яА-Я0-9])"
)


def cyrillic_words(text: str) -> str:
    """`text` with the look-alike Latin letters of mixed-script words made Cyrillic (same length,
    so every offset still points at the original)."""
    return _MIXED_WORD.sub(lambda m: m.group(0).translate(_LOOKALIKES), text)


def find_facts(text: str, read: str | None = None) -> list[Fact]:
    """Every candidate fact, with offsets into `text` and the snippet as `text` writes it
    (`read`: `cyrillic_words(text)`, where the caller has it already)."""
    read = cyrillic_words(text) if read is None else read
    facts = (
        _code_facts(read)
        + _money_facts(read)
        + _date_facts(read)
        + _year_end_facts(read)
        + _duration_facts(read)
        + _month_period_facts(read)
    )
    # a record card's rows ("Стойност на проекта: …", "Дата на сключване на договора: …") are read by their labels
    cards, cells = card_facts(read)
    if cells:
        facts = [f for f in facts if not any(s <= f.start < e for s, e in cells)]
        facts += [Fact(*c) for c in cards]
    if read != text:
        for fact in facts:
            fact.text = text[fact.start : fact.end]
    return facts


# "… ще подпишат два договора за … Проектите се финансират … по Схема … BG161PO001/1.1-08/2010": one procedure
# stated once for the two or three projects the text counts (signed, approved, won) and then calls "the projects".
_COUNTED_CONTRACTS = re.compile(
    r"(подпи\w+|сключ\w+|одобр\w+|спечели\w*|класира\w+)\s+(\w+\s+){0,2}?"
    r"(?P<n>два|две|три|2|3)\s+(\w+\s+)?(договора|проекта)\b",
    re.I,
)
_THE_PROJECTS = re.compile(r"(Проектите|Договорите|[Дд]вата\s+проекта|[Тт]рите\s+проекта)\b")
# "Срокът за изпълнение на дейностите по договорите е 36 месеца": a term stated once for "the contracts"
_FOR_THE_CONTRACTS = re.compile(
    r"(?<![\w-])по\s+(договорите|проектите|двата\s+(договора|проекта))\b"
)


def _projects_sharing_a_procedure(text: str, facts: list[Fact]) -> list[dict]:
    """N records with the one procedure where the text counts N (2–3) projects and states, for "the
    projects", one procedure (stated for them, or "за подбор на проекти" after the count) and at most one
    term "по договорите", nothing else of them; else none."""
    counted = _COUNTED_CONTRACTS.search(text)
    procedures = [f for f in facts if f.field == "procedure_code"]
    terms = [f for f in facts if f.field == "duration_months"]
    if (
        not counted
        or not procedures
        or any(f.field not in ("procedure_code", "duration_months") for f in facts)
        or len({f.value for f in procedures}) != 1
        or len({f.value for f in terms}) > 1
        or not (
            _THE_PROJECTS.search(_sentence_before(text, procedures[0].start))
            or (
                procedures[0].start > counted.end()
                and re.search(
                    r"процедур\w*\s+за\s+подбор\s+на\s+проект\w*\s*$",
                    text[counted.end() : procedures[0].start],
                )
            )
        )
        or any(not _FOR_THE_CONTRACTS.search(_sentence_before(text, f.start)) for f in terms)
    ):
        return []
    n = {"два": 2, "две": 2, "три": 3}.get(counted["n"].lower()) or int(counted["n"])
    records = []
    for _ in range(n):
        record = _new_record()
        for fact in procedures[:1] + terms[:1]:
            _set(record, fact)
        record["flags"].append(f"procedure_stated_for_projects:{n}")
        records.append(record)
    return records


# "В списъка на одобрените са проектите на общините Брезово, Хисаря и Съединение в област Пловдив, всеки от които
# с бюджет от 2 933 696,74 лева": one amount stated for each of the listed beneficiaries' projects.
_EACH_OF_LISTED = re.compile(
    r"(?<![\w-])(проектите|договорите)\s+на\s+(общините|общини|МИГ-овете|училищата|организациите)\s+"
    r"(?P<list>[^.\d;:]{3,200}?)(\s+(в|от)\s+област\s+[^,.\d]{2,40})?,\s*"
    r"(всеки|всяк[оа])\s+от\s+(които|тях)\s+(е\s+)?"
    r"(с\s+(бюджет|обща\s+стойност|стойност)(\s+от)?|на\s+(обща\s+)?стойност(\s+от)?|за)\s*$",
    re.I,
)


def _projects_each_with_an_amount(text: str, facts: list[Fact]) -> list[dict]:
    """N records with one total (and the page's one procedure, where it states one) where the text lists N (2–5)
    beneficiaries' projects and states the amount for "each of which"; else none."""
    if any(f.field not in ("procedure_code", "amount_total") for f in facts):
        return []
    procedures = [f for f in facts if f.field == "procedure_code"]
    if len({f.value for f in procedures}) > 1:
        return []
    for m in find_money(text):
        listed = _EACH_OF_LISTED.search(_sentence_before(text, m.start))
        if not listed:
            continue
        names = [n for n in re.split(r",\s*|\s+и\s+", listed["list"].strip()) if n.strip()]
        if not 2 <= len(names) <= 5:
            return []
        amount, currency = m.value
        total = _of(
            m, "amount_total", float(round_cents(amount)), "amount_of_each_listed", currency
        )
        records = []
        for _ in names:
            record = _new_record()
            if procedures:
                _set(record, procedures[0])
            _set(record, total)
            record["flags"].append(f"amount_stated_for_each_of:{len(names)}")
            records.append(record)
        return records
    return []


# round 7: "Предстои да бъдат подписани и другите два проекта - … По думите му, срокът за тяхното изпълнение е 36
# месеца", "Oбщата стойност на инвестицията по двата проекта е 3 015 000 лв.Планирания период за реализацията им е
# 18 месеца": a duration said of "them" after the text counts the projects is each one's; "the other two" follow
# at least one project the text spoke of before them (a record with no fact of its own).
_COUNTED_PROJECTS = re.compile(
    r"(?<![\w-])(?P<others>другите\s+)?(?P<count>двата|трите|два|три)\s+(\w+\s+)?проекта\b", re.I
)
_THEIR = re.compile(r"(?<![\w-])(тяхното|техния|техният|им)(?![\w-])", re.I)
_COUNTS = {"два": 2, "двата": 2, "три": 3, "трите": 3}


def _projects_each_with_a_duration(text: str, facts: list[Fact]) -> list[dict]:
    """One record per counted project, each with the duration stated of them all; else none."""
    durations = [f for f in facts if f.field == "duration_months"]
    if len(durations) != 1 or any(f.field != "duration_months" for f in facts):
        return []
    duration = durations[0]
    if not _THEIR.search(_sentence_before(text, duration.start)):
        return []
    counted = list(_COUNTED_PROJECTS.finditer(text, max(0, duration.start - 600), duration.start))
    if not counted:
        return []
    count = _COUNTS[counted[-1]["count"].lower()]
    records = [_new_record()] if counted[-1]["others"] else []
    for _ in range(count):
        record = _new_record()
        _set(record, duration)
        record["flags"].append(f"duration_stated_for_each_of:{count}")
        records.append(record)
    return records


# round 8: "Крайният срок за завършване и на трите проекта е 30 юни 2027 г.", "проектите трябва да бъдат
# реализирани и отчетени до края на 2026 г.": an end said once of all the listed projects is each one's.
_OF_ALL_PROJECTS = re.compile(
    r"(?<![\w-])(проектите|(и\s+на\s+)?(двата|трите|четирите|петте|всички(те)?)\s+(\w+\s+)?проект\w*)(?![\w-])",
    re.I,
)

_COMPLETION = re.compile(
    r"срок\w*\s+за\s+(завършване|изпълнение|приключване)|приключ\w*|завърш\w*", re.I
)


def _projects_in_rows(text: str, facts: list[Fact]) -> list[dict]:
    """One record per item of a list of projects with their amounts (`project_rows`), each with the end stated once
    for all of them after the list; else none (and none on a page with a project's or procedure's code)."""
    if any(f.field in ("project_code", "procedure_code") for f in facts):
        return []
    rows, rule = project_rows(text), "listed_project_row"
    if not rows:
        # round 7's "name – amount" items of a paragraph that speaks of projects or sites (guards above)
        money = find_money(text)
        listed = _dash_listed_values(text, money)
        rows, rule = [m for m in money if m.start in listed], "listed_project_value"
    if len(rows) < 2:
        return []
    ends = [
        _of(d, "end_date", d.value, "end_stated_for_all_listed")
        for d in find_all_dates(text)
        if rows[-1].end < d.start < rows[-1].end + 400
        and len(d.value) == 10
        and _OF_ALL_PROJECTS.search(before := _sentence_before(text, d.start))
        and _COMPLETION.search(before)
    ]
    records = []
    for m in rows:
        amount, currency = m.value
        record = _new_record()
        _set(
            record,
            _of(m, "amount_total", float(round_cents(amount)), rule, currency),
        )
        if len({f.value for f in ends}) == 1:
            _set(record, ends[0])
            record["flags"].append(f"end_stated_for_all_of:{len(rows)}")
        records.append(record)
    return records


def extract_project_facts(text: str) -> list[dict]:
    """One record per project the text speaks of (none where it names none), with evidence for every value."""
    read = cyrillic_words(text)  # same offsets; the words the rules look for, whatever the script
    end = article_end(read)
    facts = [f for f in find_facts(text, read) if f.start < end]
    shared = (
        _projects_in_rows(read[:end], facts)
        or _projects_sharing_a_procedure(read, facts)
        or _projects_each_with_an_amount(read[:end], facts)
        or _projects_each_with_a_duration(read[:end], facts)
    )
    if shared:
        return shared
    if not speaks_of_project(read[:end], facts):
        return []
    return group_into_projects(read, facts)


def code_parts(code: str) -> tuple[str | None, str | None]:
    """Programme and procedure of a project or procedure code in the 2014–20/2021–27 form (None for other forms)."""
    try:
        parsed = parse_code(code)
    except ValueError:
        return None, None
    return parsed.programme_code, parsed.procedure_code
