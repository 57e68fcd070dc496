"""The embedded analytical store: one DuckDB file.

Open it with :class:`Store` (a context manager). Data enters through :meth:`Store.ingest_file`,
which wraps one input file in one transaction: staged rows (Arrow tables) are held until a
fold adds them to the real tables with de-duplication on each table's natural key, and the file is
recorded in ``ingests``. If anything fails or the process is interrupted, the transaction rolls
back and the store is exactly as it was before that file. Files larger than a batch (512 MB
of input by default, see :func:`hydrawatch.ingest.ingest_paths`) commit batch by batch, so
memory stays bounded; an interruption then keeps the batches already committed, the file is
not recorded as ingested, and ingesting it again adds exactly what is missing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from hydrawatch.core.errors import SchemaVersionError, StoreError

from . import merge
from .batches import STAGE_SCHEMAS
from .schema import BOOKKEEPING, SCHEMA_VERSION, TABLES, VIEWS, create_table_sql

log = logging.getLogger(__name__)

DEFAULT_DB = "hydrawatch.duckdb"
DB_ENV = "HYDRAWATCH_DB"


def default_db_path() -> Path:
    """``$HYDRAWATCH_DB`` or ``./hydrawatch.duckdb``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass(frozen=True, slots=True)
class IngestedFile:
    file_id: int
    path: str
    sha256: str
    format: str
    ingested_at: datetime
    records: int
    rejected: int
    added: dict[str, int]


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    pointer: str | None
    reason: str
    excerpt: str = ""


