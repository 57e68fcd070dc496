"""The fast reader for twarc2 flattened tweets: Arrow's C++ JSON parser plus SQL.

The exact reader (:mod:`hydrawatch.sources.twarc`) builds a Python object per record, which
caps ingest at some 30,000 tweets a second. Here a block of lines is parsed by
``pyarrow.json`` against an explicit schema of exactly the fields the exact reader uses, and
converted to staging rows in DuckDB. The parser is strict (a number where a string belongs, a
repeated key, invalid UTF-8 or a non-object line fail the block), so a block that parses holds
the same values the exact reader sees; SQL then checks what JSON types cannot express (ids made
of word characters, ISO 8601 times with a zone, reference types) and hands any line that fails
back to the exact reader. A block that does not parse is split in halves until the bad lines
are isolated; those small pieces go through the exact reader, which converts or reports them.
The store ends up identical either way: ``tests/store/test_fast_twarc.py`` holds the two
readers to that, on synthetic worlds and on property-generated damage.

All of that, up to the staging rows as Arrow tables, needs no store (:func:`prepare_block`):
for a big file it runs ahead in helper processes (:mod:`hydrawatch.store.parse_ahead`) while
this one appends the rows and folds them into the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from hydrawatch.sources.chunks import LineBlock

PLATFORM = "twitter"
MAX_DEPTH = 3  # the exact reader converts referenced tweets down to this depth
SMALLEST_BLOCK_LINES = 64  # below this, a block that fails to parse goes to the exact reader

_S, _B, _I = pa.string(), pa.bool_(), pa.int64()
_METRICS = pa.struct([("followers_count", _I), ("following_count", _I), ("tweet_count", _I), ("listed_count", _I)])
USER = pa.struct(
    [
        ("id", _S), ("username", _S), ("name", _S), ("description", _S), ("location", _S),
        ("profile_image_url", _S), ("url", _S), ("protected", _B), ("verified", _B), ("created_at", _S),
        ("public_metrics", _METRICS),
    ]
)
_ENTITIES = pa.struct(
    [
        ("mentions", pa.list_(pa.struct([("username", _S), ("id", _S)]))),
        ("hashtags", pa.list_(pa.struct([("tag", _S)]))),
        ("urls", pa.list_(pa.struct([("url", _S), ("expanded_url", _S), ("unwound_url", _S)]))),
    ]
)
_ATTACHMENTS = pa.struct([("media", pa.list_(pa.struct([("url", _S), ("preview_image_url", _S), ("media_key", _S)])))])
_TWEET_FIELDS = [
    ("id", _S), ("text", _S), ("created_at", _S), ("author_id", _S), ("author", USER), ("conversation_id", _S),
    ("lang", _S), ("in_reply_to_user_id", _S), ("in_reply_to_user", USER), ("entities", _ENTITIES),
    ("attachments", _ATTACHMENTS),
]


def _tweet_fields(depth: int) -> list[tuple[str, pa.DataType]]:
    return [*_TWEET_FIELDS, ("referenced_tweets", pa.list_(_reference_type(depth + 1)))]


def _reference_type(depth: int) -> pa.StructType:
    """twarc2 flatten merges a referenced tweet's fields into its reference, so a reference at
    a converted depth is a whole tweet plus its ``type``; below the deepest converted tweet
    only what the exact reader reads there (whether it is expanded, and its author id)."""
    if depth <= MAX_DEPTH:
        return pa.struct([("type", _S), *_tweet_fields(depth)])
    return pa.struct([("type", _S), ("id", _S), ("text", _S), ("author_id", _S), ("author", pa.struct([("id", _S)]))])


SCHEMA = pa.schema(_tweet_fields(0))
_PARSE = pa_json.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore", newlines_in_values=False)

_ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?(Z|[+-][0-9]{2}:[0-9]{2})"
_WORD_ID = "[0-9A-Za-z_-]+"

MACROS = f"""
CREATE OR REPLACE TEMP MACRO hw_id_ok(x) AS coalesce(regexp_full_match(x, '{_WORD_ID}'), false);
CREATE OR REPLACE TEMP MACRO hw_time_ok(x) AS (x IS NULL OR (regexp_full_match(x, '{_ISO}') AND TRY_CAST(x AS TIMESTAMPTZ) IS NOT NULL));
CREATE OR REPLACE TEMP MACRO hw_user_ok(u) AS (u IS NULL OR u.id IS NULL OR (hw_id_ok(u.id) AND hw_time_ok(u.created_at)));
CREATE OR REPLACE TEMP MACRO hw_author_id(author_id, author) AS
    CASE WHEN author_id IS NOT NULL AND author_id <> '' THEN author_id ELSE author.id END;
