"""Single-document JSON exports (Telegram ``result.json``, ActivityPub ``outbox.json``) read
so that one bad byte does not lose the whole file.

These exports are one JSON object whose records sit in one array (``messages``,
``orderedItems``). A strict parser gives all or nothing: a file truncated by a crashed
download, a stray line pasted into it, or invalid UTF-8 inside one message would lose every
record. :class:`JsonDocument` therefore reads in two ways:

* **whole** (the fast path): ``orjson`` parses the document; every element is yielded with a
  JSON pointer (``/messages/17``). Line numbers are worked out only when a problem is reported,
  by running the scanner below once (locating every element costs more than the parse);
* **salvage** (when the whole parse fails, or the file is larger than
  :data:`FULL_PARSE_MAX_BYTES`): a scanner finds the array, then cuts it into elements with
  string-aware bracket matching and parses each with ``orjson``. An element that does not parse
  is reported with its line and the parser's reason; bytes where an element should start are
  reported as garbage (records are objects, so only ``{`` starts an element); either way the
  scanner *resyncs* at the next ``{`` whose object parses and looks like an element of this
  format (the ``looks_like_element`` predicate the source passes), so nested objects inside a
  damaged element are never mistaken for records. An element that parses but holds
  element-like objects has lost a closing bracket and swallowed its successors: it is reported
  and the scanner resyncs inside it. A file that ends inside an element is reported once, as
  truncated, and every element before the damage is kept. Elements read this way carry their
  1-based line.

Telegram Desktop writes control characters as ``\\xHH``, which is not JSON; such escapes are
rewritten to ``\\u00HH`` before giving up on a document or an element, silently, since nothing
is lost.

The resync rule is why the property tests insert garbage *without* ``{`` and ``}``: garbage
holding a brace may swallow the element after it (it is reported, never silently dropped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from hydrawatch.core.model import SourceRef

from .base import ProblemLog, Sample, open_binary, report_damage

log = logging.getLogger(__name__)

#: Documents above this size skip the whole-document parse: its Python objects would take
#: several times the file size in memory, while the scanner holds one element at a time.
FULL_PARSE_MAX_BYTES = 256 * 1024 * 1024
#: An element whose closing bracket is further away than this is reported as damaged.
MAX_ELEMENT_BYTES = 64 * 1024 * 1024
#: Resync candidates are tried over at most this many bytes (a candidate ``{`` inside a string
#: may otherwise scan to the end of the file for a bracket that never comes).
RESYNC_CANDIDATE_BYTES = 4 * 1024 * 1024

# A string (possibly cut off by the end of the input), an opening or a closing bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)|([{\[])|([}\]])', re.DOTALL)
_WHITESPACE = re.compile(rb"[ \t\r\n]*+")
_SCALAR = re.compile(rb"[^,\]\s]++")
_KEY_TAIL = re.compile(rb"\s*:\s*\[")
_STRING = rb'"(?:[^"\\]++|\\.)*+"'
_SCALAR_MEMBER = re.compile(
    rb"(" + _STRING + rb")\s*:\s*(" + _STRING + rb"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)", re.DOTALL
)
_X_ESCAPE = re.compile(rb"\\(?:(\\)|x([0-9A-Fa-f]{2}))")
_OPEN, _CLOSE = 1, 2


@dataclass(frozen=True, slots=True)
class Element:
    """One array element: its ordinal as far as the reader could tell, its parsed value, and
    its JSON pointer; ``line`` is known for salvaged documents."""

    index: int
    value: object
    pointer: str
    line: int | None = None


def loads(raw: bytes) -> object:
    """``orjson.loads``, retrying once with Telegram's ``\\xHH`` escapes made valid."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        if b"\\x" not in raw:
            raise
    log.debug("rewriting \\xHH escapes (Telegram Desktop) in %d bytes of JSON", len(raw))
    return orjson.loads(_X_ESCAPE.sub(_fix_escape, raw))


def _fix_escape(match: re.Match[bytes]) -> bytes:
    return b"\\\\" if match.group(1) else b"\\u00" + match.group(2)


def short_reason(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:160]


