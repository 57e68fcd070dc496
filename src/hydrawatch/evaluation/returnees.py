"""Measure and train the returnee detector on simulated worlds with known truth.

A world is generated (``hydrawatch.synth``), ingested into its own store, and read back
through the same path as real data. Truth (``truth/accounts.csv``) says which account each
returnee replaced. Metrics:

* **matching**: for each ended account with a true successor, the reciprocal rank of that
  successor among its candidates (0 when it was not even a candidate); mean = MRR, overall and
  per handle-mutation kind;
* **detection**: is a later account the return of *any* ended account? precision and recall at
  the threshold, with the false positives broken down by what they really are (look-alike
  decoys, parodies, ordinary sign-ups, new network recruits, ...);
* **calibration**: a reliability table (predicted vs observed rate per probability bin).

Worlds are cached under a folder by seed and size, so re-running is cheap.
"""

from __future__ import annotations

import csv
import time
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hydrawatch.evasion.accounts import NO_TIME, AccountTable
from hydrawatch.evasion.candidates import Candidates
from hydrawatch.evasion.detect import ReturneeConfig, ReturneeResult, find_returnees
from hydrawatch.evasion.features import pair_features
from hydrawatch.evasion.promotions import PromotionLink
from hydrawatch.evasion.ranker import ReturneeRanker
from hydrawatch.ingest import ingest_paths
from hydrawatch.pipeline import returnee_accounts
from hydrawatch.store.duck import Store
from hydrawatch.store.schema import SCHEMA_VERSION
from hydrawatch.synth import WorldConfig, generate
from hydrawatch.synth.world import WORLD_VERSION

log = logging.getLogger(__name__)

PLATFORM = "twitter"


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """A simulated world and how much of it the store sees: ``view="full"`` loads tweets,
    compliance events and follows; ``view="tweets"`` loads tweets only, like an export of
    collected tweets (no suspensions named, no follow graph: accounts that fall silent are
    the presumed suspensions); ``view="sample"`` loads a random fifth of the tweets, like a
    keyword or sample collection (the Kaggle set), where an account's last seen post can be
    days before its suspension; ``view="export"`` loads the tweets without any account's
    creation time (every user object's ``created_at`` removed), like an export of collected
    posts that keeps only handles, names and bios (the Kaggle set): an account appears at its
    first post, and a returnee's first post can be days or weeks after the old account's last;
    ``view="bare"``: the export view without profile pictures either (no ``profile_image_url``:
    the Kaggle CSV has none); ``view="minimal"``: only what a CSV of tweets keeps (handle,
    display name, post time and text: the Kaggle CSV, which has no bios either);
    ``view="minimal-sample"``: the minimal view of a fifth of the tweets (the Kaggle set is both:
    a collection of some of each account's posts, and nothing but the posts)."""

    seed: int
    accounts: int = 20_000
    network: int = 600
    days: int = 120
    view: str = "full"

    @property
    def world_name(self) -> str:
        return f"world-s{self.seed}-a{self.accounts}-n{self.network}-d{self.days}-v{WORLD_VERSION}"

    @property
    def name(self) -> str:
        return self.world_name if self.view == "full" else f"{self.world_name}-{self.view}"

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown world view {self.view!r}: one of {', '.join(VIEWS)}")


SAMPLE_FRACTION = 0.2
#: The minimal views keep what a CSV of tweets keeps (handle, display name, post time and text,
#: like the Kaggle IsisFanboy export): no creation times, pictures, bios, profile links or counts.
MINIMAL = ("created_at", "profile_image_url", "description", "url", "public_metrics")
#: Each view of the tweets file: the share of its lines kept and the fields removed from every
#: user object. "full" loads the whole world folder (follows and compliance events too).
VIEWS: dict[str, tuple[float, tuple[str, ...]]] = {
    "full": (1.0, ()),
    "tweets": (1.0, ()),
    "sample": (SAMPLE_FRACTION, ()),
    "export": (1.0, ("created_at",)),
    "bare": (1.0, ("created_at", "profile_image_url")),
    "minimal": (1.0, MINIMAL),
    "minimal-sample": (SAMPLE_FRACTION, MINIMAL),
}


@dataclass
class PreparedWorld:
    spec: WorldSpec
    folder: Path
    store_path: Path
    truth: dict[str, dict[str, str]]  # account_id -> truth row


