"""The labelled posts the content classifier is trained and measured on, from ../shared/data.

=========================  ========  ==============================================================
set                        label     what, and what an "account" is
=========================  ========  ==============================================================
``isis-fanboy``            1         tweets of 112 pro-IS accounts (2015-16), read with
                                     hydrawatch's own Kaggle reader (its last record is a cut-short
                                     fragment, which the reader reports and skips). Accounts that
                                     share a display name are one person (abuayisha102/108) and
                                     form one group, so no person is in training and test at once
``osact``                  0         OSACT 2022 Arabic tweets labelled offensive, hate type,
                                     vulgar and violence. No author ids: rows are grouped in
                                     blocks of :data:`BLOCK` consecutive rows of one file.
                                     Rows were collected by query and time, so consecutive rows are
                                     the likeliest to share an author or thread; blocks keep such
                                     neighbours on one side of a split (conservative: at worst
                                     blocks are as good as random groups)
``lhsab``                  0         L-HSAB Levantine political tweets (normal, abusive, hate); no
                                     author ids either, grouped in blocks the same way
``ira``                    0         English tweets of 217 Internet Research Agency troll accounts
                                     (October 2016), grouped by ``author_id``
=========================  ========  ==============================================================

Labels are per account: every post of a pro-IS account is a positive, including its retweets of
news. That is the weak supervision the data allows; it is why the classifier scores *support
accounts' posts*, not a legal definition of propaganda.

Near-duplicates (:func:`deduplicate`): the same text posted by several accounts (retweets,
copy-paste campaigns, truncated copies) would put one text on both sides of an account split and
make held-out numbers look better than they are. Posts are keyed by their cleaned text (what the
model sees: no mentions, links, digits or punctuation), by its first :data:`KEY_WORDS` words and
by its last :data:`KEY_WORDS` words; posts sharing any key are one cluster (union-find), and
each cluster keeps one post per label, the first in file order. A cluster holding both labels
keeps one of each: that text is ambiguous in reality too, and keeping it can only lower scores.

Nothing here prints or logs post text; problems are reported by file and line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hydrawatch.core.errors import ConfigError
from hydrawatch.core.text import name_skeleton

from .content_features import clean_post

log = logging.getLogger(__name__)

#: Rows per pseudo-account for the sets without author ids.
BLOCK = 20
#: Words in the first-words and last-words near-duplicate keys.
KEY_WORDS = 8

POSITIVE_FILE = "isis-fanboy/IsisFanboy.csv"
OSACT_FILES = ("osact5-arabic-hate/train_data2022.csv", "osact5-arabic-hate/dev_data2022.csv")
LHSAB_FILE = "lhsab-levantine-hate/L-HSAB.tsv"
IRA_FILE = "ira-english-2016-10/tweets_2016-10_english_trolls.csv.gz"
SETS = ("isis-fanboy", "osact", "lhsab", "ira")


def default_data_dir() -> Path:
    """``../shared/data`` next to the repository this package is installed from (editable)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


@dataclass
class LabelledPosts:
    """Posts as parallel columns (100k posts: lists and arrays, not objects).

    ``tags`` are the data set's own labels of a post (``OFF``, ``HS3``, ``VIO``, ``hate``, ...)
    for per-label false-positive rates; ``ref`` is ``file:line`` for reports. ``authors`` is the
    post's real account where the data set names one (pro-IS and IRA posts) and None where it
    does not (OSACT, L-HSAB): a post is scored in context of its author's other posts only when
    the author is known (:meth:`~.content.ContentClassifier.predict_proba_in_context`); the
    pseudo-account *groups* of those sets are for splitting and never stand in for an author.
    """

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    tags: list[tuple[str, ...]] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    authors: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str, label: int, set_name: str, group: str, tags: tuple[str, ...], ref: str,
            author: str | None = None) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.sets.append(set_name)
        self.groups.append(group)
        self.tags.append(tags)
        self.refs.append(ref)
        self.authors.append(author)

    def subset(self, rows: Iterable[int]) -> LabelledPosts:
        rows = list(rows)
        return LabelledPosts(
            [self.texts[i] for i in rows], [self.labels[i] for i in rows], [self.sets[i] for i in rows],
            [self.groups[i] for i in rows], [self.tags[i] for i in rows], [self.refs[i] for i in rows],
            [self.authors[i] for i in rows],
        )

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=np.int8)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name in dict.fromkeys(self.sets):
            rows = [i for i, s in enumerate(self.sets) if s == name]
            out[name] = {"posts": len(rows), "groups": len({self.groups[i] for i in rows})}
        return out