"""


def parse_blocks(block: LineBlock, *, threads: bool = True) -> Iterator[tuple[LineBlock, pa.Table | None]]:
    """Parse a block; where it fails, split it until the failing lines are in pieces of at
    most SMALLEST_BLOCK_LINES lines, yielded with None (for the exact reader). ``threads``:
    parse 1 MB pieces on Arrow's threads; else the whole block on this one, some 20% less
    CPU (for a parse-ahead process: there the processes keep the cores busy)."""
    options = (
        pa_json.ReadOptions(use_threads=True, block_size=1 << 20)
        if threads
        else pa_json.ReadOptions(use_threads=False, block_size=max(len(block.data), 1 << 20))
    )
    try:
        _check_utf8(block.data)
        table = pa_json.read_json(pa.BufferReader(block.data), read_options=options, parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        halves = block.split()
        if halves is None or block.data.count(b"\n") < SMALLEST_BLOCK_LINES:
            yield block, None
            return
        for half in halves:
            yield from parse_blocks(half, threads=threads)
        return
    numbers = block.non_blank()
    if len(numbers) != table.num_rows:  # should not happen; be safe rather than misnumber lines
        yield block, None
        return
    yield block, table.append_column("hw_line", pa.array(numbers, pa.int64()))


def _check_utf8(data: bytes) -> None:
    """Raise ArrowInvalid unless ``data`` is valid UTF-8. Arrow's JSON parser does not check
    the values it reads (nor the fields it skips); the exact reader refuses such a line, so a
    block with invalid UTF-8 is split like one that fails to parse. Arrow's validation of the
    block as one string is some 50x cheaper than ``bytes.decode``."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)


@dataclass(frozen=True, slots=True)
class PreparedPiece:
    """A piece of a block after all the fast reader does before the store: parsed, un-nested,
    checked and turned into staging rows. ``staged``: the rows of the lines the fast reader
    takes, per staging table (None: the whole piece is left to the exact reader), making
    ``records`` records; ``exact_lines``: the numbers of the lines left to the exact reader."""

    piece: LineBlock
    staged: dict[str, pa.Table] | None
    records: int
    exact_lines: np.ndarray


def prepare_block(
    block: LineBlock, scratch: duckdb.DuckDBPyConnection, file_id: int, *, threads: bool = True
) -> list[PreparedPiece]:
    """Parse, split off failing lines, un-nest, check and stage a block. Needs no store
    (``scratch`` is a :func:`new_scratch` connection; ``file_id`` goes in the rows as their
    source), so it can run ahead in another process (see :mod:`hydrawatch.store.parse_ahead`).
    ``threads``: as for :func:`parse_blocks`."""
    prepared = []
    for piece, table in parse_blocks(block, threads=threads):
        if table is None:
            prepared.append(PreparedPiece(piece, None, 0, np.zeros(0, np.int64)))
            continue
        checked, exact_lines = check_fragments(scratch, *flatten_fragments(table))
        staged, records = staged_rows(scratch, checked, file_id)
        prepared.append(PreparedPiece(piece, staged, records, exact_lines))
    return prepared