def prepare_world(spec: WorldSpec, cache: Path) -> PreparedWorld:
    """Generate and ingest a world (once; cached by spec)."""
    folder = cache / spec.world_name
    store_path = cache / f"{spec.name}.duckdb"
    done = cache / f"{spec.name}.ready"
    stamp = f"store schema {SCHEMA_VERSION}\n"
    if not done.exists() or done.read_text() != stamp:
        log.info("preparing %s", spec.name)
        if not (folder / "truth" / "summary.json").exists():
            generate(WorldConfig(seed=spec.seed, accounts=spec.accounts, network=spec.network, days=spec.days), folder)
        store_path.unlink(missing_ok=True)
        inputs = [folder] if spec.view == "full" else sorted(folder.glob("tweets.jsonl*"))
        fraction, drop = VIEWS[spec.view]
        if fraction < 1.0 or drop:
            inputs = [_tweets_view(inputs[0], cache / f"{spec.name}.jsonl", fraction, drop)]
        with Store(store_path) as store:
            summary = ingest_paths(store, inputs)
            if summary.failed:
                raise RuntimeError(f"ingest of {folder} failed: {[f.message for f in summary.failed]}")
            _load_avatar_hashes(store, folder, cache / f"{spec.world_name}.avatars.csv")
        done.write_text(stamp)
    return PreparedWorld(spec, folder, store_path, load_truth(folder))



def _load_avatar_hashes(store: Store, folder: Path, hashes_csv: Path) -> None:
    """Hash every avatar of the world once (through the simulated platform's picture server,
    signals.imagesynth), keep the hashes next to the cached world, and load them into the store."""
    from hydrawatch.pipeline import hash_avatars
    from hydrawatch.signals.imagesynth import SyntheticAvatarFetcher

    if not hashes_csv.exists():
        fetcher = SyntheticAvatarFetcher.from_world(folder)
        hash_avatars(store, fetcher, urls=sorted(fetcher.image_keys))
        store.con.execute(f"COPY (SELECT url, signal, hash, quality FROM media_hashes) TO '{hashes_csv}' (HEADER)")
        return
    store.con.execute(
        f"INSERT INTO media_hashes SELECT url, signal, hash, quality, now() FROM read_csv('{hashes_csv}', header=true, "
        "columns={'url': 'VARCHAR', 'signal': 'VARCHAR', 'hash': 'VARCHAR', 'quality': 'INTEGER'})"
    )


def _tweets_view(source: Path, target: Path, fraction: float = 1.0, drop: tuple[str, ...] = ()) -> Path:
    """A view of a tweets file, in one pass: a deterministic sample of its lines (a line is kept
    when a stable hash of its bytes falls below ``fraction``), and ``drop`` removed from every
    user object of each line (the author, the replied-to user, and both of each referenced
    tweet); the posts' own times and everything else kept."""
    import hashlib

    import orjson

    from hydrawatch.sources.base import open_binary

    def strip(user) -> None:
        if isinstance(user, dict):
            for name in drop:
                user.pop(name, None)

    with open_binary(source) as lines, open(target, "wb") as out:
        for line in lines:
            if fraction < 1.0 and int.from_bytes(hashlib.blake2b(line, digest_size=4).digest(), "little") >= fraction * 2**32:
                continue
            if not drop:
                out.write(line)
                continue
            if not line.strip():
                continue
            tweet = orjson.loads(line)
            for holder in (tweet, *(ref for ref in tweet.get("referenced_tweets") or () if isinstance(ref, dict))):
                strip(holder.get("author"))
                strip(holder.get("in_reply_to_user"))
            out.write(orjson.dumps(tweet) + b"\n")
    return target


def load_truth(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "truth" / "accounts.csv", newline="", encoding="utf-8") as handle:
        return {row["account_id"]: row for row in csv.DictReader(handle)}


@dataclass
class LabelledPairs:
    X: np.ndarray
    y: np.ndarray  # 1: the child is the parent's direct successor
    same_person: np.ndarray  # same actor (direct or not)
    candidates: Candidates


