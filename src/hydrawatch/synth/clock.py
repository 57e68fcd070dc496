"""Time and identifier helpers: ISO timestamps as the Twitter API writes them and
snowflake-like ids that increase with time."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

# Twitter's snowflake epoch, 2010-11-04T01:42:54.657Z, in Unix milliseconds.
TWITTER_EPOCH_MS = 1288834974657
_SEQUENCE_BITS = 12
_WORKER_BITS = 10
# Worker ids keep posts and accounts in visibly different id ranges of the same millisecond;
# they are separate namespaces anyway.
POST_WORKER = 17
ACCOUNT_WORKER = 401

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR


def iso_ms(ms: int) -> str:
    """``2015-03-01T12:34:56.000Z`` for Unix milliseconds, as the API writes ``created_at``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_many(ms: np.ndarray) -> list[str]:
    """``iso_ms`` for a whole array at numpy speed."""
    text = np.datetime_as_string(np.asarray(ms, dtype=np.int64).astype("datetime64[ms]"), unit="ms")
    return [value + "Z" for value in text.tolist()]


def snowflakes(ms: np.ndarray, worker: int) -> np.ndarray:
    """Snowflake ids ``((ms - epoch) << 22) | (worker << 12) | sequence``.

    ``ms`` must be sorted ascending; equal milliseconds get consecutive sequence numbers, so
    the ids are unique and increase with time exactly like Twitter's."""
    ms = np.asarray(ms, dtype=np.int64)
    if ms.size and np.any(ms[1:] < ms[:-1]):
        raise ValueError("snowflakes() needs times sorted ascending")
    if ms.size and ms[0] < TWITTER_EPOCH_MS:
        raise ValueError("snowflake times must be after 2010-11-04T01:42:54.657Z")
    index = np.arange(ms.size, dtype=np.int64)
    first_of_run = np.ones(ms.size, dtype=bool)
    first_of_run[1:] = ms[1:] != ms[:-1]
    run_start = np.maximum.accumulate(np.where(first_of_run, index, 0))
    sequence = index - run_start
    # More than 4096 ids in one millisecond spill into neighbouring worker ids, as a busy
    # datacentre would.
    workers = (worker + (sequence >> _SEQUENCE_BITS)) & ((1 << _WORKER_BITS) - 1)
    sequence &= (1 << _SEQUENCE_BITS) - 1
    return ((ms - TWITTER_EPOCH_MS) << (_SEQUENCE_BITS + _WORKER_BITS)) | (workers << _SEQUENCE_BITS) | sequence
