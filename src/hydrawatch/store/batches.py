"""Turn streams of core records into Arrow tables, one per staging table.

Sources yield frozen dataclasses; the store appends Arrow tables. :class:`RecordBatcher`
sits between: it appends each record's fields to plain Python column lists (the cheapest thing
Python can do per record) and builds Arrow tables when asked. Raw profile observations are
staged as they were read; folding them into versions happens in SQL (see ``store/ingest``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from hydrawatch.core.model import AccountRef, Event, Follow, Post, ProfileVersion, Record

TIME = pa.timestamp("us", tz="UTC")

STAGE_SCHEMAS: dict[str, pa.Schema] = {
    "accounts": pa.schema(
        [
            ("platform", pa.string()),
            ("account_id", pa.string()),
            ("username", pa.string()),
            ("seen_at", TIME),
            ("source_file", pa.int32()),
            ("source_line", pa.int64()),
        ]
    ),
    "profiles": pa.schema(
        [
            ("platform", pa.string()),
            ("account_id", pa.string()),
            ("observed_at", TIME),
            ("username", pa.string()),
            ("display_name", pa.string()),
            ("bio", pa.string()),
            ("location", pa.string()),
            ("avatar_url", pa.string()),
            ("url", pa.string()),
            ("protected", pa.bool_()),
            ("verified", pa.bool_()),
            ("created_at", TIME),
            ("followers_count", pa.int64()),
            ("following_count", pa.int64()),
            ("post_count", pa.int64()),
            ("listed_count", pa.int64()),
            ("source_file", pa.int32()),
            ("source_line", pa.int64()),
        ]
    ),
    "posts": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("created_at", TIME),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("lang", pa.string()),
            ("in_reply_to_post_id", pa.string()),
            ("in_reply_to_account_id", pa.string()),
            ("quoted_post_id", pa.string()),
            ("reposted_post_id", pa.string()),
            ("referenced_account_id", pa.string()),
            ("conversation_id", pa.string()),
            ("source_file", pa.int32()),
            ("source_line", pa.int64()),
            ("source_pointer", pa.string()),
        ]
    ),
    "entities": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("position", pa.int32()),
            ("kind", pa.string()),
            ("value", pa.string()),
            ("target_account_id", pa.string()),
        ]
    ),
    "follows": pa.schema(
        [
            ("platform", pa.string()),
            ("source_account_id", pa.string()),
            ("target_account_id", pa.string()),
            ("created_at", TIME),
            ("source_file", pa.int32()),
            ("source_line", pa.int64()),
        ]
    ),
    "events": pa.schema(
        [
            ("platform", pa.string()),
            ("account_id", pa.string()),
            ("kind", pa.string()),
            ("event_at", TIME),
            ("profile_field", pa.string()),
            ("new_value", pa.string()),
            ("source_file", pa.int32()),
            ("source_line", pa.int64()),
        ]
    ),
}


class RecordBatcher:
    """Accumulates records as columns. ``file_id`` is stamped on every row as its source.

    >>> batcher = RecordBatcher(file_id=1)
    >>> batcher.extend(records)            # doctest: +SKIP
    >>> tables = batcher.take()            # {"posts": pa.Table, ...}; the batcher is empty again
    """

    def __init__(self, file_id: int):
        self.file_id = file_id
        self._columns: dict[str, list[list]] = {}
        self.rows = 0
        self._reset()

    def _reset(self) -> None:
        self._columns = {name: [[] for _ in schema] for name, schema in STAGE_SCHEMAS.items()}
        self.rows = 0

    def extend(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def add(self, record: Record) -> None:
        self.rows += 1
        if type(record) is Post:
            self._add_post(record)
        elif type(record) is ProfileVersion:
            self._add_profile(record)
        elif type(record) is AccountRef:
            c = self._columns["accounts"]
            for column, value in zip(
                c,
                (record.platform, record.account_id, record.username, record.seen_at, self.file_id, record.source.line),
            ):
                column.append(value)
        elif type(record) is Follow:
            c = self._columns["follows"]
            for column, value in zip(
                c,
                (
                    record.platform,
                    record.source_account_id,
                    record.target_account_id,
                    record.created_at,
                    self.file_id,
                    record.source.line,
                ),
            ):
                column.append(value)
        elif type(record) is Event:
            c = self._columns["events"]
            for column, value in zip(
                c,
                (
                    record.platform,
                    record.account_id,
                    record.kind.value,
                    record.event_at,
                    record.profile_field,
                    record.new_value,
                    self.file_id,
                    record.source.line,
                ),
            ):
                column.append(value)
        else:
            raise TypeError(f"not a core record: {type(record).__name__}")

    def _add_post(self, post: Post) -> None:
        c = self._columns["posts"]
        values = (
            post.platform,
            post.post_id,
            post.account_id,
            post.created_at,
            post.kind.value,
            post.text,
            post.lang,
            post.in_reply_to_post_id,
            post.in_reply_to_account_id,
            post.quoted_post_id,
            post.reposted_post_id,
            post.referenced_account_id,
            post.conversation_id,
            self.file_id,
            post.source.line,
            post.source.pointer,
        )
        for column, value in zip(c, values):
            column.append(value)
        if post.entities:
            e = self._columns["entities"]
            for position, entity in enumerate(post.entities):
                e[0].append(post.platform)
                e[1].append(post.post_id)
                e[2].append(position)
                e[3].append(entity.kind.value)
                e[4].append(entity.value)
                e[5].append(entity.target_account_id)

    def _add_profile(self, profile: ProfileVersion) -> None:
        c = self._columns["profiles"]
        values = (
            profile.platform,
            profile.account_id,
            profile.observed_at,
            profile.username,
            profile.display_name,
            profile.bio,
            profile.location,
            profile.avatar_url,
            profile.url,
            profile.protected,
            profile.verified,
            profile.created_at,
            profile.followers_count,
            profile.following_count,
            profile.post_count,
            profile.listed_count,
            self.file_id,
            profile.source.line,
        )
        for column, value in zip(c, values):
            column.append(value)

    def take(self) -> dict[str, pa.Table]:
        """The accumulated rows as Arrow tables (only non-empty ones); resets the batcher."""
        tables = {}
        for name, columns in self._columns.items():
            if columns[0]:
                schema = STAGE_SCHEMAS[name]
                arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema)]
                tables[name] = pa.Table.from_arrays(arrays, schema=schema)
        self._reset()
        return tables
