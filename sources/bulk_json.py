"""Checking an archived open-data API answer before any row of it is read: bounded, streamed, one pass.

An answer is used only if the whole of it is the API's shape: a JSON object with a
`projects` array (and `contracts`, `entities` arrays when present), parsed to its last
byte, nested no deeper than `MAX_DEPTH` (the size is bounded by the client's response
cap). Anything else (a syntax error, an answer cut short, an HTML page, `{}`, an array
that became an object, project items that lost their `id`, a name nested 100 000 deep)
is an `AnswerError` whose message says what and where: the answer is quarantined as a
response and the newest good answer of the same programme is used instead
(`pipelines.isun_bulk_staging`).

The check reads `ijson.basic_parse` events (no prefix strings: ijson's prefixed events
grow with the depth, so 100 000 levels cost gigabytes) and counts the depth itself; once
an answer passed, its rows are read with `ijson.items`, whose depth is then known to be
small. `load_bounded` does the same for small documents (the programme list).

What does not belong here: what a row means (`transforms.isun_bulk`), fetching
(`sources.isun_opendata`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import ijson

MAX_DEPTH = 32  # the API's deepest field is 4 levels down (projects[].actuallyPaidAmounts[].value)
ARRAYS = ("projects", "contracts", "entities")
HEAD_BYTES = 512


class AnswerError(ValueError):
    """An answer that is not the API's JSON shape; the message names the file, the place and why."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


@dataclass
class AnswerShape:
    """What the check saw: the scalar header fields and, per array, its items by type."""

    header: dict = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)
    projects_with_id: int = 0
    project_keys: set[str] = field(default_factory=set)


def _head_reason(head: bytes) -> str | None:
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "an empty answer where JSON was expected"
    if head[:1] == b"{":
        return None
    if head[:1] == b"<":
        return f"an HTML page, not JSON (starts {head[:40]!r})"
    return f"not a JSON object (starts {head[:40]!r})"


class _Walker:
    """Depth and shape bookkeeping over basic_parse events; the hot path (inside an item) is
    inlined in `walk`, the rest (the top level and the arrays' own events) is `_outer`."""

    def __init__(self, source: str, max_depth: int):
        self.source, self.max_depth = source, max_depth
        self.shape = AnswerShape()
        self.depth = 0
        self.key: str | None = None  # the current top-level key
        self.array: str | None = None  # the top-level array being read
        self.index = -1

    def where(self) -> str:
        if self.array is not None and self.index >= 0:
            return f"{self.array}[{self.index}]"
        return self.key or "the top level"

    def fail(self, reason: str) -> AnswerError:
        return AnswerError(self.source, f"{reason} at {self.where()}")

    def walk(self, events) -> None:
        max_depth, starts, ends = self.max_depth, _STARTS, _ENDS
        shape = self.shape
        depth = 0
        for event, value in events:
            if event in starts:
                depth += 1
                if depth > max_depth:
                    self.depth = depth
                    raise self.fail(f"nested deeper than {max_depth} levels")
                if depth == 3 and self.array is not None:  # an item: an object or an array
                    self.index += 1
                    shape.items[self.array] += 1
                    if event == "start_map":
                        shape.objects[self.array] += 1
                    continue
            elif event in ends:
                depth -= 1
            if depth > 2:
                if depth == 3 and event == "map_key" and self.array == "projects":
                    if value == "id":
                        shape.projects_with_id += 1
                    elif self.index == 0:
                        shape.project_keys.add(value)
                continue
            self.depth = depth
            self._outer(event, value, depth)
        self.depth = depth

    def _outer(self, event: str, value, depth: int) -> None:
        """An event at the top level or of a top-level array itself (depth after the event)."""
        if depth == 0 and event != "end_map":
            raise AnswerError(self.source, f"not a JSON object at the top level ({event})")
        if depth == 1 and event == "map_key":
            self.key, self.array = value, None
        elif depth == 1 and event in ("string", "number", "boolean", "null"):
            self.shape.header[self.key] = value
            if self.key in ARRAYS:
                raise self.fail(f"field '{self.key}' is {event} {value!r}, not an array")
        elif depth == 2 and event == "start_map" and self.array is None:
            if self.key in ARRAYS:
                raise self.fail(f"field '{self.key}' is an object, not an array")
        elif depth == 2 and event == "start_array" and self.array is None:
            if self.key in ARRAYS:
                self.array, self.index = self.key, -1
                self.shape.items[self.key] = 0
                self.shape.objects[self.key] = 0
        elif (
            depth == 2
            and self.array is not None
            and event in ("string", "number", "boolean", "null")
        ):
            self.index += 1  # a scalar item: counted, quarantined as a row later
            self.shape.items[self.array] += 1
        elif depth == 1 and event == "end_array" and self.array is not None:
            self.array = None


