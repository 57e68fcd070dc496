"""Read a line-oriented file in large blocks of whole lines, for vectorised readers.

This is the fast twin of :func:`hydrawatch.sources.base.iter_lines`: the same bytes, the same
line numbering and the same reports for damage (over-long lines, truncated or corrupt gzip),
but handed out as blocks of many lines so that a C++ parser can take them whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hydrawatch.core.model import SourceRef

from .base import DEFAULT_MAX_LINE_BYTES, ProblemLog, disk_position, open_binary, report_damage

DEFAULT_BLOCK_BYTES = 16 * 1024 * 1024
#: What JSON parsers take for whitespace (RFC 8259): a line of only these is blank.
JSON_WHITESPACE = np.array([0x20, 0x09, 0x0A, 0x0D], dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Whole, consecutive lines of a file, the first of them numbered ``first_line``."""

    first_line: int
    data: bytes

    def line_spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(numbers, starts, ends)`` of every line in the block (``ends`` one past the newline)."""
        raw = np.frombuffer(self.data, dtype=np.uint8)
        ends = np.flatnonzero(raw == 10) + 1
        if len(ends) == 0 or ends[-1] != len(self.data):
            ends = np.append(ends, len(self.data))
        starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
        numbers = np.arange(self.first_line, self.first_line + len(ends), dtype=np.int64)
        return numbers, starts, ends

    def non_blank(self) -> np.ndarray:
        """Line numbers of the lines that hold anything but JSON whitespace, in order."""
        numbers, starts, ends = self.line_spans()
        if not len(self.data):
            return numbers[:0]
        raw = np.frombuffer(self.data, dtype=np.uint8)
        # Most lines start with their content; only lines that start with whitespace need a look.
        first = raw[np.minimum(starts, len(raw) - 1)]
        keep = ~np.isin(first, JSON_WHITESPACE) & (ends > starts)
        for index in np.flatnonzero(~keep & (ends > starts)).tolist():
            keep[index] = bool(self.data[starts[index] : ends[index]].strip(b" \t\r\n"))
        return numbers[keep]

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """Each line as bytes without its newline, with its number (all lines, blank ones too)."""
        numbers, starts, ends = self.line_spans()
        for number, start, end in zip(numbers.tolist(), starts.tolist(), ends.tolist()):
            yield number, self.data[start:end].rstrip(b"\r\n")

    def split(self) -> tuple[LineBlock, LineBlock] | None:
        """Two halves at a line boundary, or None for a single line."""
        numbers, starts, _ = self.line_spans()
        if len(numbers) < 2:
            return None
        middle = len(numbers) // 2
        cut = int(starts[middle])
        return LineBlock(self.first_line, self.data[:cut]), LineBlock(int(numbers[middle]), self.data[cut:])


def iter_line_blocks(
    path: Path,
    problems: ProblemLog,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[LineBlock]:
    """Blocks of whole lines. Lines over ``max_line_bytes`` are reported and left out (their
    numbers are skipped, as iter_lines skips them); damaged gzip is reported at the end."""
    name = str(path)
    next_line = 1
    carry = b""
    with open_binary(path) as stream:
        while True:
            block = stream.read(block_bytes)
            if block:
                cut = block.rfind(b"\n")
                if cut >= 0:  # the carried start of a line and the block to its last newline, copied once
                    whole = not carry and cut + 1 == len(block)
                    data = block if whole else b"".join((carry, memoryview(block)[: cut + 1]))
                    carry = block[cut + 1 :]
                else:  # the lines end in the carry (read past an over-long line), or not yet
                    data = carry + block
                    cut = data.rfind(b"\n")
                    if cut < 0:
                        if len(data) > max_line_bytes:
                            problems.bad(SourceRef(name, next_line), f"line longer than {max_line_bytes:,} bytes; skipped")
                            next_line += 1
                            carry = _rest_after_newline(stream)
                        else:
                            carry = data  # one line longer than a block: keep reading it
                        continue
                    data, carry = data[: cut + 1], data[cut + 1 :]
            else:
                data, carry = carry, b""
            problems.bytes_read = disk_position(stream)
            if data:
                for piece in _without_long_lines(LineBlock(next_line, data), name, problems, max_line_bytes):
                    yield piece
                next_line += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            if not block:
                break
        report_damage(stream, name, next_line, problems)


def _rest_after_newline(stream) -> bytes:
    """Read past the end of the current line; return what follows it in the last block read."""
    while True:
        block = stream.read(1 << 20)
        if not block:
            return b""
        cut = block.find(b"\n")
        if cut >= 0:
            return block[cut + 1 :]


def _without_long_lines(block: LineBlock, name: str, problems: ProblemLog, max_line_bytes: int) -> Iterator[LineBlock]:
    """The block, minus (and reporting) lines longer than the limit."""
    if len(block.data) <= max_line_bytes:  # no line can be: spare finding every line
        yield block
        return
    numbers, starts, ends = block.line_spans()
    content = ends - starts - 1  # without the newline (close enough for a limit this large)
    too_long = np.flatnonzero(content > max_line_bytes)
    if not len(too_long):
        yield block
        return
    previous = 0
    for index in too_long.tolist():
        problems.bad(SourceRef(name, int(numbers[index])), f"line longer than {max_line_bytes:,} bytes; skipped")
        if index > previous:
            yield LineBlock(int(numbers[previous]), block.data[int(starts[previous]) : int(starts[index])])
        previous = index + 1
    if previous < len(numbers):
        yield LineBlock(int(numbers[previous]), block.data[int(starts[previous]) :])
