"""Parse ahead: a child process prepares the fast twarc reader's next block while this one stages.

:func:`hydrawatch.store.fast_twarc.prepare_block` (Arrow JSON parse, splitting off bad lines,
un-nesting, the SQL checks and the staging queries) needs no store, and takes most of the fast
reader's time. Run in a second process, it overlaps with the appending and folding of the
previous block into the store, on another core.
A process, not a thread: pyarrow's JSON reader crashed when called from a Python thread, and
a process keeps the work off this interpreter's GIL.

The child is ``python -m hydrawatch.store.parse_ahead``, talking pickles over its stdin and
stdout (not :mod:`multiprocessing`, which re-imports the caller's ``__main__`` in the child).
The parent sends a block as ``(file_id, first_line, data)``; the child answers with its pieces
as ``(start, end, first_line, staged, records, exact_lines)``, offsets into that data, so the
block's bytes cross the pipe only once. If the child cannot start or dies, the blocks it held are prepared here
instead: the result is the same, only slower.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from hydrawatch.sources.chunks import LineBlock

from .fast_twarc import PreparedPiece, new_scratch, prepare_block

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Child processes for a big file: two keep both cores of a small machine busy, since
#: preparing a block costs more than appending and folding it here.
DEFAULT_PROCESSES = max(1, min(2, os.cpu_count() or 1))


def prepared_blocks(
    items: Iterable[T], block_of: Callable[[T], LineBlock], file_id: int, *, processes: int = DEFAULT_PROCESSES
) -> Iterator[tuple[T, list[PreparedPiece]]]:
    """Each item with its block's prepared pieces (staged for file ``file_id``), in order. With
    ``processes`` > 0, that many child processes take the blocks in turn and prepare them
    ahead (0: prepare each here when its turn comes). Close the iterator (or exhaust it) to
    stop the children."""
    local = _LocalPreparer(file_id)
    children = [child for child in (_Child.start(file_id) for _ in range(processes)) if child is not None]
    pending: deque[tuple[T, _Child | None]] = deque()
    turn = 0
    try:
        for item in items:
            child = None
            if children:
                child = children[turn % len(children)]
                turn += 1
                if not child.send(block_of(item)):
                    child = None
            pending.append((item, child))
            if len(pending) > len(children):  # each child holds one block in work, one queued
                first, child = pending.popleft()
                yield first, _receive(child, local, block_of(first))
        while pending:
            first, child = pending.popleft()
            yield first, _receive(child, local, block_of(first))
    finally:
        for child in children:
            child.close()
        local.close()


def _receive(child: _Child | None, local: _LocalPreparer, block: LineBlock) -> list[PreparedPiece]:
    pieces = child.receive(block) if child is not None else None
    return pieces if pieces is not None else local.prepare(block)


class _LocalPreparer:
    """Prepares blocks in this process, with a check connection opened when first needed."""

    def __init__(self, file_id: int) -> None:
        self.file_id = file_id
        self.scratch = None

    def prepare(self, block: LineBlock) -> list[PreparedPiece]:
        if self.scratch is None:
            self.scratch = new_scratch()
        return prepare_block(block, self.scratch, self.file_id)

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()
            self.scratch = None


def _child_command() -> list[str]:
    return [sys.executable, "-m", __name__]


class _Child:
    """The child process; once it fails, every call answers None (prepare here instead)."""

    def __init__(self, process: subprocess.Popen, file_id: int):
        self.process = process
        self.file_id = file_id
        self.alive = True

    @classmethod
    def start(cls, file_id: int) -> _Child | None:
        try:
            process = subprocess.Popen(_child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            log.warning("cannot start the parse-ahead process (%s); parsing in this one", exc)
            return None
        for stream in (process.stdin, process.stdout):
            _widen_pipe(stream)
        return cls(process, file_id)

    def send(self, block: LineBlock) -> bool:
        if not self.alive:
            return False
        try:
            pickle.dump((self.file_id, block.first_line, block.data), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (OSError, ValueError) as exc:
            self._failed(exc)
        return self.alive

    def receive(self, block: LineBlock) -> list[PreparedPiece] | None:
        if not self.alive:
            return None
        try:
            answer = pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._failed(exc)
            return None
        return [
            PreparedPiece(LineBlock(first, block.data[start:end]), *rest) for start, end, first, *rest in answer
        ]

    def _failed(self, exc: BaseException) -> None:
        log.warning("the parse-ahead process failed (%s); parsing in this one", exc)
        self.alive = False
        self.close()

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _widen_pipe(stream) -> None:
    """Ask Linux for a 1 MB pipe buffer (64 KB by default): a block then crosses in 16 writes,
    not 256, each of which may wait for the other process to be scheduled."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # not Linux, or a lower limit: the default works, only slower


def _serve() -> None:
    """The child: prepare each block read from stdin, answer on stdout, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent stops us
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    # Read requests on a thread (plain bytes, no pyarrow there), so that the parent's next
    # block never waits for this process to finish answering the previous one.
    inbox: queue.SimpleQueue[tuple[int, int, bytes] | None] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                inbox.put(pickle.load(requests))
            except Exception:  # noqa: BLE001 - end of input, or a parent killed mid-block (truncated pickle): stop
                inbox.put(None)
                return

    threading.Thread(target=read, daemon=True).start()
    # One thread: the processes are the parallelism (they and the parent fill the cores);
    # DuckDB's own threads here only contend with them, some 10-15% more CPU for the same work.
    scratch = new_scratch(threads=1)
    while (request := inbox.get()) is not None:
        file_id, first_line, data = request
        answer, offset = [], 0
        for prepared in prepare_block(LineBlock(first_line, data), scratch, file_id, threads=False):
            size = len(prepared.piece.data)
            answer.append(
                (offset, offset + size, prepared.piece.first_line, prepared.staged, prepared.records, prepared.exact_lines)
            )
            offset += size
        try:
            pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()
        except OSError:  # the parent has gone
            return


if __name__ == "__main__":
    _serve()