@dataclass(frozen=True)
class DatasetFile:
    """Provenance of one input file: no content, just what identifies it."""

    set_name: str
    path: str
    sha256: str
    rows: int
    problems: int


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _require(data_dir: Path, relative: str) -> Path:
    path = data_dir / relative
    if not path.exists():
        raise ConfigError(
            f"training data not found: {path}. Point --data at the folder holding isis-fanboy/, "
            "osact5-arabic-hate/, lhsab-levantine-hate/ and ira-english-2016-10/ (see ../shared/data/README.md)"
        )
    return path


# --- readers --------------------------------------------------------------------------------------


def read_positives(data_dir: Path, posts: LabelledPosts) -> DatasetFile:
    """Pro-IS tweets through hydrawatch's Kaggle reader; groups merge accounts by display name."""
    from hydrawatch.core.model import Post, ProfileVersion
    from hydrawatch.sources.base import ProblemLog
    from hydrawatch.sources.kaggle import KaggleIsisSource

    path = _require(data_dir, POSITIVE_FILE)
    problems = ProblemLog()
    account_posts: list[Post] = []
    names: dict[str, set[str]] = {}
    for record in KaggleIsisSource().read(path, problems):
        if isinstance(record, Post):
            account_posts.append(record)
        elif isinstance(record, ProfileVersion) and record.display_name:
            names.setdefault(record.account_id, set()).add(name_skeleton(record.display_name) or record.account_id)
    for problem in problems.kept:
        log.info("skipped a bad record of the positive set: %s", problem)  # file, line, reason only
    group_of = _group_accounts_by_name(names)
    for post in account_posts:
        posts.add(post.text, 1, "isis-fanboy", "isis:" + group_of.get(post.account_id, post.account_id), (), f"{path.name}:{post.source.line}",
                  "isis:" + post.account_id)
    return DatasetFile("isis-fanboy", str(path), _digest(path), len(account_posts), problems.count)


def _group_accounts_by_name(names: dict[str, set[str]]) -> dict[str, str]:
    """Union-find: accounts sharing a display name (skeleton) are one group, named after the
    alphabetically first account."""
    parent = {account: account for account in names}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first_with_name: dict[str, str] = {}
    for account in sorted(names):
        for name in names[account]:
            if name in first_with_name:
                a, b = find(account), find(first_with_name[name])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_with_name[name] = account
    return {account: find(account) for account in names}


def read_osact(data_dir: Path, posts: LabelledPosts) -> list[DatasetFile]:
    files = []
    for relative in OSACT_FILES:
        path = _require(data_dir, relative)
        rows = problems = 0
        with path.open(encoding="utf-8", newline="") as stream:
            for row_number, row in enumerate(csv.DictReader(stream)):
                text = row.get("Tweet")
                if text is None:
                    problems += 1
                    continue
                tags = tuple(
                    value for value in (row.get("Offensive"), row.get("Hate"), row.get("Vulgar"), row.get("Violence"))
                    if value and not value.startswith("NOT_")
                ) or ("NOT_OFF",)
                group = f"osact:{path.stem}:{row_number // BLOCK}"
                posts.add(text, 0, "osact", group, tags, f"{path.name}:{row_number + 2}")
                rows += 1
        files.append(DatasetFile("osact", str(path), _digest(path), rows, problems))
    return files


def read_lhsab(data_dir: Path, posts: LabelledPosts) -> DatasetFile:
    path = _require(data_dir, LHSAB_FILE)
    rows = problems = 0
    with path.open(encoding="utf-8", errors="replace", newline="") as stream:
        reader = csv.reader(stream, delimiter="\t")
        next(reader, None)  # header Tweet<TAB>Class
        for row_number, row in enumerate(reader):
            if len(row) != 2 or row[1].strip() not in ("normal", "abusive", "hate"):
                problems += 1
                log.info("skipped a bad L-HSAB row at %s:%d", path.name, reader.line_num)
                continue
            posts.add(row[0], 0, "lhsab", f"lhsab:{row_number // BLOCK}", (row[1].strip(),), f"{path.name}:{reader.line_num}")
            rows += 1
    return DatasetFile("lhsab", str(path), _digest(path), rows, problems)