@dataclass
class FileIngest:
    """An open, uncommitted ingest of one file. Append Arrow tables; commit happens when the
    ``with`` block of :meth:`Store.ingest_file` ends without an exception."""

    store: Store
    file_id: int
    path: str
    sha256: str | Callable[[], str]  # a callable: computed when the file is recorded
    size_bytes: int
    format: str
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected: int = 0
    committed: dict[str, int] = field(default_factory=dict)  # rows added by earlier batches
    #: Staged rows not yet folded, per staging table: Arrow tables held as appended (copying
    #: them into DuckDB tables first cost as much as the fold that reads them).
    staged: dict[str, list[pa.Table]] = field(default_factory=dict)
    _folder: ThreadPoolExecutor | None = field(default=None, repr=False)
    _folding: Future | None = field(default=None, repr=False)

    def append(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            if table.num_rows:
                self.staged.setdefault(name, []).append(_as_stage_table(name, table))

    def stage_twarc_table(self, staged: dict[str, pa.Table]) -> None:
        """Append the staging rows of a prepared piece of twarc2 flattened tweets
        (``PreparedPiece.staged``, see store.fast_twarc)."""
        self.append(staged)

    def fold(self) -> dict[str, int]:
        """Fold what is staged into the store's tables (inside the open transaction); return
        how many rows each table gained."""
        staged, self.staged = self.staged, {}
        return merge.fold_stage_into_tables(self.store.con, staged)

    def checkpoint(self) -> None:
        """Fold what is staged so far into the tables and commit it: a long file then holds
        at most two batches in memory. A crash later in the file loses only the open batch;
        the file is not recorded as ingested until its end, so ingesting it again adds what
        is missing (folding de-duplicates on every table's natural key).

        The fold and commit run on a background thread (DuckDB works without the GIL), so
        the reader goes on staging the next batch meanwhile: a big file's parse-ahead
        processes no longer stand idle for every fold. Nothing else may use the connection
        until :meth:`settle`, which the next checkpoint and the end of the file call first."""
        self.settle()
        staged, self.staged = self.staged, {}
        if self._folder is None:
            self._folder = ThreadPoolExecutor(1, thread_name_prefix="hydrawatch-fold")
        self._folding = self._folder.submit(self._fold_and_commit, staged)

    def _fold_and_commit(self, staged: dict[str, list[pa.Table]]) -> None:
        con = self.store.con
        _add(self.committed, merge.fold_stage_into_tables(con, staged))
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")

    def settle(self) -> None:
        """Wait for the checkpoint running in the background, if any; raise what it raised."""
        folding, self._folding = self._folding, None
        if folding is not None:
            folding.result()

    def close(self) -> None:
        """Wait for a background checkpoint (its error, if any, is logged: the caller is
        already handling one) and stop the thread."""
        try:
            self.settle()
        except BaseException:  # noqa: BLE001 - the caller rolls back and re-raises its own error
            log.exception("a background checkpoint of %s failed", self.path)
        finally:
            if self._folder is not None:
                self._folder.shutdown(wait=True)
                self._folder = None


def _as_stage_table(name: str, table: pa.Table) -> pa.Table:
    """``table`` with the staging table's column names and types (rows made by SQL carry the
    expressions as names, and DuckDB's name for UTC)."""
    schema = STAGE_SCHEMAS[name]
    if table.schema.equals(schema):
        return table
    if table.num_columns != len(schema):
        raise StoreError(f"staged rows for {name} have {table.num_columns} columns; the staging table has {len(schema)}")
    return table.rename_columns(schema.names).cast(schema)


class Store:
    """A hydrawatch store in a DuckDB file (or ``":memory:"`` for tests).

    ``memory_limit`` caps DuckDB's memory (for example ``"4GB"``); a fold that needs more
    spills to a temporary directory next to the database. Staged rows wait for their fold as
    Arrow tables, outside that limit: at most two commit batches of them (one folding, one filling).
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False, memory_limit: str | None = None):
        self.path = str(path if path is not None else default_db_path())
        self.read_only = read_only
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> Store:
        if self._con is not None:
            return self
        exists = self.path == ":memory:" or Path(self.path).exists()
        if self.read_only and not exists:
            raise StoreError(f"no store at {self.path}: ingest data first (hydrawatch ingest PATH --db {self.path})")
        try:
            self._con = duckdb.connect(self.path, read_only=self.read_only)
        except duckdb.IOException as exc:
            raise StoreError(
                f"cannot open store {self.path}: {exc}. Another hydrawatch process may be writing it; "
                "wait for it to finish or use another --db."
            ) from exc
        if self.memory_limit:
            self._con.execute(f"SET memory_limit = '{self.memory_limit}'")
        if self.path != ":memory:":
            self._con.execute(f"SET temp_directory = '{self.path}.tmp'")
        self._con.execute("SET preserve_insertion_order = false")
        if self.read_only:
            self._check_version()
        else:
            self._create_or_check()
        return self

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError("the store is not open; use `with Store(path) as store:`")
        return self._con

    def _create_or_check(self) -> None:
        con = self.con
        has_meta = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchall()[0][0]
        if has_meta:
            self._check_version()
            return
        con.execute("BEGIN TRANSACTION")
        con.execute(BOOKKEEPING)
        for table in TABLES:
            con.execute(create_table_sql(table))
        con.execute(VIEWS)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created_by', ?)", [str(SCHEMA_VERSION), _version()])
        con.execute("COMMIT")

    def _check_version(self) -> None:
        try:
            rows = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        except duckdb.CatalogException as exc:
            raise SchemaVersionError(f"{self.path} is not a hydrawatch store (no meta table)") from exc
        found = int(rows[0][0]) if rows else None
        if found != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} was written with store schema v{found}; this hydrawatch uses v{SCHEMA_VERSION}. "
                f"Re-ingest your data into a new store: hydrawatch ingest PATH... --db NEW.duckdb"
            )

    # --- ingest -------------------------------------------------------------------------

    def ingested(self, sha256: str) -> IngestedFile | None:
        """The earlier ingest of a file with these contents, if any."""
        rows = self.con.execute(
            "SELECT file_id, path, sha256, format, ingested_at, records, rejected, added "
            "FROM ingests WHERE sha256 = ? ORDER BY file_id LIMIT 1",
            [sha256],
        ).fetchall()
        if not rows:
            return None
        row = rows[0]
        return IngestedFile(*row[:7], added=orjson.loads(row[7] or "{}"))

    def has_ingested_size(self, size_bytes: int) -> bool:
        """Whether any earlier ingest had a file of exactly this size (only then can its
        contents be a repeat, so only then must the digest be known before reading)."""
        return bool(self.con.execute("SELECT 1 FROM ingests WHERE size_bytes = ? LIMIT 1", [size_bytes]).fetchall())

    @contextmanager
    def threads(self, count: int) -> Iterator[None]:
        """DuckDB's worker threads set to ``count`` inside the block, restored after. An ingest
        whose parse-ahead processes already keep the cores busy folds on the cores they leave:
        more threads there only contend with them (the same fold costs some 20% more CPU)."""
        con = self.con
        before = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        con.execute(f"SET threads = {max(1, int(count))}")
        try:
            yield
        finally:
            con.execute(f"SET threads = {int(before)}")

    @contextmanager
    def ingest_file(self, path: str, sha256: str | Callable[[], str], size_bytes: int, format: str) -> Iterator[FileIngest]:
        """One file, one transaction (or one per batch, when the reader calls
        :meth:`FileIngest.checkpoint`). Yields a :class:`FileIngest` to append staged rows to."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        ingest: FileIngest | None = None
        try:
            file_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM ingests").fetchall()[0][0]
            ingest = FileIngest(self, file_id, path, sha256, size_bytes, format)
            yield ingest
            ingest.settle()
            added = _add(dict(ingest.committed), ingest.fold())
            con.execute(
                "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    file_id,
                    path,
                    sha256 if isinstance(sha256, str) else sha256(),
                    size_bytes,
                    format,
                    datetime.now(UTC),
                    ingest.records,
                    ingest.rejected,
                    orjson.dumps(added).decode(),
                ],
            )
            if ingest.problems:
                con.executemany(
                    "INSERT INTO ingest_problems VALUES (?, ?, ?, ?, ?)",
                    [[file_id, p.line, p.pointer, p.reason, p.excerpt] for p in ingest.problems],
                )
            con.execute("COMMIT")
            ingest.added = added  # type: ignore[attr-defined]
            ingest.close()
        except BaseException:
            # KeyboardInterrupt included: whatever this file staged is undone (once a
            # checkpoint still running has finished with the connection).
            if ingest is not None:
                ingest.close()
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                log.exception("rollback failed for %s", path)
            raise

    # --- reading ------------------------------------------------------------------------

    def stats(self) -> dict:
        """Row counts per table, per platform, and the accounts suspended now."""
        con = self.con
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES}
        counts["suspended"] = con.execute(
            "SELECT count(*) FROM account_status WHERE status = 'suspended'"
        ).fetchall()[0][0]
        counts["files"] = con.execute("SELECT count(*) FROM ingests").fetchall()[0][0]
        counts["rejected"] = con.execute("SELECT coalesce(sum(rejected), 0) FROM ingests").fetchall()[0][0]
        by_platform: dict[str, dict[str, int]] = {}
        for table in ("accounts", "posts", "follows", "events", "profiles"):
            for platform, n in con.execute(f"SELECT platform, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall():
                by_platform.setdefault(platform, {})[table] = n
        counts["by_platform"] = by_platform
        return counts

    def problems(self, limit: int = 100) -> list[tuple]:
        return self.con.execute(
            "SELECT i.path, p.line, p.pointer, p.reason FROM ingest_problems p JOIN ingests i USING (file_id) "
            "ORDER BY p.file_id, p.line LIMIT ?",
            [limit],
        ).fetchall()


def _add(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value
    return total


def _version() -> str:
    from hydrawatch import __version__

    return f"hydrawatch {__version__}"
