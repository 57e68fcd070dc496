"""The accounts the returnee detector compares, as columns ready for fast comparison.

:class:`AccountTable` turns the store's per-account snapshots into what the candidate
generators and pair features need: normalised keys (handle and name skeletons), the time the
account appeared, the time it ended, posting-hour profiles, writing-style vectors, and the
sets of accounts it follows, is followed by and talks to. Everything is indexed by row number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from hydrawatch.core.text import handle_skeleton, name_skeleton, normalize_text, script_of

NO_TIME = np.iinfo(np.int64).min  # "unknown" in int64 epoch-second columns
STYLE_FEATURES = 2**18


def epoch_seconds(column: pa.ChunkedArray) -> np.ndarray:
    """Timestamps as int64 epoch seconds, NO_TIME where null."""
    micros = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    values = micros.fill_null(NO_TIME).to_numpy()
    return np.where(values == NO_TIME, NO_TIME, values // 1_000_000)


@dataclass
class AccountTable:
    """Accounts by row. ``appeared_at``: creation time if known, else first post or first seen
    (epoch seconds); ``created_known``: which rows' ``appeared_at`` is the creation time (None:
    not recorded). ``ended_at``: suspension/deletion time, NO_TIME if still active."""

    platform: list[str]
    account_id: list[str]
    handle: list[str]
    handles: list[list[str]]
    display_name: list[str]
    display_names: list[list[str]]
    bio: list[str]
    avatar_urls: list[list[str]]
    avatar_hashes: list[list[str]]  # PDQ hex of the avatar pictures, where hashed
    appeared_at: np.ndarray
    last_post_at: np.ndarray
    ended_at: np.ndarray
    end_kind: list[str | None]
    posts: np.ndarray
    followers_count: np.ndarray
    hour_profile: np.ndarray  # float32 (n, 24), rows sum to 1 (0 without posts)
    hashtags: list[frozenset[str]]
    interacts_with: list[frozenset[str]]
    text_sample: list[str]
    script: list[str]
    handle_keys: list[list[str]] = field(default_factory=list)
    name_keys: list[list[str]] = field(default_factory=list)
    bio_key: list[str] = field(default_factory=list)
    style: sparse.csr_matrix | None = None
    row_of: dict[tuple[str, str], int] = field(default_factory=dict)
    followees: list[frozenset[str]] = field(default_factory=list)
    followers: list[frozenset[str]] = field(default_factory=list)
    created_known: np.ndarray | None = None  # bool: appeared_at is the account's creation time

    def __len__(self) -> int:
        return len(self.account_id)

    @classmethod
    def from_snapshots(cls, snapshots: pa.Table, ended: pa.Table | None = None) -> AccountTable:
        n = snapshots.num_rows
        created = epoch_seconds(snapshots.column("created_at"))
        first_seen = epoch_seconds(snapshots.column("first_seen_at"))
        first_post = epoch_seconds(snapshots.column("first_post_at"))
        appeared = np.where(created != NO_TIME, created, np.where(first_post != NO_TIME, first_post, first_seen))
        hours = np.array(snapshots.column("hour_counts").to_pylist() or np.zeros((0, 24)), dtype=np.float32).reshape(n, 24)
        totals = hours.sum(axis=1, keepdims=True)
        hour_profile = np.divide(hours, totals, out=np.zeros_like(hours), where=totals > 0)
        column = lambda name: snapshots.column(name).to_pylist()  # noqa: E731
        table = cls(
            platform=column("platform"),
            account_id=column("account_id"),
            handle=[h or "" for h in column("handle")],
            handles=[list(h or []) for h in column("handles")],
            display_name=[d or "" for d in column("display_name")],
            display_names=[list(d or []) for d in column("display_names")],
            bio=[b or "" for b in column("bio")],
            avatar_urls=[list(a or []) for a in column("avatar_urls")],
            avatar_hashes=[list(a or []) for a in column("avatar_hashes")] if "avatar_hashes" in snapshots.column_names else [[] for _ in range(n)],
            appeared_at=appeared,
            last_post_at=epoch_seconds(snapshots.column("last_post_at")),
            ended_at=np.full(n, NO_TIME, dtype=np.int64),
            end_kind=[None] * n,
            posts=np.asarray(snapshots.column("posts").to_numpy(zero_copy_only=False), dtype=np.int64),
            followers_count=np.asarray(snapshots.column("followers_count").fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64),
            hour_profile=hour_profile,
            hashtags=[frozenset(t or ()) for t in column("hashtags")],
            interacts_with=[frozenset(t or ()) for t in column("interacts_with")],
            text_sample=[t or "" for t in column("text_sample")],
            script=[],
            created_known=created != NO_TIME,
        )
        table.row_of = {(p, a): i for i, (p, a) in enumerate(zip(table.platform, table.account_id))}
        if ended is not None:
            table.mark_ended(ended)
        table._derive_keys()
        return table

    @property
    def silent(self) -> np.ndarray:
        """Rows presumed ended only because they fell silent (no suspension event)."""
        return np.fromiter((kind == "silent" for kind in self.end_kind), dtype=bool, count=len(self.end_kind))

    def known_only_by_id(self, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` have nothing but an id (and a time): no handle, name, bio,
        avatar, posts, follows or contacts. Nothing about them can be compared but time."""
        follows = bool(self.followees)
        return np.fromiter(
            (
                not (self.handle[r] or self.handles[r] or self.display_name[r] or self.display_names[r] or self.bio[r]
                     or self.avatar_urls[r] or self.posts[r] or self.interacts_with[r]
                     or (follows and (self.followees[r] or self.followers[r])))
                for r in np.asarray(rows).tolist()
            ),
            dtype=bool,
            count=len(rows),
        )

    def mark_ended(self, ended: pa.Table) -> None:
        times = epoch_seconds(ended.column("ended_at"))
        for platform, account_id, kind, when in zip(
            ended.column("platform").to_pylist(), ended.column("account_id").to_pylist(), ended.column("end_kind").to_pylist(), times
        ):
            row = self.row_of.get((platform, account_id))
            if row is not None:
                self.ended_at[row] = when
                self.end_kind[row] = kind

    def _derive_keys(self) -> None:
        self.handle_keys = [sorted({handle_skeleton(h) for h in [*hs, h0] if h}) for hs, h0 in zip(self.handles, self.handle)]
        self.name_keys = [sorted({name_skeleton(d) for d in [*ds, d0] if d} - {""}) for ds, d0 in zip(self.display_names, self.display_name)]
        self.bio_key = [normalize_text(b) for b in self.bio]
        self.script = [script_of(f"{d} {t[:400]}") for d, t in zip(self.display_name, self.text_sample)]
        self.style = style_vectors(self.text_sample)

    def attach_follows(self, edges: pa.Table) -> None:
        """Followee and follower sets of every account in the table."""
        followees: list[set[str]] = [set() for _ in range(len(self))]
        followers: list[set[str]] = [set() for _ in range(len(self))]
        platforms = edges.column("platform").to_pylist()
        sources = edges.column("source_account_id").to_pylist()
        targets = edges.column("target_account_id").to_pylist()
        row_of = self.row_of
        for platform, source, target in zip(platforms, sources, targets):
            row = row_of.get((platform, source))
            if row is not None:
                followees[row].add(target)
            row = row_of.get((platform, target))
            if row is not None:
                followers[row].add(source)
        self.followees = [frozenset(s) for s in followees]
        self.followers = [frozenset(s) for s in followers]

    def rows(self, keys: Iterable[tuple[str, str]]) -> np.ndarray:
        return np.array([self.row_of[k] for k in keys if k in self.row_of], dtype=np.int64)


def style_vectors(texts: list[str]) -> sparse.csr_matrix:
    """Writing style as L2-normalised TF-IDF of character 2-4-grams (hashed, so no vocabulary
    to store): shared spellings, emoji, signature phrases and hashtags all count. The IDF is
    fitted on the accounts compared, so words everyone uses weigh little."""
    hashing = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), n_features=STYLE_FEATURES, alternate_sign=False, norm=None, lowercase=True
    )
    counts = hashing.transform(normalize_text(t)[:6000] for t in texts)
    if counts.shape[0] == 0:
        return sparse.csr_matrix((0, STYLE_FEATURES), dtype=np.float32)
    weighted = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    return weighted.astype(np.float32).tocsr()
