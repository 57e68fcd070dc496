"""Helpers shared by the JSON-lines sources: sniffing objects and parsing lines safely."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from hydrawatch.core.errors import BadRecordError
from hydrawatch.core.model import Record, SourceRef

from .base import ProblemLog, Sample, iter_lines

# Errors a converter may raise on a structurally wrong record. Anything else is a bug and
# propagates.
RECORD_ERRORS = (BadRecordError, KeyError, TypeError, ValueError, AttributeError, IndexError)


def sample_objects(sample: Sample, limit: int = 20) -> list[dict]:
    """The JSON objects among the first complete lines of a sample (garbage lines skipped)."""
    objects: list[dict] = []
    lines = sample.head.split(b"\n")
    if len(sample.head) >= 64 * 1024 and len(lines) > 1 and not sample.head.endswith(b"\n"):
        lines = lines[:-1]  # the last line may be cut off by the sample size
    for line in lines[: limit * 5]:
        line = line.strip().lstrip(b"\xef\xbb\xbf")
        if not line.startswith(b"{"):
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            objects.append(value)
            if len(objects) >= limit:
                break
    return objects


Converter = Callable[[dict, SourceRef, ProblemLog], list[Record]]


def read_json_lines(path: Path, problems: ProblemLog, convert: Converter) -> Iterator[Record]:
    """Parse each line as a JSON object and convert it; a line that fails is reported whole,
    and none of its records are yielded (no half-read tweets). Converters of lines that hold
    many records (response pages) may report their bad parts themselves."""
    name = str(path)
    for line_number, line in iter_lines(path, problems):
        yield from convert_json_line(line, SourceRef(name, line_number), problems, convert)


def convert_json_line(line: bytes, ref: SourceRef, problems: ProblemLog, convert: Converter) -> list[Record]:
    """The records of one JSON line, or [] after reporting why it has none."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        problems.bad(ref, f"not valid JSON ({_short(exc)})", line)
        return []
    if not isinstance(value, dict):
        problems.bad(ref, f"expected a JSON object, found {type(value).__name__}", line)
        return []
    try:
        return convert(value, ref, problems)
    except RECORD_ERRORS as exc:
        problems.bad(ref, reason_for(exc), line)
        return []


def _short(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:120]


def reason_for(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, BadRecordError):
        return str(exc)
    return f"malformed record ({type(exc).__name__}: {_short(exc)})"


def as_id(value: object, what: str) -> str:
    """An identifier as a non-empty string (APIs write ids as strings or numbers)."""
    if isinstance(value, bool) or value is None:
        raise BadRecordError(f"{what} is missing")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise BadRecordError(f"{what} is not an id: {value!r:.40}")


def opt_str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadRecordError(f"expected text, found {type(value).__name__}")


def opt_int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    raise BadRecordError(f"expected a count, found {value!r:.40}")


def opt_bool(value: object) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    raise BadRecordError(f"expected true/false, found {value!r:.40}")
