"""Batch returnee detection: ended accounts -> candidates -> calibrated scores -> matches with
evidence -> lineages (one person's chain of accounts).

Humans decide: a match is a proposal with its probability and the evidence behind it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from hydrawatch.core.model import Evidence

from .accounts import NO_TIME, AccountTable
from .assignment import soft_assignment
from .candidates import CandidateConfig, Candidates, generate
from .features import FEATURE_NAMES, candidate_sources, describe, pair_features
from .promotions import PromotionLink, as_triples
from .ranker import MODEL_VERSION, ReturneeRanker

DEFAULT_THRESHOLD = 0.5
DETECTOR = "returnee"


def default_model_path() -> Path:
    return Path(str(resources.files("hydrawatch.evasion") / "models" / "returnee-ranker.json.xz"))


def load_default_ranker() -> ReturneeRanker:
    path = default_model_path()
    if not path.exists():
        raise FileNotFoundError(f"no trained returnee model at {path}; train one: hydrawatch train returnees")
    return ReturneeRanker.load(path)


@dataclass(frozen=True, slots=True)
class ReturneeConfig:
    """``threshold``: the calibrated probability from which a pair is reported as a return;
    ``candidates``: how wide to look (see CandidateConfig)."""

    threshold: float = DEFAULT_THRESHOLD
    candidates: CandidateConfig = field(default_factory=CandidateConfig)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold must be a probability strictly between 0 and 1")


@dataclass(frozen=True, slots=True)
class Match:
    """An ended account (``old``) and the account believed to be its return (``new``)."""

    old: int
    new: int
    probability: float
    rank: int  # 1 = the best candidate for the old account (by assignment share, see ReturneeResult)
    evidence: tuple[Evidence, ...]


@dataclass
class Lineage:
    """One actor's accounts in order, each the return of the one before."""

    identity_id: str
    rows: list[int]
    probabilities: list[float]  # of each link (len(rows) - 1)
    hours_to_return: list[float | None]
    followers: list[int]  # latest known follower count of each account

    @property
    def follower_recovery(self) -> list[float | None]:
        """Followers of each account over those of the one before (how much of its audience
        a return won back)."""
        return [new / old if old else None for old, new in zip(self.followers, self.followers[1:])]


@dataclass
class ReturneeResult:
    table: AccountTable
    candidates: Candidates
    features: np.ndarray
    probability: np.ndarray  # per candidate pair
    matches: list[Match]  # accepted links: each old account at most one successor and vice versa
    lineages: list[Lineage]
    raw_score: np.ndarray | None = None  # the ranker's uncalibrated score per pair: breaks ties of probability
    share: np.ndarray | None = None  # per pair, its share of the soft one-to-one assignment (evasion.assignment)

    def best_for_old(self, row: int) -> list[tuple[int, float]]:
        """Candidates of an ended account, best first: by their share of the soft one-to-one
        assignment (a candidate that other ended accounts claim more strongly goes down), then
        by probability and raw score. The probabilities given are the pair's own."""
        chosen = np.flatnonzero(self.candidates.parent == row)
        order = chosen[_best_first(self.probability[chosen], _part(self.raw_score, chosen), _part(self.share, chosen))]
        return [(int(self.candidates.child[i]), float(self.probability[i])) for i in order]

    def returnee_score(self) -> dict[int, float]:
        """For every later account that is a candidate: its highest probability of being a
        return of some ended account (the detection score)."""
        scores: dict[int, float] = {}
        for child, p in zip(self.candidates.child.tolist(), self.probability.tolist()):
            if p > scores.get(child, -1.0):
                scores[child] = p
        return scores


def find_returnees(
    table: AccountTable,
    ranker: ReturneeRanker | None = None,
    promotions: list[PromotionLink] | None = None,
    config: ReturneeConfig = ReturneeConfig(),
    parents: np.ndarray | None = None,
    evidence_for: str = "matches",
) -> ReturneeResult:
    """Score every candidate pair for ``parents`` (default: every ended account)."""
    ranker = ranker or load_default_ranker()
    if parents is None:
        parents = np.flatnonzero(table.ended_at != NO_TIME)
    candidates = generate(table, parents, config.candidates, as_triples(promotions or []))
    X = pair_features(table, candidates, promotions)
    raw_score = ranker.raw_proba(X) if len(X) else np.zeros(0)
    probability = ranker.calibrate(raw_score) if len(X) else np.zeros(0)
    share = soft_assignment(candidates.parent, candidates.child, probability)
    matches = _assign(table, candidates, X, probability, ranker, promotions or [], config.threshold, raw_score, share)
    return ReturneeResult(table, candidates, X, probability, matches, lineages(table, matches), raw_score, share)


