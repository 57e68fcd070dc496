"""Train and measure the account scorer on simulated worlds with known truth.

**Training** is cross-fitted so the tree model never sees in-sample text scores: with worlds
from several generator seeds, each seed's text scores (own text, and the seed weights and
tone documents they imply) come from text models fitted on the *other* seeds' worlds; the
shipped text models are then fitted on all of them. Views of one world (``full``, ``tweets``)
share accounts and posts, so they always fall in the same fold. With a single generator seed
(tests), the folds split the accounts instead.

**Measuring**: seeds are the store's ended accounts (suspended or deleted; presumed silent in
a tweets-only view), scores cover the accounts that are still active at the end by the world's
truth and not seeds. Reported: ROC AUC, precision among the top k (k = the true number of
active network accounts scored), precision and recall at the threshold, the false-positive rate
of every non-network group (news, religious, political, counter, researcher are the hard
negatives), and the calibration. Active network accounts the store wrongly takes for ended
(silent for a few days in a tweets-only view) are seeds, not scored; their number is reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.metrics import roc_auc_score

from .data import AccountData
from .detect import AccountScores, score_accounts
from .features import account_features, tone_documents, weigh_seeds
from .scorer import AccountScorer
from .text import TextModel

log = logging.getLogger(__name__)

HARD_NEGATIVES = ("news", "religious", "political", "counter", "researcher")
OTHER_GROUPS = ("lookalike", "parody", "spam", "ordinary")
ACTIVE_AT_END = ("active", "protected")


@dataclass
class LabelledWorld:
    """A world's store read as :class:`AccountData`, with its truth per row."""

    name: str
    fold_key: int  # worlds with one key share accounts (views of one generated world)
    view: str
    data: AccountData
    group: list[str]  # truth group per row ("" when the truth does not know the account)
    active_at_end: np.ndarray  # bool per row

    @property
    def network(self) -> np.ndarray:
        return np.array([g == "network" for g in self.group], dtype=bool)


def labelled_world(prepared) -> LabelledWorld:
    """Read a :class:`hydrawatch.evaluation.returnees.PreparedWorld` (its store and truth)."""
    from hydrawatch.store.duck import Store

    from .batch import read_account_data

    with Store(prepared.store_path, read_only=True) as store:
        data = read_account_data(store)
    truth = prepared.truth
    group = [truth.get(a, {}).get("group", "") for a in data.account_id]
    active = np.array([truth.get(a, {}).get("status_at_end", "") in ACTIVE_AT_END for a in data.account_id], dtype=bool)
    return LabelledWorld(prepared.spec.name, prepared.spec.seed, prepared.spec.view, data, group, active)


# --- training -------------------------------------------------------------------------------


@dataclass
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    own_text: TextModel
    tone_text: TextModel
    description: dict = field(default_factory=dict)


@dataclass
class _Fold:
    """Rows (per world index) that train a fold's text models, and rows it scores."""

    train: dict[int, np.ndarray]
    held: dict[int, np.ndarray]


def _folds(worlds: list[LabelledWorld]) -> list[_Fold]:
    """Several generator seeds: leave one seed out. One seed: two halves of the accounts
    (by a hash of the account id, so every view of a world splits alike)."""
    keys = sorted({w.fold_key for w in worlds})
    everything = {i: np.arange(len(w.data)) for i, w in enumerate(worlds)}
    if len(keys) >= 2:
        return [_Fold({i: r for i, r in everything.items() if worlds[i].fold_key != key},
                      {i: r for i, r in everything.items() if worlds[i].fold_key == key}) for key in keys]
    halves = {i: _half(w.data.account_id) for i, w in enumerate(worlds)}
    return [_Fold({i: np.flatnonzero(h != half) for i, h in halves.items()},
                  {i: np.flatnonzero(h == half) for i, h in halves.items()}) for half in (0, 1)]


def _half(account_ids: list[str]) -> np.ndarray:
    import zlib

    return np.array([zlib.crc32(a.encode()) & 1 for a in account_ids], dtype=np.int64)