def check_fragments(scratch: duckdb.DuckDBPyConnection, fragments: pa.Table, references: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """Run the checks on a parsed block's fragments (see :func:`flatten_fragments`). Returns
    the fragments of the lines that pass, with the derived columns the staging queries need,
    and the numbers of the lines that do not (for the exact reader).

    The checks and staging queries run in ``scratch``, a separate in-memory connection with
    the check macros, on Arrow tables, and return Arrow, so that only the staged rows enter
    the file's transaction (a work table created and dropped inside it would keep its data
    until the transaction ends) and the work can run in another process."""
    scratch.register("fx_fragments", fragments)
    scratch.register("fx_references", references)
    try:
        derived = scratch.sql(_CHECK_SQL).to_arrow_table()
    finally:
        scratch.unregister("fx_fragments")
        scratch.unregister("fx_references")
    # A fragment's frag is its row number: put the derived rows in that order (cheaper than
    # an ORDER BY in SQL, which sorts every derived column along).
    frags = derived.column("frag").to_numpy()
    positions = np.full(fragments.num_rows, -1, dtype=np.int64)
    positions[frags] = np.arange(len(frags))
    if len(frags) != fragments.num_rows or (positions < 0).any():
        raise AssertionError("fast twarc reader: the checks did not return one row per fragment")
    derived = derived.take(positions)
    checked = fragments
    for name in _DERIVED:
        checked = checked.append_column(name, derived.column(name))
    exact = derived.column("exact")
    if pc.all(exact).as_py() is not False:
        return checked, np.zeros(0, np.int64)
    line_numbers = fragments.column("line_number")
    exact_lines = np.unique(line_numbers.filter(pc.invert(exact)).to_numpy())
    return checked.filter(pc.invert(pc.is_in(line_numbers, pa.array(exact_lines)))), exact_lines


def staged_rows(scratch: duckdb.DuckDBPyConnection, checked: pa.Table, file_id: int) -> tuple[dict[str, pa.Table], int]:
    """The rows a checked piece adds to each staging table (keyed as ``FileIngest.append``
    takes them), and how many records that is (posts, profiles, account references, as the
    exact reader counts records)."""
    scratch.register("fx_ok", checked)
    try:
        tables = {name: scratch.sql(select).to_arrow_table() for name, select in _staging_selects(file_id).items()}
    finally:
        scratch.unregister("fx_ok")
    records = sum(tables[name].num_rows for name in ("posts", "profiles", "accounts"))
    return {name: table for name, table in tables.items() if table.num_rows}, records


def new_scratch(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection for the checks (see :func:`check_fragments`); ``threads``: DuckDB's
    worker threads (None: its default, one per core)."""
    scratch = duckdb.connect(":memory:")
    scratch.execute("SET preserve_insertion_order = false")
    if threads is not None:
        scratch.execute(f"SET threads = {int(threads)}")
    scratch.execute(MACROS)
    return scratch


_COMMON = ["id", "text", "created_at", "author_id", "author", "conversation_id", "lang", "in_reply_to_user_id", "in_reply_to_user"]


def flatten_fragments(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Un-nest a parsed block (zero-copy where Arrow allows) into two flat tables: one row per
    tweet fragment (a line's tweet, or a referenced tweet expanded inside it, down to
    MAX_DEPTH), and one row per reference of a fragment."""
    tweets = table.drop_columns(["hw_line"]).to_struct_array().combine_chunks()
    line_numbers = table.column("hw_line").to_numpy()
    pointers: list[str | None] = [None] * len(tweets)
    frag_ids = np.arange(len(tweets), dtype=np.int64)
    next_frag = len(tweets)
    fragment_tables, reference_tables = [], []
    for depth in range(MAX_DEPTH + 1):
        entities = pc.struct_field(tweets, "entities")
        columns = {
            "frag": frag_ids,
            "line_number": line_numbers,
            "pointer": pa.array(pointers, pa.string()),
            "depth": np.full(len(tweets), depth, dtype=np.int32),
            **{name: pc.struct_field(tweets, name) for name in _COMMON},
            "mentions": pc.struct_field(entities, "mentions"),
            "hashtags": pc.struct_field(entities, "hashtags"),
            "urls": pc.struct_field(entities, "urls"),
            "media": pc.struct_field(pc.struct_field(tweets, "attachments"), "media"),
        }
        fragment_tables.append(pa.table(columns))

        lists = pc.struct_field(tweets, "referenced_tweets")
        parents = pc.list_parent_indices(lists).to_numpy()
        flat = lists.flatten()
        starts = lists.offsets.to_numpy()[:-1]
        ref_index = np.arange(len(flat), dtype=np.int64) + starts[0] - starts[parents] if len(flat) else np.zeros(0, np.int64)
        # An expanded reference is the referenced tweet itself (see sources.twarc.is_expanded).
        expanded = pc.and_(
            flat.is_valid(),
            pc.or_(pc.is_valid(pc.struct_field(flat, "author_id")), pc.is_valid(pc.struct_field(flat, "text"))),
        )
        reference_tables.append(
            pa.table(
                {
                    "frag": frag_ids[parents],
                    "ref_index": ref_index,
                    "ref_valid": flat.is_valid(),
                    "type": pc.struct_field(flat, "type"),
                    "ref_id": pc.struct_field(flat, "id"),
                    "tweet_valid": expanded,
                    "inner_author_id": pc.struct_field(flat, "author_id"),
                    "inner_author_sid": pc.struct_field(pc.struct_field(flat, "author"), "id"),
                }
            )
        )
        if depth == MAX_DEPTH:
            break
        keep = expanded.to_numpy(zero_copy_only=False)
        if not keep.any():
            break
        kept_parents = parents[keep]
        kept_index = ref_index[keep]
        tweets = flat.filter(pa.array(keep))
        line_numbers = line_numbers[kept_parents]
        pointers = [
            f"{pointers[p] or ''}/referenced_tweets/{i}" for p, i in zip(kept_parents.tolist(), kept_index.tolist())
        ]
        frag_ids = np.arange(next_frag, next_frag + len(tweets), dtype=np.int64)
        next_frag += len(tweets)
    fragments = pa.concat_tables(fragment_tables)
    references = pa.concat_tables(reference_tables)
    return fragments, references


#: What the checks add to each fragment (see _CHECK_SQL).
_DERIVED = ["account_id", "reposted", "quoted", "replied", "inner_account"]

# One row per fragment (in no particular order): whether the exact reader would read it the same
# way (``exact``), and what the staging queries need from its references.
_CHECK_SQL = """
WITH refs AS (
    SELECT *, CASE WHEN tweet_valid THEN CASE WHEN inner_author_id <> '' THEN inner_author_id ELSE inner_author_sid END END
              AS inner_account
    FROM fx_references
), per_frag AS (
    SELECT frag,
        bool_and(ref_valid AND type IN ('retweeted', 'quoted', 'replied_to') AND hw_id_ok(ref_id)
                 AND (inner_account IS NULL OR hw_id_ok(inner_account))) AS refs_ok,
        arg_max(ref_id, ref_index) FILTER (WHERE type = 'retweeted') AS reposted,
        arg_max(ref_id, ref_index) FILTER (WHERE type = 'quoted') AS quoted,
        arg_max(ref_id, ref_index) FILTER (WHERE type = 'replied_to') AS replied
    FROM refs GROUP BY frag
), inner_accounts AS (
    -- the author of the reposted (else quoted) tweet, when the reference expands it
    SELECT r.frag, arg_max(r.inner_account, r.ref_index) AS inner_account
    FROM refs r JOIN per_frag p ON p.frag = r.frag
    WHERE r.ref_id = coalesce(p.reposted, p.quoted) AND r.inner_account IS NOT NULL
    GROUP BY r.frag
)
SELECT f.frag, hw_author_id(f.author_id, f.author) AS account_id, p.reposted, p.quoted, p.replied, i.inner_account,
    (
        hw_id_ok(f.id) AND hw_time_ok(f.created_at)
        AND hw_id_ok(hw_author_id(f.author_id, f.author))
        AND hw_user_ok(f.author) AND hw_user_ok(f.in_reply_to_user)
        AND (f.in_reply_to_user_id IS NULL OR hw_id_ok(f.in_reply_to_user_id))
        AND list_bool_and(list_transform(coalesce(f.mentions, []), lambda m: m IS NOT NULL
            AND CASE WHEN m.id IS NULL
                     THEN m.username IS NULL OR regexp_full_match(m.username, '[A-Za-z0-9_]*')
                     ELSE hw_id_ok(m.id) END)) IS NOT FALSE
        AND list_bool_and(list_transform(coalesce(f.hashtags, []), lambda h: h IS NOT NULL)) IS NOT FALSE
        AND list_bool_and(list_transform(coalesce(f.urls, []), lambda u: u IS NOT NULL)) IS NOT FALSE
        AND list_bool_and(list_transform(coalesce(f.media, []), lambda m: m IS NOT NULL)) IS NOT FALSE
        AND coalesce(p.refs_ok, true)
    ) IS TRUE AS exact
FROM fx_fragments f LEFT JOIN per_frag p USING (frag) LEFT JOIN inner_accounts i USING (frag)
"""

_MENTIONS = """list_transform(coalesce(mentions, []), lambda m: {'username': coalesce(m.username, ''),
    'target': CASE WHEN m.id IS NULL THEN CASE WHEN coalesce(m.username, '') <> '' THEN '@' || lower(m.username) END
                   ELSE m.id END})"""


def _staging_selects(file_id: int) -> dict[str, str]:
    """Per staging table, the query that makes its rows from ``fx_ok`` (the checked fragments
    with their derived columns)."""
    selects = {}
    selects["posts"] = (
        f"""
        SELECT '{PLATFORM}', o.id, o.account_id, TRY_CAST(o.created_at AS TIMESTAMPTZ),
               CASE WHEN o.reposted IS NOT NULL THEN 'repost' WHEN o.replied IS NOT NULL THEN 'reply'
                    WHEN o.quoted IS NOT NULL THEN 'quote' ELSE 'original' END,
               coalesce(o.text, ''), o.lang, o.replied, o.in_reply_to_user_id, o.quoted, o.reposted,
               o.inner_account, o.conversation_id, {file_id}, o.line_number, o.pointer
        FROM fx_ok o
        """
    )
    selects["entities"] = (
        f"""
        SELECT '{PLATFORM}', id, CAST(e.i - 1 AS INTEGER), e.x.kind, e.x.value, e.x.target
        FROM (
            SELECT id, unnest(list_transform(
                list_concat(
                    list_transform({_MENTIONS}, lambda m: {{'kind': 'mention', 'value': m.username, 'target': m.target}}),
                    list_transform(coalesce(hashtags, []), lambda h: {{'kind': 'hashtag', 'value': coalesce(h.tag, ''), 'target': NULL::VARCHAR}}),
                    list_transform(list_filter(list_transform(coalesce(urls, []),
                        lambda u: coalesce(nullif(u.unwound_url, ''), nullif(u.expanded_url, ''), nullif(u.url, ''))),
                        lambda v: v IS NOT NULL), lambda u: {{'kind': 'url', 'value': u, 'target': NULL::VARCHAR}}),
                    list_transform(list_filter(list_transform(coalesce(media, []),
                        lambda m: coalesce(nullif(m.url, ''), nullif(m.preview_image_url, ''), nullif(m.media_key, ''))),
                        lambda v: v IS NOT NULL), lambda m: {{'kind': 'media', 'value': m, 'target': NULL::VARCHAR}})),
                lambda x, i: {{'x': x, 'i': i}})) AS e
            FROM fx_ok)
        """
    )
    selects["profiles"] = (
        f"""
        SELECT '{PLATFORM}', u.id, TRY_CAST(created_at AS TIMESTAMPTZ), u.username, u.name, u.description, u.location,
               u.profile_image_url, u.url, u.protected, u.verified, TRY_CAST(u.created_at AS TIMESTAMPTZ),
               u.public_metrics.followers_count, u.public_metrics.following_count, u.public_metrics.tweet_count,
               u.public_metrics.listed_count, {file_id}, line_number
        FROM (
            SELECT line_number, created_at, author AS u FROM fx_ok WHERE author.id IS NOT NULL
            UNION ALL
            SELECT line_number, created_at, in_reply_to_user FROM fx_ok WHERE in_reply_to_user.id IS NOT NULL)
        """
    )
    selects["accounts"] = (
        f"""
        SELECT '{PLATFORM}', account_id, username, TRY_CAST(seen_at AS TIMESTAMPTZ), {file_id}, line_number FROM (
            SELECT line_number, account_id, NULL AS username, created_at AS seen_at FROM fx_ok WHERE author.id IS NULL
            UNION ALL
            SELECT line_number, m.target, nullif(m.username, ''), created_at FROM (
                SELECT line_number, created_at, unnest({_MENTIONS}) AS m FROM fx_ok)
            WHERE m.target IS NOT NULL
            UNION ALL
            SELECT line_number, in_reply_to_user_id, NULL, created_at FROM fx_ok WHERE in_reply_to_user_id IS NOT NULL)
        """
    )
    return selects
