"""hydrawatch's own tables as Parquet: export a store to a folder, import such a folder.

An export folder holds one ``<table>.parquet`` per table (bookkeeping tables included, so the
provenance of every row travels with it) and a ``manifest.json`` naming the schema version and
row counts. Importing into an empty store and exporting again gives identical tables. Imports
into a store that already has data add only rows with new keys, renumbering the source files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson

from hydrawatch.core.errors import SchemaVersionError, StoreError

from .duck import Store
from .schema import KEYS, SCHEMA_VERSION, TABLES

MANIFEST = "manifest.json"
FORMAT_NAME = "hydrawatch-parquet"
BOOKKEEPING_TABLES = ("ingests", "ingest_problems")


@dataclass(frozen=True, slots=True)
class ImportResult:
    export_id: str
    added: dict[str, int]
    skipped: bool = False


def is_export_folder(path: Path) -> bool:
    manifest = path / MANIFEST
    if not (path.is_dir() and manifest.is_file()):
        return False
    try:
        return orjson.loads(manifest.read_bytes()).get("format") == FORMAT_NAME
    except (orjson.JSONDecodeError, AttributeError, OSError):
        return False


def export_parquet(store: Store, out_dir: Path) -> dict:
    """Write every table to ``out_dir`` as Parquet plus a manifest; returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = store.con
    tables: dict[str, dict] = {}
    for table in (*TABLES, *BOOKKEEPING_TABLES):
        target = out_dir / f"{table}.parquet"
        order = ", ".join(KEYS.get(table, ("file_id",) if table == "ingests" else ("file_id", "line", "pointer", "reason")))
        # A stable row order makes exports of equal stores byte-identical.
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        tables[table] = {"file": target.name, "rows": rows, "sha256": _sha256(target)}
    export_id = hashlib.sha256(orjson.dumps(tables, option=orjson.OPT_SORT_KEYS)).hexdigest()
    manifest = {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, "export_id": export_id, "tables": tables}
    (out_dir / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return manifest


def import_parquet(store: Store, folder: Path) -> ImportResult:
    """Load an export folder into ``store`` in one transaction; see the module docstring."""
    manifest = orjson.loads((folder / MANIFEST).read_bytes())
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{folder} was exported with store schema v{manifest.get('schema_version')}; this hydrawatch uses "
            f"v{SCHEMA_VERSION}. Re-ingest the original files instead."
        )
    export_id = manifest["export_id"]
    con = store.con
    if con.execute("SELECT count(*) FROM meta WHERE key = ?", [f"imported:{export_id}"]).fetchall()[0][0]:
        return ImportResult(export_id, {}, skipped=True)
    for table, entry in manifest["tables"].items():
        path = folder / entry["file"]
        if not path.is_file():
            raise StoreError(f"{folder}: {entry['file']} is missing; the export is incomplete")
        if _sha256(path) != entry["sha256"]:
            raise StoreError(f"{path} does not match its manifest checksum; the export was changed or damaged")

    con.execute("BEGIN TRANSACTION")
    try:
        offset = con.execute("SELECT coalesce(max(file_id), 0) FROM ingests").fetchall()[0][0]
        added: dict[str, int] = {}
        for table in (*BOOKKEEPING_TABLES, *TABLES):
            if table not in manifest["tables"]:
                continue
            path = folder / manifest["tables"][table]["file"]
            added[table] = _import_table(con, table, path, offset)
        con.execute("INSERT INTO meta VALUES (?, ?)", [f"imported:{export_id}", str(folder)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ImportResult(export_id, added)


def _import_table(con, table: str, path: Path, offset: int) -> int:
    before = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    columns = [c for c, _ in TABLES[table]] if table in TABLES else None
    source = f"read_parquet('{path}')"
    if table in BOOKKEEPING_TABLES:
        con.execute(f"INSERT INTO {table} SELECT * REPLACE (file_id + {offset} AS file_id) FROM {source}")
    else:
        select = ", ".join(
            f"source_file + {offset} AS source_file" if c == "source_file" else c for c in columns or ()
        )
        key = KEYS[table]
        match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
        con.execute(
            f"INSERT INTO {table} SELECT {select} FROM {source} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] - before


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