def labels(table: AccountTable, candidates: Candidates, truth: dict[str, dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(len(candidates), dtype=np.int32)
    same = np.zeros(len(candidates), dtype=bool)
    for i, (p, c) in enumerate(zip(candidates.parent.tolist(), candidates.child.tolist())):
        old, new = truth.get(table.account_id[p]), truth.get(table.account_id[c])
        if old is None or new is None:
            continue
        y[i] = new.get("predecessor_id") == table.account_id[p]
        same[i] = old.get("person_id") == new.get("person_id") and bool(old.get("person_id"))
    return y, same


def world_pairs(world: PreparedWorld, config: ReturneeConfig = ReturneeConfig()) -> tuple[AccountTable, list[PromotionLink], LabelledPairs]:
    from hydrawatch.evasion.candidates import generate as generate_candidates
    from hydrawatch.evasion.promotions import as_triples

    with Store(world.store_path, read_only=True) as store:
        table, promotions = returnee_accounts(store, config)
    parents = np.flatnonzero(table.ended_at != NO_TIME)
    candidates = generate_candidates(table, parents, config.candidates, as_triples(promotions))
    X = pair_features(table, candidates, promotions)
    y, same = labels(table, candidates, world.truth)
    return table, promotions, LabelledPairs(X, y, same, candidates)


def train_ranker(worlds: list[PreparedWorld], config: ReturneeConfig = ReturneeConfig(), feedback=None,
                 bags: int = 1) -> ReturneeRanker:
    """Fit on every world's candidate pairs. Pairs of the same actor that are not direct
    successions (a grandparent and grandchild) are left out: neither a return nor a stranger.
    ``feedback``: moderators' decided pairs (:class:`~hydrawatch.evaluation.feedback.FeedbackPairs`),
    added as extra labelled pairs. ``bags``: boosters averaged over seeds (``ReturneeRanker(bags=)``)."""
    Xs, ys, groups = [], [], []
    for index, world in enumerate(worlds):
        _, _, pairs = world_pairs(world, config)
        keep = ~(pairs.same_person & (pairs.y == 0))
        Xs.append(pairs.X[keep])
        ys.append(pairs.y[keep])
        # calibration folds by (world, parent): a parent's candidates stay together
        groups.append(index * 10_000_000 + pairs.candidates.parent[keep])
    _add_feedback(Xs, ys, groups, feedback, len(worlds))
    return ReturneeRanker(bags=bags).fit(np.vstack(Xs), np.concatenate(ys), np.concatenate(groups))


def _add_feedback(Xs: list, ys: list, groups: list, feedback, worlds: int, mask=None) -> None:
    """Append decided pairs, each its own calibration group (after every world's groups)."""
    if feedback is None or not len(feedback):
        return
    X = feedback.X.copy()
    if mask is not None:
        X[:, ~mask] = np.nan
    Xs.append(X)
    ys.append(feedback.y)
    groups.append(worlds * 10_000_000 + np.arange(len(feedback.y)))


@dataclass
class Report:
    world: str
    true_returns: int
    mrr: float
    mrr_by_kind: dict[str, float]
    mrr_observable: float
    candidate_recall: float
    threshold: float
    precision: float
    recall: float
    false_positives_by_kind: dict[str, int]
    flagged: int
    reliability: list[dict] = field(default_factory=list)
    returns_by_kind: dict[str, int] = field(default_factory=dict)
    true_flags: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def pooled(reports: list[dict], target: float = 0.98) -> dict:
    """Several worlds' reports (:meth:`Report.as_dict`) as one: MRR over every true return of
    every world (each world weighs by its returns), per kind likewise, detection precision and
    recall over the pooled flags; with the lowest and highest per-world MRR and how many worlds
    fall below ``target`` on their own."""
    returns = sum(r["true_returns"] for r in reports)
    kinds = sorted({k for r in reports for k in r["returns_by_kind"]})
    by_kind = {}
    for kind in kinds:
        n = sum(r["returns_by_kind"].get(kind, 0) for r in reports)
        by_kind[kind] = sum(r["mrr_by_kind"].get(kind, 0.0) * r["returns_by_kind"].get(kind, 0) for r in reports) / n if n else float("nan")
    flagged = sum(r["flagged"] for r in reports)
    true_flags = sum(r["true_flags"] for r in reports)
    per_world = [r["mrr"] for r in reports]
    return {
        "worlds": len(reports),
        "true_returns": returns,
        "mrr": sum(r["mrr"] * r["true_returns"] for r in reports) / returns if returns else float("nan"),
        "mrr_by_kind": by_kind,
        "candidate_recall": sum(r["candidate_recall"] * r["true_returns"] for r in reports) / returns if returns else float("nan"),
        "precision": true_flags / flagged if flagged else float("nan"),
        "recall": true_flags / returns if returns else float("nan"),
        "mrr_lowest_world": min(per_world) if per_world else float("nan"),
        "mrr_highest_world": max(per_world) if per_world else float("nan"),
        f"worlds_below_{target:g}": sum(m < target for m in per_world),
    }


def evaluate(world: PreparedWorld, ranker: ReturneeRanker, config: ReturneeConfig = ReturneeConfig(), parents_filter: str = "all") -> tuple[Report, ReturneeResult]:
    """Run detection on a world and score it against truth. ``parents_filter``: ``all``
    ended accounts, or ``network`` (the analyst's list of known network accounts: truth's
    network group stands in for it), which turns spam evaders into decoys."""
    with Store(world.store_path, read_only=True) as store:
        table, promotions = returnee_accounts(store, config)
    truth = world.truth
    parents = np.flatnonzero(table.ended_at != NO_TIME)
    if parents_filter == "network":
        parents = np.array([p for p in parents.tolist() if truth.get(table.account_id[p], {}).get("group") == "network"], dtype=np.int64)
    result = find_returnees(table, ranker, promotions, config, parents=parents)
    return score(world.spec.name, table, result, truth, parents, config.threshold), result


def _kind(row: dict[str, str] | None) -> str:
    if row is None:
        return "unknown"
    if row.get("generation") not in ("", "0", None):
        return f"{row['group']} returnee"
    joined = row.get("joined", "")
    if joined in ("signup", "recruit"):
        return f"{row['group']} {joined}"
    return row.get("group") or "unknown"


def score(name: str, table: AccountTable, result: ReturneeResult, truth: dict, parents: np.ndarray, threshold: float) -> Report:
    parent_set = set(parents.tolist())
    # True successions whose old account is among the parents.
    successor: dict[int, tuple[int, str]] = {}
    for account_id, row in truth.items():
        predecessor = row.get("predecessor_id")
        if not predecessor:
            continue
        old, new = table.row_of.get((PLATFORM, predecessor)), table.row_of.get((PLATFORM, account_id))
        if old is None or new is None or old not in parent_set:
            continue
        successor[old] = (new, row.get("mutation") or "unknown")
    ranks: dict[int, int] = {}
    for old, (new, _) in successor.items():
        best = result.best_for_old(old)
        same_actor_other = {c for c, _ in best if c != new and truth.get(table.account_id[c], {}).get("person_id") == truth.get(table.account_id[old], {}).get("person_id")}
        ordered = [c for c, _ in best if c not in same_actor_other]
        ranks[old] = ordered.index(new) + 1 if new in ordered else 0
    reciprocal = {old: (1.0 / r if r else 0.0) for old, r in ranks.items()}
    by_kind: defaultdict[str, list[float]] = defaultdict(list)
    for old, (_, kind) in successor.items():
        by_kind[kind].append(reciprocal[old])
    observable = [reciprocal[old] for old, (new, _) in successor.items() if _observable(table, old) and _observable(table, new)]

    # Detection: every later account that is a candidate of some parent.
    scores = result.returnee_score()
    flagged = {c for c, p in scores.items() if p >= threshold}
    positives = {new for new, _ in successor.values()}
    true_flags = flagged & positives
    false_kinds: defaultdict[str, int] = defaultdict(int)
    for child in flagged - positives:
        false_kinds[_kind(truth.get(table.account_id[child]))] += 1
    reliability = _reliability(result, table, truth)
    return Report(
        world=name,
        true_returns=len(successor),
        mrr=float(np.mean(list(reciprocal.values()))) if reciprocal else float("nan"),
        mrr_by_kind={k: float(np.mean(v)) for k, v in sorted(by_kind.items())},
        mrr_observable=float(np.mean(observable)) if observable else float("nan"),
        candidate_recall=float(np.mean([r > 0 for r in ranks.values()])) if ranks else float("nan"),
        threshold=threshold,
        precision=len(true_flags) / len(flagged) if flagged else float("nan"),
        recall=len(true_flags) / len(positives) if positives else float("nan"),
        false_positives_by_kind=dict(sorted(false_kinds.items())),
        flagged=len(flagged),
        reliability=reliability,
        returns_by_kind={k: len(v) for k, v in sorted(by_kind.items())},
        true_flags=len(true_flags),
    )


def _observable(table: AccountTable, row: int) -> bool:
    """Whether anything about the account is known beyond its id."""
    return bool(table.handle[row] or table.posts[row] or table.followees[row] or table.followers[row])


def _reliability(result: ReturneeResult, table: AccountTable, truth: dict, bins: int = 10) -> list[dict]:
    """Predicted probability against the observed rate of returns, per bin. Pairs of one actor
    that are not a direct succession (grandparent, grandchild) are neither and left out."""
    y, same = labels(table, result.candidates, truth)
    keep = ~(same & (y == 0))
    rows = []
    edges = np.linspace(0, 1, bins + 1)
    for low, high in zip(edges[:-1], edges[1:]):
        inside = keep & (result.probability >= low) & ((result.probability < high) | (high == 1.0))
        if inside.any():
            rows.append({"bin": f"{low:.1f}-{high:.1f}", "pairs": int(inside.sum()), "predicted": float(result.probability[inside].mean()), "observed": float(y[inside].mean())})
    return rows


# --- the online (sign-up time) matcher ---------------------------------------------------

def _signup_pairs(pairs: LabelledPairs) -> np.ndarray:
    """Pairs the online index can find (shared handle, name or avatar key)."""
    from hydrawatch.evasion.candidates import Source

    return (pairs.candidates.sources & (Source.HANDLE | Source.NAME | Source.AVATAR)) > 0


def train_signup_ranker(worlds: list[PreparedWorld], config: ReturneeConfig = ReturneeConfig(), feedback=None) -> ReturneeRanker:
    """A ranker that sees only what is known at sign-up (see evasion.online.SIGNUP_FEATURES);
    ``feedback`` as for :func:`train_ranker`, reduced to the sign-up features."""
    from hydrawatch.evasion.online import SIGNUP_MASK

    Xs, ys, groups = [], [], []
    for index, world in enumerate(worlds):
        _, _, pairs = world_pairs(world, config)
        keep = ~(pairs.same_person & (pairs.y == 0)) & _signup_pairs(pairs)
        X = pairs.X[keep].copy()
        X[:, ~SIGNUP_MASK] = np.nan
        Xs.append(X)
        ys.append(pairs.y[keep])
        groups.append(index * 10_000_000 + pairs.candidates.parent[keep])
    _add_feedback(Xs, ys, groups, feedback, len(worlds), SIGNUP_MASK)
    return ReturneeRanker().fit(np.vstack(Xs), np.concatenate(ys), np.concatenate(groups))


def identities_of(table: AccountTable, rows) -> list:
    from hydrawatch.evasion.online import Identity

    return [
        Identity(table.platform[r], table.account_id[r], tuple(h for h in {*table.handles[r], table.handle[r]} if h),
                 tuple(d for d in {*table.display_names[r], table.display_name[r]} if d), table.bio[r],
                 tuple(table.avatar_urls[r]), float(table.ended_at[r]), tuple(table.avatar_hashes[r]))
        for r in rows
    ]


def new_account_of(table: AccountTable, row: int):
    from hydrawatch.evasion.online import NewAccount

    avatar = table.avatar_urls[row][0] if table.avatar_urls[row] else ""
    picture = table.avatar_hashes[row][0] if table.avatar_hashes[row] else ""
    return NewAccount(table.platform[row], table.account_id[row], table.handle[row], table.display_name[row],
                      table.bio[row], avatar, float(table.appeared_at[row]), picture)


def evaluate_online(world: PreparedWorld, ranker: ReturneeRanker | None, threshold: float = 0.5) -> dict:
    """Replay the world as a stream: every ended account enters the matcher, every later
    account is queried once; scored like batch detection (precision and recall of "is a
    returnee", and the reciprocal rank of the true predecessor)."""
    from hydrawatch.evasion.online import OnlineMatcher

    with Store(world.store_path, read_only=True) as store:
        table, _ = returnee_accounts(store)
    truth = world.truth
    ended = np.flatnonzero(table.ended_at != NO_TIME)
    matcher = OnlineMatcher(ranker=ranker)
    matcher.add_many(identities_of(table, ended.tolist()))
    from hydrawatch.evasion.candidates import CandidateConfig, eligible_children

    children = eligible_children(table, ended, CandidateConfig())
    flagged, positives, reciprocal, latencies = set(), set(), [], []
    for row in children.tolist():
        account = new_account_of(table, row)
        started = time.perf_counter()
        matches = matcher.query(account) if account.handle or account.display_name else []
        latencies.append(time.perf_counter() - started)
        predecessor = truth.get(table.account_id[row], {}).get("predecessor_id")
        is_return = bool(predecessor) and (PLATFORM, predecessor) in table.row_of and table.ended_at[table.row_of[(PLATFORM, predecessor)]] != NO_TIME
        if is_return:
            positives.add(row)
            ids = [m.old_account_id for m in matches]
            reciprocal.append(1.0 / (ids.index(predecessor) + 1) if predecessor in ids else 0.0)
        if matches and matches[0].probability >= threshold:
            flagged.add(row)
    true_flags = flagged & positives
    latencies_ms = np.array(latencies) * 1000
    return {
        "world": world.spec.name,
        "identities": len(matcher),
        "queries": len(children),
        "precision": len(true_flags) / len(flagged) if flagged else float("nan"),
        "recall": len(true_flags) / len(positives) if positives else float("nan"),
        "mrr": float(np.mean(reciprocal)) if reciprocal else float("nan"),
        "p50_ms": float(np.percentile(latencies_ms, 50)) if len(latencies_ms) else 0.0,
        "p99_ms": float(np.percentile(latencies_ms, 99)) if len(latencies_ms) else 0.0,
    }