def read_ira(data_dir: Path, posts: LabelledPosts) -> DatasetFile:
    path = _require(data_dir, IRA_FILE)
    rows = problems = 0
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        for row_number, row in enumerate(csv.DictReader(stream)):
            author, text = row.get("author_id"), row.get("content")
            if not author or text is None:
                problems += 1
                continue
            kind = {"R": "retweet", "Q": "quote"}.get(row.get("post_type") or "", "original")
            posts.add(text, 0, "ira", f"ira:{author.lower()}", (kind,), f"{path.name}:{row_number + 2}", f"ira:{author.lower()}")
            rows += 1
    return DatasetFile("ira", str(path), _digest(path), rows, problems)


def load_labelled_posts(data_dir: Path | None = None) -> tuple[LabelledPosts, list[DatasetFile]]:
    """All four sets, in a fixed order (positives first). Raises ConfigError naming the missing
    file when a set is absent."""
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    posts = LabelledPosts()
    files = [read_positives(data_dir, posts), *read_osact(data_dir, posts), read_lhsab(data_dir, posts), read_ira(data_dir, posts)]
    return posts, files


# --- near-duplicates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupReport:
    before: dict[str, int]
    after: dict[str, int]
    clusters_with_both_labels: int
    empty_after_cleaning: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "posts_before": self.before,
            "posts_after": self.after,
            "clusters_with_both_labels": self.clusters_with_both_labels,
            "nothing_to_classify_after_cleaning": self.empty_after_cleaning,
        }


def near_duplicate_keys(clean_text: str) -> list[str]:
    """Keys under which two cleaned posts count as near-duplicates: the whole text, and for
    longer posts the first and the last :data:`KEY_WORDS` words (a truncated retweet shares the
    start, a copy with a different opening shares the end)."""
    if not clean_text:
        return []
    words = clean_text.split(" ")
    keys = ["=" + clean_text]
    if len(words) >= KEY_WORDS:
        keys.append("<" + " ".join(words[:KEY_WORDS]))
        keys.append(">" + " ".join(words[-KEY_WORDS:]))
    return keys


def deduplicate(posts: LabelledPosts, clean_texts: list[str]) -> tuple[LabelledPosts, list[str], DedupReport]:
    """Keep one post per near-duplicate cluster and label (see the module docstring). Posts with
    nothing left after cleaning are kept (the classifier skips them, which is a real outcome)."""
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, text in enumerate(clean_texts):
        for key in near_duplicate_keys(text):
            j = owner.setdefault(key, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    kept: list[int] = []
    seen: set[tuple[int, int]] = set()
    labels_of: dict[int, set[int]] = {}
    for i, text in enumerate(clean_texts):
        if not text:
            kept.append(i)
            continue
        root = find(i)
        labels_of.setdefault(root, set()).add(posts.labels[i])
        if (root, posts.labels[i]) not in seen:
            seen.add((root, posts.labels[i]))
            kept.append(i)
    report = DedupReport(
        before=dict(Counter(posts.sets)),
        after=dict(Counter(posts.sets[i] for i in kept)),
        clusters_with_both_labels=sum(1 for labels in labels_of.values() if len(labels) > 1),
        empty_after_cleaning=dict(Counter(s for s, t in zip(posts.sets, clean_texts) if not t)),
    )
    return posts.subset(kept), [clean_texts[i] for i in kept], report


def prepared_posts(data_dir: Path | None = None, max_chars: int = 2000) -> tuple[LabelledPosts, list[str], list[DatasetFile], DedupReport]:
    """Load, clean and deduplicate: what training and evaluation both start from."""
    posts, files = load_labelled_posts(data_dir)
    clean_texts = [clean_post(text, max_chars).text for text in posts.texts]
    posts, clean_texts, report = deduplicate(posts, clean_texts)
    return posts, clean_texts, files, report


def train_on_real_data(data_dir: Path | None = None, classifier=None):
    """Fit a :class:`~hydrawatch.signals.content.ContentClassifier` (default parameters unless
    one is given) on all four sets after near-duplicate removal; its ``trained_on_`` describes
    the data (files, digests, counts; no text)."""
    from .content import ContentClassifier
    from .content_eval import describe_data

    classifier = classifier or ContentClassifier()
    posts, clean_texts, files, dedup = prepared_posts(data_dir, classifier.features.max_chars)
    classifier.fit_vectors(classifier.vectorize(clean_texts), posts.labels, posts.groups, posts.authors)
    classifier.trained_on_ = describe_data(files, dedup, posts)
    return classifier