def _training_counts(worlds: list[LabelledWorld], train: dict[int, np.ndarray], counts: list[tuple],
                     one_view: bool) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Stacked n-gram counts, emptiness and labels of the training rows of a fold.
    ``one_view``: one view per generated world (an account's own text is the same in every
    view, and counting it twice would only duplicate rows)."""
    blocks, empties, labels = [], [], []
    seen_keys: set[int] = set()
    for index, rows in sorted(train.items()):
        world = worlds[index]
        if one_view:
            if world.fold_key in seen_keys:
                continue
            seen_keys.add(world.fold_key)
        matrix, empty = counts[index]
        blocks.append(matrix[rows])
        empties.append(empty[rows])
        labels.append(world.network[rows])
    return sparse.vstack(blocks, format="csr"), np.concatenate(empties), np.concatenate(labels)


def build_training_set(worlds: list[LabelledWorld], text_params: dict | None = None) -> TrainingSet:
    """Cross-fitted features of every world's active, non-seed accounts, and the text models
    fitted on everything."""
    text_params = text_params or {}
    folds = _folds(worlds)
    by_seed = len({w.fold_key for w in worlds}) > 1
    vectoriser = TextModel(**text_params)
    own_counts = [vectoriser.counts(w.data.own_text) for w in worlds]
    own_score = [np.full(len(w.data), np.nan) for w in worlds]
    for fold in folds:
        model = TextModel(**text_params).fit_counts(*_training_counts(worlds, fold.train, own_counts, one_view=True))
        for index, rows in fold.held.items():
            matrix, empty = own_counts[index]
            own_score[index][rows] = model.predict_proba_counts(matrix[rows], empty[rows])[:, 1]
    seeds = [weigh_seeds(np.flatnonzero(w.data.ended), own_score[i]) for i, w in enumerate(worlds)]
    tone_counts = [vectoriser.counts(tone_documents(w.data, seeds[i].vector(len(w.data)))) for i, w in enumerate(worlds)]
    Xs, ys, groups = [], [], []
    for fold in folds:
        tone = TextModel(**text_params).fit_counts(*_training_counts(worlds, fold.train, tone_counts, one_view=False))
        for index, held in fold.held.items():
            world = worlds[index]
            rows = np.intersect1d(_scored_rows(world, seeds[index].rows), held)
            if rows.size:
                Xs.append(account_features(world.data, seeds[index], own_score[index], tone, rows))
                ys.append(world.network[rows])
                groups.append(np.full(rows.size, world.fold_key if by_seed else index))
    everything = {i: np.arange(len(w.data)) for i, w in enumerate(worlds)}
    own_training = _training_counts(worlds, everything, own_counts, one_view=True)
    tone_training = _training_counts(worlds, everything, tone_counts, one_view=False)
    description = {
        "worlds": [w.name for w in worlds],
        "generator": "hydrawatch.synth",
        "cross_fitting": "leave one generator seed out" if by_seed else "two halves of the accounts",
        "own_text_documents": int((~own_training[1]).sum()),
        "tone_documents": int((~tone_training[1]).sum()),
    }
    return TrainingSet(
        X=np.vstack(Xs), y=np.concatenate(ys).astype(np.int32), groups=np.concatenate(groups),
        own_text=TextModel(**text_params).fit_counts(*own_training),
        tone_text=TextModel(**text_params).fit_counts(*tone_training),
        description=description,
    )


def _scored_rows(world: LabelledWorld, seed_rows: np.ndarray) -> np.ndarray:
    """Training rows: every account the scorer would score (not ended, not a seed)."""
    excluded = world.data.ended.copy()
    excluded[seed_rows] = True
    return np.flatnonzero(~excluded)


def train_scorer(worlds: list[LabelledWorld], text_params: dict | None = None, **scorer_params) -> AccountScorer:
    training = build_training_set(worlds, text_params)
    scorer = AccountScorer(own_text=training.own_text, tone_text=training.tone_text, **scorer_params)
    scorer.fit(training.X, training.y, training.groups)
    scorer.trained_on_ = training.description | {"accounts": int(training.y.size), "network_accounts": int(training.y.sum())}
    return scorer


# --- measuring --------------------------------------------------------------------------------


@dataclass
class AccountReport:
    world: str
    view: str
    seeds: int
    seeds_network: int
    weighted_seeds: float
    scored: int
    network_scored: int  # k
    network_active_unscored: int  # truly active network accounts taken for ended (seeds)
    roc_auc: float
    roc_auc_probability: float
    precision_at_k: float
    threshold: float
    flagged: int
    precision: float
    recall: float
    fpr_by_group: dict[str, float]
    flagged_by_group: dict[str, int]
    accounts_by_group: dict[str, int]
    reliability: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()

    def meets_targets(self) -> dict[str, bool]:
        return {
            "roc_auc >= 0.97": self.roc_auc >= 0.97,
            "precision@k >= 0.9": self.precision_at_k >= 0.9,
            **{f"fpr[{g}] <= 1%": self.fpr_by_group.get(g, 0.0) <= 0.01 for g in HARD_NEGATIVES},
        }


def evaluate_world(world: LabelledWorld, scorer: AccountScorer, threshold: float | None = None,
                   seed_rows: np.ndarray | None = None) -> tuple[AccountReport, AccountScores]:
    """Score a world and measure against its truth. ``seed_rows`` (default: the store's ended
    accounts) lets an analyst's list of known accounts stand in for the suspensions."""
    data = world.data
    origin = "ended accounts" if seed_rows is None else "seed file"
    seed_rows = np.flatnonzero(data.ended) if seed_rows is None else seed_rows
    scores = score_accounts(data, seed_rows, scorer, threshold, origin)
    keep = world.active_at_end[scores.rows]
    rows = scores.rows[keep]
    raw, probability = scores.raw[keep], scores.probability[keep]
    truth = world.network[rows]
    groups = np.array([world.group[r] or "unknown" for r in rows.tolist()], dtype=object)
    k = int(truth.sum())
    order = np.lexsort((-raw, -probability))
    top = order[:k]
    flagged = probability >= scores.threshold
    fpr, flagged_by, counts = {}, {}, {}
    for group in (*HARD_NEGATIVES, *OTHER_GROUPS):
        members = groups == group
        counts[group] = int(members.sum())
        flagged_by[group] = int((flagged & members).sum())
        fpr[group] = float(flagged_by[group] / counts[group]) if counts[group] else 0.0
    both = truth.any() and (~truth).any()
    network_all = world.network & world.active_at_end
    report = AccountReport(
        world=world.name,
        view=world.view,
        seeds=len(scores.seeds),
        seeds_network=int(world.network[scores.seeds.rows].sum()),
        weighted_seeds=round(scores.seeds.effective, 1),
        scored=int(rows.size),
        network_scored=k,
        network_active_unscored=int(network_all.sum() - k),
        roc_auc=float(roc_auc_score(truth, raw)) if both else float("nan"),
        roc_auc_probability=float(roc_auc_score(truth, probability)) if both else float("nan"),
        precision_at_k=float(truth[top].mean()) if k else float("nan"),
        threshold=scores.threshold,
        flagged=int(flagged.sum()),
        precision=float(truth[flagged].mean()) if flagged.any() else float("nan"),
        recall=float(flagged[truth].mean()) if k else float("nan"),
        fpr_by_group=fpr,
        flagged_by_group=flagged_by,
        accounts_by_group=counts,
        reliability=_reliability(probability, truth),
    )
    return report, scores


def _reliability(probability: np.ndarray, truth: np.ndarray, bins: int = 10) -> list[dict]:
    rows = []
    edges = np.linspace(0, 1, bins + 1)
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (probability >= low) & ((probability < high) | (high == 1.0))
        if inside.any():
            rows.append({"bin": f"{low:.1f}-{high:.1f}", "accounts": int(inside.sum()),
                         "predicted": round(float(probability[inside].mean()), 4), "observed": round(float(truth[inside].mean()), 4)})
    return rows