def match_end(data: bytes, start: int, limit: int) -> int | None:
    """The offset just past the bracket that closes the one at ``start`` (string-aware), or
    None when it is not closed before ``limit``."""
    depth = 0
    for token in _TOKEN.finditer(data, start, limit):
        kind = token.lastindex
        if kind == _OPEN:
            depth += 1
        elif kind == _CLOSE:
            depth -= 1
            if depth <= 0:
                return token.end()
    return None


def read_bytes(path: Path, problems: ProblemLog) -> bytes:
    """The whole file (gunzipped). Damaged compression is reported once and what could be
    read is kept; the salvage scanner then treats it as a truncated document."""
    with open_binary(path) as stream:
        data = stream.read()
        report_damage(stream, str(path), data.count(b"\n") + 1, problems)
    return data


def read_head(path: Path, size: int = 64 * 1024) -> Sample:
    """The first ``size`` bytes (gunzipped) for sniffing. Unlike ``read_sample`` it never
    reads on to the end of a long first line: compact exports are one line of many MB."""
    with open_binary(path) as stream:
        return Sample(path, stream.read(size))


class JsonDocument:
    """A one-object JSON document whose records are in the array under one of ``array_keys``.

    ``header`` holds the object's other members (salvaged ones when the document is damaged);
    :meth:`elements` yields the array's elements; :meth:`ref` gives an element's SourceRef, with
    its line number worked out on demand. Problems with the document as a whole are reported to
    ``problems`` as they are found.
    """

    def __init__(
        self,
        path: Path,
        problems: ProblemLog,
        array_keys: tuple[str, ...],
        looks_like_element: Callable[[object], bool],
        data: bytes | None = None,
    ):
        self.name = str(path)
        self.problems = problems
        self.array_keys = array_keys
        self.looks_like_element = looks_like_element
        self.data = read_bytes(path, problems) if data is None else data
        self.header: dict = {}
        self.array_key: str | None = None
        self.header_damaged = False
        self._array: list | None = None
        self._whole_error: orjson.JSONDecodeError | None = None
        self._array_start: int | None = None
        self._lines: list[int] | None = None
        self._parse()

    # --- the whole document ----------------------------------------------------------------

    def _parse(self) -> None:
        data = self.data
        if len(data) <= FULL_PARSE_MAX_BYTES:
            try:
                document = loads(data)
            except orjson.JSONDecodeError as exc:
                self._whole_error = exc
                log.info("%s: %s; salvaging it element by element", self.name, self._whole_reason())
            else:
                self._take_whole(document)
                return
        self._find_array()

    def _take_whole(self, document: object) -> None:
        if not isinstance(document, dict):
            self.problems.bad(SourceRef(self.name, 1), f"expected a JSON object, found {type(document).__name__}")
            return
        for key in self.array_keys:
            if isinstance(document.get(key), list):
                self.array_key = key
                self._array = document[key]
                break
        else:
            wanted = " or ".join(repr(k) for k in self.array_keys)
            self.problems.bad(SourceRef(self.name, 1), f"the document has no {wanted} list")
        self.header = {k: v for k, v in document.items() if k != self.array_key}

    def _find_array(self) -> None:
        """Locate the records array in a document that does not parse, and salvage the members
        before it (and after it, if they are readable) as the header."""
        data = self.data
        found = self._top_level_key(data)
        if found is None:
            reason = self._whole_reason()
            wanted = " or ".join(f'"{k}": [' for k in self.array_keys)
            self.problems.bad(SourceRef(self.name, self._whole_line()), f"{reason}, and no {wanted} array was found to salvage records from")
            return
        key, bracket = found
        self.array_key = key
        self._array_start = bracket
        # The members before the array, with the array replaced by null; the members after it
        # too when the last ']' in the file ends it (damage may have eaten them).
        self.header = self._salvage_header(data[:bracket], data[data.rfind(b"]") + 1 :])

    def _top_level_key(self, data: bytes) -> tuple[str, int] | None:
        """The array's key and the offset of its '[': a member of the top-level object, or
        failing that (damage before it) the first place the key is followed by '['."""
        keys = {f'"{k}"'.encode(): k for k in self.array_keys}
        depth = 0
        for token in _TOKEN.finditer(data, 0, min(len(data), MAX_ELEMENT_BYTES)):
            kind = token.lastindex
            if kind == _OPEN:
                depth += 1
            elif kind == _CLOSE:
                depth -= 1
                if depth <= 0:
                    break
            elif depth == 1 and token.group() in keys:
                tail = _KEY_TAIL.match(data, token.end())
                if tail:
                    return keys[token.group()], tail.end() - 1
        for key in self.array_keys:
            anywhere = re.search(b'"' + re.escape(key.encode()) + rb'"\s*:\s*\[', data)
            if anywhere:
                return key, anywhere.end() - 1
        return None

    def _salvage_header(self, prefix: bytes, suffix: bytes) -> dict:
        # ``prefix`` ends with '"messages": ', so the array's place is taken by null.
        for candidate in (prefix + b"null" + suffix, prefix + b"null}"):
            try:
                value = loads(candidate)
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict):
                value.pop(self.array_key, None)
                return value
        # Damage inside the header itself: keep the scalar members that are still readable.
        members: dict = {}
        for match in _SCALAR_MEMBER.finditer(prefix):
            try:
                key, value = orjson.loads(match.group(1)), orjson.loads(match.group(2))
            except orjson.JSONDecodeError:
                continue
            members.setdefault(key, value)
        self.problems.bad(
            SourceRef(self.name, 1),
            f"the document's top-level fields are damaged; read what could be read ({', '.join(members) or 'nothing'})",
            prefix,
        )
        self.header_damaged = True
        return members

    def _whole_reason(self) -> str:
        if self._whole_error is None:
            return "the document was read element by element (too large to parse whole)"
        return f"the document is not valid JSON ({short_reason(self._whole_error)})"

    def _whole_line(self) -> int:
        return self._whole_error.lineno if self._whole_error is not None else 1

    # --- elements --------------------------------------------------------------------------

    def elements(self) -> Iterator[Element]:
        if self._array is not None:
            pointer = f"/{self.array_key}/"
            for index, value in enumerate(self._array):
                yield Element(index, value, pointer + str(index))
        elif self._array_start is not None:
            yield from _Salvager(self).run()

    def ref(self, element: Element) -> SourceRef:
        """Where an element is; for whole-parsed documents the line is found on demand."""
        line = element.line
        if line is None:
            if self._lines is None:
                self._lines = self._locate_lines()
            if element.index < len(self._lines):
                line = self._lines[element.index]
        return SourceRef(self.name, line, element.pointer)

    def _locate_lines(self) -> list[int]:
        """Start lines of the elements of a valid document (the scanner without parsing)."""
        found = self._top_level_key(self.data)
        if found is None:
            return []
        data, pos, lines = self.data, found[1] + 1, []
        counter = _LineCounter(data)
        while True:
            pos = _WHITESPACE.match(data, pos).end()
            if pos >= len(data) or data[pos] == 0x5D:  # ]
                return lines
            if data[pos] == 0x2C:  # ,
                pos += 1
                continue
            lines.append(counter.line_at(pos))
            end = _element_end(data, pos, len(data))
            if end is None:
                return lines
            pos = end


