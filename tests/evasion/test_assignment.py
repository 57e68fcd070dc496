"""The soft one-to-one assignment against a dense reference, and what it is for."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.evasion.assignment import odds, soft_assignment
from hydrawatch.evasion.detect import _best_first


def soft_assignment_reference(parent, child, probability, iterations=2000):
    """Sinkhorn balancing written out on the dense odds matrix with a "none" row and column."""
    parents, children = sorted(set(parent)), sorted(set(child))
    w = np.zeros((len(parents), len(children)))
    for p, c, q in zip(parent, child, probability):
        w[parents.index(p), children.index(c)] = odds(np.array([q]))[0]
    row, column = np.ones(len(parents)), np.ones(len(children))
    for _ in range(iterations):
        row = 1.0 / (1.0 + w @ column)
        column = 1.0 / (1.0 + row @ w)
    share = row[:, None] * w * column[None, :]
    return np.array([share[parents.index(p), children.index(c)] for p, c in zip(parent, child)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(10, 16), st.floats(0.0, 1.0)), min_size=1, max_size=25,
                unique_by=lambda t: (t[0], t[1])))
def test_soft_assignment_matches_dense_reference(pairs):
    parent, child, probability = (np.array(column) for column in zip(*pairs))
    np.testing.assert_allclose(soft_assignment(parent, child, probability),
                               soft_assignment_reference(parent.tolist(), child.tolist(), probability.tolist()), rtol=1e-4)


def test_claimed_candidate_goes_below_unclaimed_one():
    """Ended account 0's true successor (id-only, 20) scores below account 10, which is
    almost surely ended account 1's return: with the competition, 20 comes first."""
    parent = np.array([0, 0, 1])
    child = np.array([10, 20, 10])
    probability = np.array([0.2, 0.05, 0.99])
    share = soft_assignment(parent, child, probability)
    assert _best_first(probability[:2], None).tolist() == [0, 1]
    assert _best_first(probability[:2], None, share[:2]).tolist() == [1, 0]


def test_chain_keeps_its_links():
    """A -> B -> C: the grandparent A also resembles C, but A's own successor B is certain,
    so A's claim on C is weak and C stays B's first candidate."""
    A, B, C, other = 0, 1, 2, 3
    parent = np.array([A, A, B, B])
    child = np.array([B, C, C, other])
    probability = np.array([0.999, 0.6, 0.5, 0.3])
    share = soft_assignment(parent, child, probability)
    assert share[2] > share[3]
    assert soft_assignment(np.zeros(0), np.zeros(0), np.zeros(0)).shape == (0,)


def test_rival_evidence_names_the_strongest_other_claim():
    from hydrawatch.evasion.candidates import Candidates
    from hydrawatch.evasion.detect import _rival_evidence

    from .tables import account, make_table

    table = make_table([
        account("1", "promo_one", ended_hours=0.0), account("2", "promo_two", ended_hours=1.0),
        account("3", "promo_three", ended_hours=2.0), account("9", "promo_new", appeared_hours=5.0),
    ])
    rows = [table.row_of[("twitter", a)] for a in ("1", "2", "3", "9")]
    candidates = Candidates(np.array(rows[:3]), np.array([rows[3]] * 3), np.zeros(3, dtype=np.int64))
    evidence = _rival_evidence(table, candidates, np.array([0.9, 0.3, 0.6]), 0)
    assert evidence.signal == "rivals" and evidence.value == 0.6
    assert "2 other ended account(s)" in evidence.description and "@promo_three" in evidence.description
    alone = Candidates(np.array(rows[:1]), np.array(rows[3:]), np.zeros(1, dtype=np.int64))
    assert _rival_evidence(table, alone, np.array([0.9]), 0) is None
