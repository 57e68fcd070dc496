"""Shares from a CSV file: who shared which object when, as the input of coordination detection.

The contract (:data:`hydrawatch.network.SHARES_CSV_CONTRACT`) is written once and reused by
``--help`` and the errors: a header row with ``account_id,object_id,timestamp`` in any order
(other columns ignored), or CooRTweet's ``object_id,account_id,content_id,timestamp_share``.
Timestamps are epoch seconds (decimals allowed, read exactly) or ISO 8601, kept as integer
microseconds so that "within the window" is integer arithmetic.

Clean files go through Arrow's multi-threaded reader; a file with anything to report falls back
to a row-by-row reader that logs every bad row with its line and keeps the good ones (both give
identical tables: a property test).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from hydrawatch.core.errors import UnknownFormatError
from hydrawatch.network import SHARES_CSV_CONTRACT

SHARES_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("object_id", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC"))]
)

def shares_table(account_ids, object_ids, timestamps_micros) -> pa.Table:
    """A shares table from three parallel sequences (times in epoch microseconds)."""
    return pa.table(
        {
            "account_id": pa.array(account_ids, pa.string()),
            "object_id": pa.array(object_ids, pa.string()),
            "timestamp": pa.array(timestamps_micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        },
        schema=SHARES_SCHEMA,
    )


#: Header names accepted for each column of a shares CSV. The first list is hydrawatch's own
#: layout; CooRTweet's ``object_id,account_id,content_id,timestamp_share`` is read as well.
CSV_COLUMNS = {
    "account_id": ("account_id",),
    "object_id": ("object_id",),
    "timestamp": ("timestamp", "timestamp_share"),
}
CSV_CONTRACT = SHARES_CSV_CONTRACT


def read_shares_csv(path: Path, problems) -> pa.Table:
    """Read shares from a CSV (see :data:`CSV_CONTRACT`). Bad rows go to ``problems`` (a
    :class:`hydrawatch.sources.base.ProblemLog`) with their line and reason; good rows are kept."""
    from hydrawatch.core.model import SourceRef
    from hydrawatch.sources.base import iter_csv_rows

    rows = iter_csv_rows(Path(path), problems)
    first = next(rows, None)
    if first is None:
        raise UnknownFormatError(f"{path} is empty. {CSV_CONTRACT}")
    _, header = first
    names = [name.strip().lower() for name in header]
    index = {}
    for column, accepted in CSV_COLUMNS.items():
        found = [names.index(name) for name in accepted if name in names]
        if not found:
            raise UnknownFormatError(f"{path}: no {column} column in the header {','.join(header)[:200]!r}. {CSV_CONTRACT}")
        index[column] = found[0]
    fast = _read_clean_csv(Path(path), [header[index[column]] for column in CSV_COLUMNS])
    if fast is not None:
        return fast
    width = len(header)
    accounts: list[str] = []
    objects: list[str] = []
    times: list[int] = []
    name = str(path)
    for line, row in rows:
        if len(row) != width:
            problems.bad(SourceRef(name, line), f"expected {width} fields, found {len(row)}", ",".join(row))
            continue
        account = row[index["account_id"]].strip()
        obj = row[index["object_id"]].strip()
        if not account or not obj:
            problems.bad(SourceRef(name, line), "empty account_id" if not account else "empty object_id", ",".join(row))
            continue
        try:
            micros = parse_time_micros(row[index["timestamp"]])
        except ValueError as exc:
            problems.bad(SourceRef(name, line), str(exc), ",".join(row))
            continue
        accounts.append(account)
        objects.append(obj)
        times.append(micros)
    return shares_table(accounts, objects, times)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DECIMAL_SECONDS = r"^(?P<whole>[0-9]{1,10})(?:\.(?P<fraction>[0-9]*))?$"


def _read_clean_csv(path: Path, columns: list[str]) -> pa.Table | None:
    """The fast path of :func:`read_shares_csv`: Arrow's multi-threaded CSV reader, for files
    with nothing to report (every row well formed, ids without surrounding blanks, epoch-second
    times before 2262). It gives exactly what the row-by-row reader would; on anything else it
    returns None and the row-by-row reader takes over, to report each bad row with its line."""
    import pyarrow.csv as pcsv

    from hydrawatch.sources.base import open_binary

    if len(set(columns)) != len(columns):
        return None
    try:
        with open_binary(path) as stream:
            table = pcsv.read_csv(
                stream,
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in columns}, include_columns=columns),
            )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError):
        return None
    account, obj, timestamp = (table[c] for c in columns)
    for ids in (account, obj):
        if pc.any(pc.equal(pc.utf8_length(ids), 0)).as_py() or pc.all(pc.equal(pc.utf8_trim_whitespace(ids), ids)).as_py() not in (True, None):
            return None
    parts = pc.extract_regex(timestamp, _DECIMAL_SECONDS)
    if parts.null_count:
        return None
    whole = pc.cast(pc.struct_field(parts, "whole"), pa.int64())
    nanos = pc.cast(pc.utf8_slice_codeunits(pc.utf8_rpad(pc.struct_field(parts, "fraction"), 9, "0"), 0, 9), pa.int64())
    try:
        nanos = pc.add_checked(pc.add_checked(pc.multiply_checked(whole, 1_000_000_000), nanos), 500)
    except pa.ArrowInvalid:  # overflow: past 2262; the row-by-row reader has no such limit
        return None
    micros = pc.divide(nanos, 1000)  # integer division (the values are positive): rounded to the microsecond
    return pa.table(
        {"account_id": account, "object_id": obj, "timestamp": pc.cast(micros, pa.timestamp("us", tz="UTC"))},
        schema=SHARES_SCHEMA,
    )


def parse_time_micros(text: str) -> int:
    """Epoch seconds (``1623881091``, ``1623881091.25``; values above 1e11 are taken as
    milliseconds, as in compliance streams) or ISO 8601, to integer epoch microseconds. Decimal
    seconds are read exactly, not through a float."""
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    number = value[1:] if value[0] in "+-" else value
    whole, dot, fraction = number.partition(".")
    if whole.isdigit() and (not dot or fraction.isdigit() or fraction == ""):
        sign = -1 if value[0] == "-" else 1
        digits = (fraction + "000000000")[:9]  # nanoseconds, then rounded to microseconds
        nanos = int(whole) * 1_000_000_000 + int(digits)
        if int(whole) > 100_000_000_000:  # milliseconds
            nanos //= 1000
        return sign * ((nanos + 500) // 1000)
    if value[0].isdigit() and "-" in value[:5]:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an epoch or ISO 8601 time: {value[:60]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - _EPOCH) // timedelta(microseconds=1)
    raise ValueError(f"not an epoch or ISO 8601 time: {value[:60]!r}")