def _part(values: np.ndarray | None, chosen: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[chosen]


def _order_keys(probability: np.ndarray, raw_score: np.ndarray | None, share: np.ndarray | None) -> list[np.ndarray]:
    """``np.lexsort`` keys (the last is the first criterion): assignment share when given,
    then probability, highest first; equal probabilities by the raw score. Isotonic
    calibration is a step function, so many weak pairs share one probability (0.004, say),
    and the raw score, which the steps are monotone in, still orders them."""
    keys = [-probability] if share is None else [-probability, -share]
    if raw_score is not None:
        keys.insert(0, -raw_score)
    return keys


def _best_first(probability: np.ndarray, raw_score: np.ndarray | None, share: np.ndarray | None = None) -> np.ndarray:
    """Indices best first (see :func:`_order_keys`); ties keep their order."""
    keys = _order_keys(probability, raw_score, share)
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(keys)


def _ranks_within_parent(parent: np.ndarray, probability: np.ndarray, raw_score: np.ndarray | None,
                         share: np.ndarray | None) -> np.ndarray:
    """Each pair's place among its ended account's candidates in :func:`_best_first`'s order
    (1 = best), for every ended account in one sort."""
    order = np.lexsort([*_order_keys(probability, raw_score, share), parent])
    grouped = parent[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else np.zeros(0, np.int64)
    first_of_group = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - first_of_group + 1
    return rank


def _assign(
    table: AccountTable,
    candidates: Candidates,
    X: np.ndarray,
    probability: np.ndarray,
    ranker: ReturneeRanker,
    promotions: list[PromotionLink],
    threshold: float,
    raw_score: np.ndarray | None = None,
    share: np.ndarray | None = None,
) -> list[Match]:
    """Greedy one-to-one assignment by probability (ties by raw score): an account returns
    as one account at a time and an account is the return of one account. A match's rank is
    its place in :meth:`ReturneeResult.best_for_old`'s order."""
    rank = _ranks_within_parent(candidates.parent, probability, raw_score, share)
    accepted: list[int] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    order = _best_first(probability, raw_score).tolist()
    for i in order:
        if probability[i] < threshold:
            break
        old, new = int(candidates.parent[i]), int(candidates.child[i])
        if old in taken_old or new in taken_new:
            continue
        taken_old.add(old)
        taken_new.add(new)
        accepted.append(i)
    repaired = set(_repair_chains(table, candidates, probability, threshold, accepted))
    if repaired != set(accepted):  # keep the greedy order: best first
        accepted = [i for i in order if i in repaired]
    explanations = ranker.contributions(X[accepted]) if accepted else []
    matches = []
    by_child = _pairs_by_child(candidates)
    for i, contributions in zip(accepted, explanations):
        old, new = int(candidates.parent[i]), int(candidates.child[i])
        evidence = pair_evidence(table, old, new, contributions, int(candidates.sources[i]), promotions)
        rivals = _rival_evidence(table, candidates, probability, i, by_child)
        if rivals is not None:  # before the closing "candidate" and "model" lines
            evidence = (*evidence[:-2], rivals, *evidence[-2:])
        matches.append(Match(old, new, float(probability[i]), int(rank[i]), evidence))
    return matches


def _repair_chains(table: AccountTable, candidates: Candidates, probability: np.ndarray, threshold: float,
                   accepted: list[int]) -> list[int]:
    """A person who returns twice (A -> B -> C) can leave A linked straight to C when both
    links score alike (a distinctive name carried through, say: every pair of the three is
    at 1.0). Where A -> C was accepted, B is still free on both sides, and A -> B and B -> C
    both reach the threshold with B appearing before C, the two links A -> B, B -> C replace
    A -> C: every account keeps one predecessor and one successor, and the chain is read in
    the order the accounts appeared. Repeated until nothing changes (A -> D with B and C
    between becomes A -> B -> C -> D)."""
    strong = np.flatnonzero(probability >= threshold)
    if not len(accepted) or not len(strong):
        return accepted
    parent, child = candidates.parent, candidates.child
    pair_of = {(int(parent[i]), int(child[i])): int(i) for i in strong.tolist()}
    successors: dict[int, list[int]] = {}
    for old, new in pair_of:
        successors.setdefault(old, []).append(new)
    linked_old = {int(parent[i]): i for i in accepted}
    linked_new = {int(child[i]): i for i in accepted}
    appeared = table.appeared_at
    pending = list(accepted)
    while pending:
        i = pending.pop()
        old, new = int(parent[i]), int(child[i])
        if linked_old.get(old) != i:
            continue  # replaced meanwhile
        middles = [b for b in successors.get(old, ()) if b != new and b not in linked_old and b not in linked_new
                   and (b, new) in pair_of and appeared[b] < appeared[new]]
        if not middles:
            continue
        middle = min(middles, key=lambda b: (appeared[b], b))  # the first return
        first, second = pair_of[(old, middle)], pair_of[(middle, new)]
        del linked_new[new]
        linked_old[old], linked_new[middle] = first, first
        linked_old[middle], linked_new[new] = second, second
        pending.extend((first, second))
    return list(linked_old.values())


def _pairs_by_child(candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """The pairs in a stable sort by later account, and those accounts in that order: a
    later account's pairs are then one binary search away."""
    order = np.argsort(candidates.child, kind="stable")
    return order, candidates.child[order]


def _rival_evidence(table: AccountTable, candidates: Candidates, probability: np.ndarray, pair: int,
                    by_child: tuple[np.ndarray, np.ndarray] | None = None) -> Evidence | None:
    """Whether other ended accounts also claim the new account (what the assignment share
    weighs): how many, and the strongest with its probability. ``by_child``:
    :func:`_pairs_by_child`, made once for many calls."""
    old, new = candidates.parent[pair], candidates.child[pair]
    order, children = by_child if by_child is not None else _pairs_by_child(candidates)
    same_child = order[np.searchsorted(children, new, "left") : np.searchsorted(children, new, "right")]
    others = same_child[candidates.parent[same_child] != old]
    if not len(others):
        return None
    strongest = others[np.argmax(probability[others])]
    rival = int(candidates.parent[strongest])
    name = table.handle[rival] or table.account_id[rival]
    return Evidence(
        "rivals",
        f"also a candidate return of {len(others)} other ended account(s); the strongest, @{name}, "
        f"at probability {probability[strongest]:.2f}",
        float(probability[strongest]),
    )


def pair_evidence(table: AccountTable, old: int, new: int, contributions, sources: int, promotions: list[PromotionLink]) -> tuple[Evidence, ...]:
    """What a moderator reads: each signal that moved the score, strongest first, in words."""
    from .handles import relate

    evidence: list[Evidence] = []
    if table.handle[old] and table.handle[new]:
        relation = relate(table.handle[old], table.handle[new])
        evidence.append(Evidence("handle", relation.describe(table.handle[old], table.handle[new]), relation.edit_similarity))
    for part in contributions:
        # how much is known (and how the times are known) is context for the other signals, not evidence
        if abs(part.log_odds) < 0.05 or part.feature.startswith("handle_") or part.feature in (
                "sources", "handles_known", "names_known", "bios_known", "posts_compared", "appeared_at_creation", "end_recorded"):
            continue
        if math.isnan(part.value):  # an unknown signal is not evidence a moderator can check
            continue
        direction = "for" if part.log_odds > 0 else "against"
        evidence.append(
            Evidence(part.feature, f"{describe(part.feature, part.value)} ({direction})", part.value, round(part.log_odds, 3))
        )
    for link in promotions:
        if link.promoted == new and link.promoter != new:
            evidence.append(
                Evidence(
                    "promotion",
                    f"promoted by @{table.handle[link.promoter] or table.account_id[link.promoter]}: "
                    f"\"{_clip(link.text)}\" (post {link.post_id}; {', '.join(link.cues)})",
                )
            )
            if sum(1 for e in evidence if e.signal == "promotion") >= 3:
                break
    evidence.append(Evidence("candidate", "considered because of: " + ", ".join(candidate_sources(sources))))
    evidence.append(Evidence("model", f"{MODEL_VERSION}; features {len(FEATURE_NAMES)}"))
    return tuple(evidence)


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lineages(table: AccountTable, matches: list[Match]) -> list[Lineage]:
    """Chains old -> new -> newer from accepted matches; identity ids are stable digests of
    the chain's first account."""
    successor = {m.old: m for m in matches}
    has_predecessor = {m.new for m in matches}
    chains = []
    for root in sorted(successor):
        if root in has_predecessor:
            continue
        rows, probabilities, hours = [root], [], []
        seen = {root}
        current = root
        while current in successor:
            match = successor[current]
            if match.new in seen:
                break
            rows.append(match.new)
            probabilities.append(match.probability)
            ended, appeared = table.ended_at[current], table.appeared_at[match.new]
            hours.append(None if NO_TIME in (ended, appeared) else (appeared - ended) / 3600.0)
            seen.add(match.new)
            current = match.new
        digest = hashlib.blake2b(f"{table.platform[root]}:{table.account_id[root]}".encode(), digest_size=8).hexdigest()
        chains.append(Lineage(f"identity-{digest}", rows, probabilities, hours, [int(table.followers_count[r]) for r in rows]))
    return chains


