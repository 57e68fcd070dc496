"""Reading the analytical store from a web request without ever waiting on a batch job.

DuckDB lets one process write a file at a time, and a writer excludes readers in other
processes. So the console opens the store read-only for one request and closes it at once (a
connection kept open would in turn lock batch jobs out), gives up after ``timeout`` seconds
if the file stays locked, and interrupts a query that runs past the same deadline. Callers
catch :class:`StoreBusy` and show what they can without the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from hydrawatch.core.errors import HydrawatchError, SchemaVersionError, StoreError

log = logging.getLogger(__name__)


class StoreUnavailable(HydrawatchError):
    """The store cannot be read now; the message says why in a moderator's words."""


class StoreBusy(StoreUnavailable):
    """Another process holds the store (or a query ran past its deadline); try again soon."""


class NoStore(StoreUnavailable):
    """The service runs without a store."""


@contextmanager
def read_store(path: Path | None, timeout: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one request (times in UTC), closed on exit."""
    from hydrawatch.store.duck import Store

    if path is None:
        raise NoStore("this console runs without a store (start it with --db FILE to see profiles, posts and the network)")
    deadline = time.monotonic() + timeout
    while True:
        try:
            store = Store(path, read_only=True).open()
            break
        except SchemaVersionError as exc:
            raise StoreUnavailable(str(exc)) from exc
        except StoreError as exc:
            if time.monotonic() + 0.05 >= deadline:
                raise StoreBusy("store busy: a batch job is writing it; showing what the review database has") from exc
            time.sleep(0.05)
    con = store.con
    timer = threading.Timer(max(deadline - time.monotonic(), 0.05), con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    except duckdb.InterruptException as exc:
        raise StoreBusy("store busy: the query took too long; showing what the review database has") from exc
    finally:
        timer.cancel()
        store.close()