_STARTS = frozenset(("start_map", "start_array"))
_ENDS = frozenset(("end_map", "end_array"))


def _first_line(exc: Exception) -> str:
    """The first line of a parser error (yajl's come as bytes, with a caret drawing after)."""
    message = exc.args[0] if exc.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    lines = str(message).strip().splitlines()
    return lines[0].strip() if lines else ""


def check_answer(
    path: Path | str,
    source: str | None = None,
    max_depth: int = MAX_DEPTH,
) -> AnswerShape:
    """The answer's header and item counts, or AnswerError if it is not wholly the API's shape."""
    source = source or str(path)
    with open(path, "rb") as fh:
        reason = _head_reason(fh.read(HEAD_BYTES))
        if reason:
            raise AnswerError(source, reason)
        fh.seek(0)
        walker = _Walker(source, max_depth)
        try:
            walker.walk(ijson.basic_parse(fh, use_float=False))
        except ijson.IncompleteJSONError as exc:
            text = _first_line(exc)
            if "premature eof" in text.lower() or "incomplete" in text.lower() or not text:
                raise AnswerError(
                    source, f"cut short: the JSON ends inside {walker.where()}"
                ) from None
            raise AnswerError(source, f"not valid JSON near {walker.where()}: {text}") from None
        except ijson.JSONError as exc:
            raise AnswerError(
                source, f"not valid JSON near {walker.where()}: {_first_line(exc)}"
            ) from None
        except UnicodeDecodeError as exc:
            raise AnswerError(source, f"not UTF-8 near {walker.where()}: {exc.reason}") from None
        if walker.depth != 0:
            raise AnswerError(source, f"cut short: the JSON ends inside {walker.where()}")
    shape = walker.shape
    if "projects" not in shape.items:
        raise AnswerError(
            source,
            "the API's shape changed: no 'projects' array "
            f"(top-level fields: {sorted(shape.header) or 'none'})",
        )
    if shape.objects.get("projects") and not shape.projects_with_id:
        raise AnswerError(
            source,
            "the API's shape changed: no item of 'projects' has an 'id' "
            f"(fields seen: {sorted(shape.project_keys)[:20]})",
        )
    return shape


def load_bounded(body: bytes, source: str, max_depth: int = MAX_DEPTH):
    """A small JSON document (the programme list) parsed whole, after a bounded-depth check:
    deep nesting is an AnswerError, never a RecursionError."""
    depth = 0
    try:
        for event, _value in ijson.basic_parse(body, use_float=False):
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > max_depth:
                    raise AnswerError(source, f"nested deeper than {max_depth} levels")
            elif event in ("end_map", "end_array"):
                depth -= 1
    except ijson.JSONError as exc:
        raise AnswerError(source, f"not valid JSON: {_first_line(exc) or 'cut short'}") from None
    except UnicodeDecodeError as exc:
        raise AnswerError(source, f"not UTF-8: {exc.reason}") from None
    try:
        return json.loads(body.decode("utf-8-sig"))
    except ValueError as exc:
        raise AnswerError(source, f"not valid JSON: {exc}") from None
