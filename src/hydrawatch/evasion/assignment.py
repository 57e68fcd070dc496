"""Soft one-to-one assignment of ended accounts to later accounts.

Each candidate pair is scored on its own, but an account returns as one account at a time and
a new account is the return of at most one ended account. A template-named spam account that
is, with probability 0.99, the return of one banned spam account can still score 0.2 against
another banned spam account of the same template; ranked on its own score it goes above that
other account's true successor, an account known only by its id and a time (0.005). Taking
the competition into account puts it back below.

The soft assignment is the Sinkhorn balancing of the odds matrix with a "none" row and column:
with odds w[p, c] = P / (1 - P) for each candidate pair (zero off the candidate list), find
row factors r and column factors s with

    r[p] * (1 + sum_c w[p, c] * s[c]) = 1    (each ended account: one successor, or none)
    s[c] * (1 + sum_p r[p] * w[p, c]) = 1    (each later account: one predecessor, or none)

and take share[p, c] = r[p] * w[p, c] * s[c], the pair's part of the balanced matrix (an
approximation of the chance that the pair is in a one-to-one matching drawn with weights w).
Within one ended account r[p] is constant, so its candidates are ordered by w[p, c] * s[c]: a
candidate's odds, lowered by how strongly other ended accounts claim it, each claim in turn
lowered by how well that ended account is already served (r). A grandparent whose own
successor is certain has a small r, so it hardly competes for the grandchild: chains keep
their links. The "none" weight 1 puts even odds on "no successor" before the evidence.

Alternating the two updates converges (Sinkhorn's theorem; the "none" entries keep every
row and column positive), slowly where near-certain pairs compete; it stops when no factor
moves by more than ``tolerance`` relative to itself, or after ``max_rounds``. On development
worlds the order of candidates no longer changed after 50 rounds (20 rounds ranked one true
successor higher by chance, not kept). Each round is two ``np.bincount`` over the pairs.
"""

from __future__ import annotations

import numpy as np

MAX_ROUNDS = 200
TOLERANCE = 1e-6
# A calibrated 0 or 1 is read as 0.001 or 0.999: calibration on some thousands of returns
# cannot vouch for more, and bounded odds keep the balancing quick to converge.
_EPSILON = 1e-3


def odds(probability: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPSILON, 1.0 - _EPSILON)
    return p / (1.0 - p)


def soft_assignment(parent: np.ndarray, child: np.ndarray, probability: np.ndarray,
                    tolerance: float = TOLERANCE, max_rounds: int = MAX_ROUNDS) -> np.ndarray:
    """Each pair's share of the balanced assignment (see the module docstring); pairs are
    given as parallel arrays of parent rows, child rows and calibrated probabilities."""
    if max_rounds < 1 or tolerance <= 0:
        raise ValueError("max_rounds must be at least 1 and tolerance positive (1e-9, say)")
    parent, child = np.asarray(parent, dtype=np.int64), np.asarray(child, dtype=np.int64)
    if not len(parent):
        return np.zeros(0)
    # compact row numbers so the factor arrays are as long as the accounts in play
    parents, parent_index = np.unique(parent, return_inverse=True)
    children, child_index = np.unique(child, return_inverse=True)
    w = odds(probability)
    row = np.ones(len(parents))
    column = np.ones(len(children))
    for _ in range(max_rounds):
        previous_row, previous_column = row, column
        row = 1.0 / (1.0 + np.bincount(parent_index, w * column[child_index], minlength=len(parents)))
        column = 1.0 / (1.0 + np.bincount(child_index, w * row[parent_index], minlength=len(children)))
        if max(np.max(np.abs(row / previous_row - 1.0)), np.max(np.abs(column / previous_column - 1.0))) < tolerance:
            break
    return row[parent_index] * w * column[child_index]
