"""Compose the per-post signals with the store and the review queue: promotions, threats and
known-content matches. Detectors (``hydrawatch.signals``) never touch the store; these functions
read posts in batches, run a detector, and turn its verdicts into rows or review cases.

Cases are one per subject account and type, so re-running updates open cases (their id is a
digest of type, platform and account; see :func:`hydrawatch.review.case_id_of`) and never
reopens one a person decided. Evidence cites the post (id, file and line of the export).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from hydrawatch.core.model import Case, Evidence, SourceRef

log = logging.getLogger(__name__)

#: Posts read from the store at a time.
BATCH = 10_000
#: Matched posts quoted as evidence per case (the rest are counted).
EVIDENCE_POSTS = 5


@dataclass(frozen=True, slots=True)
class StoredPost:
    platform: str
    post_id: str
    account_id: str
    username: str | None
    created_at: datetime | None
    text: str
    mentions: tuple[str, ...]
    source_file: str | None
    source_line: int | None


def store_posts(con: duckdb.DuckDBPyConnection, include_reposts: bool = False) -> Iterator[list[StoredPost]]:
    """Posts with their author's newest handle and the handles they mention, in batches."""
    repost_filter = "" if include_reposts else "WHERE p.kind <> 'repost'"
    cursor = con.execute(
        f"""
        WITH mentions AS (
            SELECT platform, post_id, list(value ORDER BY position) AS handles
            FROM entities WHERE kind = 'mention' AND value IS NOT NULL GROUP BY ALL
        )
        SELECT p.platform, p.post_id, p.account_id, coalesce(c.username, a.username), p.created_at, coalesce(p.text, ''),
               coalesce(m.handles, []), i.path, p.source_line
        FROM posts p
        LEFT JOIN mentions m USING (platform, post_id)
        LEFT JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id
        LEFT JOIN current_profiles c ON c.platform = p.platform AND c.account_id = p.account_id
        LEFT JOIN ingests i ON i.file_id = p.source_file
        {repost_filter}
        ORDER BY p.platform, p.created_at, p.post_id
        """
    )
    while rows := cursor.fetchmany(BATCH):
        yield [StoredPost(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), r[7], r[8]) for r in rows]


def _source(post: StoredPost) -> SourceRef | None:
    return SourceRef(post.source_file, post.source_line) if post.source_file else None


# --- promotions ---------------------------------------------------------------------------------


def promotion_rows(posts: Iterator[list[StoredPost]], threshold: float | None = None) -> Iterator[dict]:
    """One row per promotion post: who promotes which handle(s), the cues, the score.
    A post naming no account promotes its author ("I'm back, this is my new account")."""
    from hydrawatch.signals.promotion import DEFAULT_THRESHOLD, VERSION, score_promotion

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    for batch in posts:
        for post in batch:
            verdict = score_promotion(post.text, list(post.mentions) if post.mentions else None)
            if not verdict.is_promotion(threshold):
                continue
            promoted = [h for h in verdict.handles if h != (post.username or "").lower()] or ([post.username or post.account_id] if verdict.announces_self else [])
            if not promoted:
                continue
            yield {"platform": post.platform, "post_id": post.post_id, "account_id": post.account_id,
                   "username": post.username, "created_at": post.created_at, "promoted": promoted,
                   "self_announcement": verdict.announces_self, "score": verdict.score,
                   "cues": list(verdict.cues), "version": VERSION}


# --- threats ---------------------------------------------------------------------------------------


@dataclass
class _Found:
    best: float = 0.0
    posts: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)
    username: str | None = None


def threat_cases(posts: Iterator[list[StoredPost]], threshold: float | None = None) -> tuple[list[Case], dict[str, str], dict[str, str]]:
    """``threat`` cases, one per account that posted at least one threat, with the threatening
    posts as evidence. Returns cases, subject labels and summaries for :meth:`ReviewStore.upsert`."""
    from hydrawatch.review import CaseType, case_id_of
    from hydrawatch.signals.threat import DEFAULT_THRESHOLD, SIGNAL, VERSION, score_threat

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    found: dict[tuple[str, str], _Found] = {}
    for batch in posts:
        for post in batch:
            verdict = score_threat(post.text, list(post.mentions) if post.mentions else None)
            if not verdict.is_threat(threshold):
                continue
            entry = found.setdefault((post.platform, post.account_id), _Found(username=post.username))
            entry.posts += 1
            entry.best = max(entry.best, verdict.score)
            entry.targets.add(verdict.target)
            if len(entry.evidence) < EVIDENCE_POSTS:
                cues = "; ".join(f'{cue} "{words}"' for cue, words in verdict.cues)
                entry.evidence.append(Evidence(SIGNAL, f"post {post.post_id} ({verdict.target or 'no target'}): {cues}",
                                               post.post_id, verdict.score, _source(post)))
    return _cases(found, CaseType.THREAT.value, VERSION, "threat", lambda e: f"{e.posts} threatening post(s), target: {', '.join(sorted(t or 'unclear' for t in e.targets))}", case_id_of)