class _LineCounter:
    """1-based line of an offset, counting newlines from the last offset asked about (the
    scanner's offsets move forward, with short steps back when it reports)."""

    def __init__(self, data: bytes):
        self.data = data
        self.offset = 0
        self.line = 1

    def line_at(self, offset: int) -> int:
        if offset < self.offset:
            self.line -= self.data.count(b"\n", offset, self.offset)
        else:
            self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


def _element_end(data: bytes, pos: int, limit: int) -> int | None:
    first = data[pos]
    if first in b"{[":
        return match_end(data, pos, limit)
    token = (_TOKEN if first == 0x22 else _SCALAR).match(data, pos, limit)
    return token.end() if token else None


class _Salvager:
    """Walks the records array of a damaged document element by element; see the module
    docstring for the rules."""

    def __init__(self, document: JsonDocument):
        self.doc = document
        self.data = document.data
        self.lines = _LineCounter(self.data)
        self.pointer = f"/{document.array_key}/"
        self.index = 0
        self.reported = 0

    def _bad(self, pos: int, reason: str, raw: bytes | None = None) -> None:
        self.reported += 1
        ref = SourceRef(self.doc.name, self.lines.line_at(pos), self.pointer + str(self.index))
        self.doc.problems.bad(ref, reason, raw)

    def run(self) -> Iterator[Element]:
        data, n = self.data, len(self.data)
        pos = self.doc._array_start + 1  # type: ignore[operator]
        need_comma = False
        while True:
            pos = _WHITESPACE.match(data, pos).end()
            if pos >= n:
                self._bad(pos, f"the file ends inside the {self.doc.array_key!r} array: it is truncated; "
                          f"the {self.index} elements before this point were kept")
                break
            byte = data[pos]
            if byte == 0x2C:  # ,
                pos += 1
                need_comma = False
                continue
            if byte == 0x5D:  # ] - the end, unless more elements follow (then it was garbage)
                resume = self._resync(pos + 1)
                if resume is None:
                    break
                self._bad(pos, f"unexpected ']' inside the array; skipped to line {self.lines.line_at(resume)}", data[pos:resume])
                pos, need_comma = resume, False
                continue
            if need_comma:
                if byte == 0x7B and self._parse_at(pos) is not None:
                    self._bad(pos, "missing ',' between elements (nothing lost)")
                    need_comma = False
                    continue
            elif byte == 0x7B:  # records are objects: any other start is damage
                end = match_end(data, pos, min(n, pos + MAX_ELEMENT_BYTES))
                value, reason = self._parse_span(pos, end)
                if reason is None and self._holds_elements(value):
                    reason = "it holds what look like further elements (a closing bracket is missing?)"
                if reason is None:
                    yield Element(self.index, value, self.pointer + str(self.index), self.lines.line_at(pos))
                    self.index += 1
                    pos, need_comma = end, True  # type: ignore[assignment]
                    continue
                resume = self._resync(pos + 1)
                if resume is None and end is None:
                    self._bad(pos, f"the file ends inside this element: it is truncated; the {self.index} "
                              "elements before it were kept", data[pos : pos + 200])
                    break
                where = f"skipped to line {self.lines.line_at(resume)}" if resume is not None else "no element follows"
                self._bad(pos, f"damaged element: {reason}; {where}", data[pos : pos + 200])
                self.index += 1
                if resume is None:
                    break
                pos, need_comma = resume, False
                continue
            resume = self._resync(pos)
            where = f"skipped to line {self.lines.line_at(resume)}" if resume is not None else "no element follows"
            self._bad(pos, f"unexpected bytes where an element should start; {where}", data[pos : pos + 200])
            if resume is None:
                break
            pos, need_comma = resume, False
        if not self.reported:
            self._report_whole()

    def _parse_span(self, pos: int, end: int | None) -> tuple[object, str | None]:
        if end is None:
            return None, "its brackets do not close"
        try:
            return loads(self.data[pos:end]), None
        except orjson.JSONDecodeError as exc:
            return None, f"not valid JSON ({short_reason(exc)})"

    def _parse_at(self, pos: int, limit: int = MAX_ELEMENT_BYTES) -> object | None:
        end = match_end(self.data, pos, min(len(self.data), pos + limit))
        value, reason = self._parse_span(pos, end)
        return value if reason is None else None

    def _resync(self, pos: int) -> int | None:
        """The next offset at or after ``pos`` where an element of this format starts."""
        data = self.data
        while (candidate := data.find(b"{", pos)) >= 0:
            value = self._parse_at(candidate, RESYNC_CANDIDATE_BYTES)
            if value is not None and self.doc.looks_like_element(value) and not self._holds_elements(value):
                return candidate
            pos = candidate + 1
        return None

    def _holds_elements(self, value: object) -> bool:
        """Whether an element has element-like objects nested in it: the sign of a lost closing
        bracket that made it swallow the elements after it (which parse fine on their own)."""
        looks_like_element = self.doc.looks_like_element
        pending = [value]
        while pending:
            current = pending.pop()
            children = current.values() if isinstance(current, dict) else current
            for child in children:
                if isinstance(child, dict):
                    if looks_like_element(child):
                        return True
                    pending.append(child)
                elif isinstance(child, list):
                    pending.append(child)
        return False

    def _report_whole(self) -> None:
        """The document failed to parse but no element was damaged (for example the bytes after
        the array): say so once."""
        if self.doc._whole_error is None or self.doc.header_damaged:
            return
        self.doc.problems.bad(
            SourceRef(self.doc.name, self.doc._whole_line()),
            f"{self.doc._whole_reason()}; all {self.index} elements were recovered",
        )
