"""Score every active account of a store against a seed set, with the evidence for each.

:func:`score_accounts` is the detector: seeds are weighed by the own-text model, features are
computed for every account that is neither a seed nor ended, and the scorer turns them into
calibrated probabilities with per-signal contributions. The result keeps everything a report
or a review case needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from hydrawatch.core.model import Evidence

from .data import AccountData
from .evidence import CONTEXT, describe, with_direction
from .features import SeedSet, account_features, weigh_seeds
from .scorer import MODEL_VERSION, AccountScorer

log = logging.getLogger(__name__)

MODEL_FILE = "account-scorer.json"
DETECTOR = "network_account"


def default_model_path() -> Path:
    return Path(str(resources.files("hydrawatch.accounts") / "models" / MODEL_FILE))


@cache
def load_default_scorer() -> AccountScorer:
    path = default_model_path()
    if not path.exists():
        from hydrawatch.core.errors import ConfigError

        raise ConfigError(f"no trained account scorer at {path}; train one: hydrawatch train accounts")
    return AccountScorer.load(path)


@dataclass
class AccountScores:
    """Scores of the active, non-seed accounts (``rows`` of ``data``), best first."""

    data: AccountData
    seeds: SeedSet
    rows: np.ndarray
    probability: np.ndarray
    raw: np.ndarray  # the uncalibrated score: same order, no ties (ranks within a calibration step)
    X: np.ndarray
    threshold: float
    own_text_score: np.ndarray  # for every account (NaN: nothing to read)
    scorer: AccountScorer | None = None
    _evidence: dict[int, tuple[Evidence, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.rows.size)

    def flagged(self) -> np.ndarray:
        """Positions (into ``rows``) at or above the threshold."""
        return np.flatnonzero(self.probability >= self.threshold)

    def evidence(self, position: int) -> tuple[Evidence, ...]:
        """The evidence of the account at ``position``: every signal with its value and
        contribution, strongest first, then the model's provenance. Computed on demand (tree
        SHAP costs a little per account)."""
        if position not in self._evidence:
            self._evidence.update(self._explain([position]))
        return self._evidence[position]

    def explain(self, positions) -> None:
        """Compute the evidence of many accounts at once (faster than one by one)."""
        missing = [p for p in positions if p not in self._evidence]
        if missing:
            self._evidence.update(self._explain(missing))

    def _explain(self, positions: list[int]) -> dict[int, tuple[Evidence, ...]]:
        scorer = self.scorer
        contributions = scorer.contributions(self.X[positions])
        out = {}
        for position, parts in zip(positions, contributions):
            items = []
            for part in parts:
                if part.feature in CONTEXT:
                    continue
                text = describe(part.feature, part.value)
                if part.feature in ("own_text",) and part.log_odds > 0 and scorer.own_text is not None:
                    words = scorer.own_text.telling_words(self.data.own_text[int(self.rows[position])])
                    if words:
                        text += "; words like " + ", ".join(f"'{w}'" for w in words)
                value = None if np.isnan(part.value) else round(float(part.value), 4)
                items.append(Evidence(part.feature, with_direction(text, part.log_odds), value, round(part.log_odds, 4)))
            items.append(Evidence("model", f"{MODEL_VERSION}; {len(self.seeds):,} seeds ({self.seeds.origin}, "
                                  f"{self.seeds.effective:,.0f} weighted); threshold {self.threshold:.2f}",
                                  MODEL_VERSION, None))
            out[position] = tuple(items)
        return out

    def ranked(self) -> np.ndarray:
        """Positions by probability, then raw score, highest first."""
        return np.lexsort((-self.raw, -self.probability))


def candidate_rows(data: AccountData, seeds: SeedSet) -> np.ndarray:
    """Accounts to score: not ended (suspended, deleted, presumed silent) and not a seed."""
    excluded = data.ended.copy()
    excluded[seeds.rows] = True
    return np.flatnonzero(~excluded)


def score_accounts(data: AccountData, seed_rows: np.ndarray, scorer: AccountScorer | None = None,
                   threshold: float | None = None, origin: str = "ended accounts") -> AccountScores:
    """Score the active accounts of ``data`` against the seeds at ``seed_rows``."""
    scorer = scorer or load_default_scorer()
    own = scorer.own_text.predict_proba(data.own_text)[:, 1]
    seeds = weigh_seeds(seed_rows, own, origin)
    rows = candidate_rows(data, seeds)
    log.info("scoring %d active accounts against %d seeds (%.0f weighted)", rows.size, len(seeds), seeds.effective)
    X = account_features(data, seeds, own, scorer.tone_text, rows)
    raw = scorer.raw_proba(X) if rows.size else np.zeros(0)
    probability = scorer.predict_proba(X)[:, 1] if rows.size else np.zeros(0)
    return AccountScores(data, seeds, rows, probability, raw, X, scorer.threshold if threshold is None else threshold,
                         own, scorer)