def _cases(found: dict[tuple[str, str], _Found], case_type: str, version: str, detector: str, describe, case_id_of):
    now = datetime.now(UTC)
    cases, labels, summaries = [], {}, {}
    for (platform, account_id), entry in found.items():
        evidence = list(entry.evidence)
        if entry.posts > len(evidence):
            evidence.append(Evidence(detector, f"... and {entry.posts - len(evidence)} more", entry.posts))
        case = Case(case_type, platform, account_id, round(entry.best, 4), detector, version, now, tuple(evidence))
        cases.append(case)
        label = f"@{entry.username}" if entry.username else account_id
        labels[account_id] = label
        summaries[case_id_of(case)] = f"{label}: {describe(entry)}"
    return cases, labels, summaries


# --- known content -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankMatch:
    platform: str
    account_id: str
    username: str | None
    item: str  # post id, or picture URL
    item_kind: str  # "post" or "picture"
    signal_type: str
    similarity: float  # estimated Jaccard (text), 1 - distance/256 (PDQ)
    distance: int | None
    tags: str
    bank_source: str
    source: SourceRef | None = None

    def evidence(self) -> Evidence:
        closeness = f"PDQ distance {self.distance}" if self.distance is not None else f"text similarity {self.similarity:.2f}"
        tags = f" [{self.tags}]" if self.tags else ""
        return Evidence(f"bank_{self.signal_type}", f"{self.item_kind} {self.item} matches a known item from {self.bank_source}{tags} ({closeness})",
                        self.item, round(self.similarity, 4), self.source)


def bank_matches(con: duckdb.DuckDBPyConnection, bank, text_threshold: float | None = None,
                 pdq_threshold: int | None = None) -> Iterator[BankMatch]:
    """Posts and pictures of the store that match the bank: every post's text (reposts
    included: re-sharing known content spreads it), every PDQ hash in ``media_hashes`` whose
    URL is a profile picture or a post's media/link."""
    from hydrawatch.signals.banks import DEFAULT_TEXT_THRESHOLD, PDQ, TEXT_MINHASH
    from hydrawatch.signals.media import DEFAULT_THRESHOLD

    text_threshold = DEFAULT_TEXT_THRESHOLD if text_threshold is None else text_threshold
    pdq_threshold = DEFAULT_THRESHOLD if pdq_threshold is None else pdq_threshold
    counts = bank.counts()
    if counts[TEXT_MINHASH]:
        for batch in store_posts(con, include_reposts=True):
            for post in batch:
                for entry, similarity in bank.match_text(post.text, text_threshold):
                    yield BankMatch(post.platform, post.account_id, post.username, post.post_id, "post", TEXT_MINHASH,
                                    similarity, None, entry.tags, entry.source, _source(post))
    if counts[PDQ]:
        rows = con.execute(
            """
            WITH hashed AS (SELECT url, hash FROM media_hashes WHERE signal = 'pdq' AND hash IS NOT NULL),
                 users AS (
                    SELECT DISTINCT platform, account_id, avatar_url AS url FROM profiles WHERE avatar_url IS NOT NULL
                    UNION
                    SELECT DISTINCT p.platform, p.account_id, e.value FROM entities e
                    JOIN posts p ON p.platform = e.platform AND p.post_id = e.post_id
                 )
            SELECT u.platform, u.account_id, coalesce(c.username, a.username), h.url, h.hash
            FROM hashed h JOIN users u USING (url)
            LEFT JOIN accounts a ON a.platform = u.platform AND a.account_id = u.account_id
            LEFT JOIN current_profiles c ON c.platform = u.platform AND c.account_id = u.account_id
            ORDER BY 1, 2, 4
            """
        ).fetchall()
        for platform, account_id, username, url, pdq in rows:
            for entry, distance in bank.match_pdq(pdq, pdq_threshold):
                yield BankMatch(platform, account_id, username, url, "picture", PDQ, 1.0 - distance / 256, distance, entry.tags, entry.source)


def known_content_cases(matches: Iterator[BankMatch]) -> tuple[list[Case], dict[str, str], dict[str, str]]:
    """``known_content`` cases, one per account with matches; probability = closest match."""
    from hydrawatch.review import CaseType, case_id_of
    from hydrawatch.signals.banks import VERSION

    found: dict[tuple[str, str], _Found] = {}
    for match in matches:
        entry = found.setdefault((match.platform, match.account_id), _Found(username=match.username))
        entry.posts += 1
        entry.best = max(entry.best, match.similarity)
        entry.targets.add(match.item_kind)
        if len(entry.evidence) < EVIDENCE_POSTS:
            entry.evidence.append(match.evidence())
    return _cases(found, CaseType.KNOWN_CONTENT.value, VERSION, "banks", lambda e: f"{e.posts} match(es) with known content ({', '.join(sorted(e.targets))})", case_id_of)
