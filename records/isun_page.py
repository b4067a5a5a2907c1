"""One ИСУН contract page (a tab or the PrintProject view) as `sources.isun` parsed it: texts only,
not yet typed; `transforms.isun` turns pages into rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParsedIsunPage:
    url: str
    contract_id: str | None
    tab: str | None
    is_historic: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)
    places: list[str] | None = None  # None: page has no place section; []: "Няма"
    activities: list[dict[str, str]] | None = None
    financial: dict[str, str] | None = None
    corrections: list[dict[str, str]] | None = None
    participants: list[dict[str, str | None]] | None = None
    indicators: list[dict[str, str]] | None = None
    procurements: list[dict[str, str | None]] | None = None
    currencies: dict[str, str] = field(
        default_factory=dict
    )  # where -> BGN/EUR, every statement seen
    unknown_labels: list[str] = field(default_factory=list)
    language: str = (
        "bg"  # "en": an English page (/en/...), its labels read as Texts.resx's English side
    )

    @property
    def currency(self) -> str | None:
        """The one currency the page states, or None (silent or contradictory)."""
        stated = set(self.currencies.values())
        return stated.pop() if len(stated) == 1 else None
