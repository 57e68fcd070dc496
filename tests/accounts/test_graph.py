"""Personalised PageRank by power iteration against the dense linear-solve reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from hydrawatch.accounts.graph import personalized_pagerank, personalized_pagerank_reference
from hydrawatch.core.errors import ConfigError


@st.composite
def graphs(draw):
    """A small directed weighted graph (dangling nodes and self-loops allowed) and a
    personalisation vector with at least one positive entry."""
    n = draw(st.integers(1, 9))
    density = draw(st.floats(0.0, 0.8))
    cells = draw(st.lists(st.floats(0.0, 1.0), min_size=n * n, max_size=n * n))
    weights = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 7.0]), min_size=n * n, max_size=n * n))
    W = np.array([w if c < density else 0.0 for c, w in zip(cells, weights)]).reshape(n, n)
    v = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 0.3, 1.0]), min_size=n, max_size=n)))
    v[draw(st.integers(0, n - 1))] += 1.0
    damping = draw(st.sampled_from([0.0, 0.3, 0.7, 0.85, 0.95]))
    return W, v, damping


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_power_iteration_equals_reference(case):
    W, v, damping = case
    fast = personalized_pagerank(sparse.csr_matrix(W), v, damping, tol=1e-13, max_iter=5000)
    reference = personalized_pagerank_reference(W, v, damping)
    assert fast.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fast, reference, atol=1e-8)


def test_direction_matters():
    # 0 -> 1 -> 2: from seed 0 the walk reaches 1 and 2 along the edges, nothing against them
    W = sparse.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float))
    seed = np.array([1.0, 0.0, 0.0])
    along = personalized_pagerank(W, seed, 0.7)
    against = personalized_pagerank(W.T.tocsr(), seed, 0.7)
    assert along[1] > along[2] > 0
    assert against[1] == 0 and against[2] == 0


def test_no_damping_is_the_personalisation():
    W = sparse.random(6, 6, density=0.5, random_state=1, format="csr")
    v = np.array([1.0, 0, 0, 2.0, 0, 0])
    np.testing.assert_allclose(personalized_pagerank(W, v, 0.0), v / v.sum())


@pytest.mark.parametrize("damping, v, message", [
    (1.0, [1.0, 0.0], "damping"),
    (0.5, [0.0, 0.0], "all zero"),
    (0.5, [1.0, -1.0], "non-negative"),
    (0.5, [1.0], "entries"),
])
def test_bad_parameters_say_how_to_fix_them(damping, v, message):
    with pytest.raises(ConfigError, match=message):
        personalized_pagerank(sparse.csr_matrix(np.eye(2)), np.array(v), damping)
