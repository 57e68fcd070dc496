"""The account text model: vectorised n-gram hashing against the plain loop, fitting,
unknowns for empty documents, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.accounts.text import TextModel, clean_document, hash_ngrams, hash_ngrams_reference

TEXTS = st.text(alphabet=st.sampled_from(list("ab ج د😂\u200bZ\n") + ["\x00"]), max_size=30)


@settings(max_examples=120, deadline=None)
@given(st.lists(TEXTS, max_size=6), st.integers(1, 3), st.integers(0, 2), st.sampled_from([8, 64, 1024]))
def test_hashing_equals_reference(documents, min_n, extra, n_features):
    documents = [d.replace("\x00", " ") for d in documents]  # the separator never occurs in cleaned text
    fast = hash_ngrams(documents, min_n, min_n + extra, n_features).toarray()
    np.testing.assert_array_equal(fast, hash_ngrams_reference(documents, min_n, min_n + extra, n_features))


def test_hashing_in_batches_equals_one_batch(monkeypatch):
    import hydrawatch.accounts.text as text

    documents = [f"document number {i} " * (i % 7) for i in range(60)]
    whole = hash_ngrams(documents, 2, 4, 512).toarray()
    monkeypatch.setattr(text, "_BATCH_CHARS", 50)
    np.testing.assert_array_equal(hash_ngrams(documents, 2, 4, 512).toarray(), whole)


def test_cleaning_drops_links_and_handles():
    assert clean_document("Spread it @abu_x https://t.co/abc www.x.com NOW", 100) == "spread it @ now"
    assert clean_document("", 10) == ""
    assert len(clean_document("x" * 500, 100)) == 100


SUPPORT = ["spread the release brothers, onward", "patience and light, new release out", "the relay media office releases"]
OTHER = ["coffee and football this weekend", "exams tomorrow, wish me luck", "breaking news from the capital"]


@pytest.fixture(scope="module")
def model():
    documents = [f"{d} {i}" for i in range(15) for d in SUPPORT + OTHER]
    labels = np.array([1, 1, 1, 0, 0, 0] * 15)
    return TextModel(n_features_log2=12).fit(documents, labels)


def test_model_separates_and_keeps_empty_documents_unknown(model):
    p = model.predict_proba(["new release from the relay, spread it", "football and coffee", "", "https://t.co/x @who"])[:, 1]
    assert p[0] > 0.5 > p[1]
    assert np.isnan(p[2]) and np.isnan(p[3])
    assert model.n_train_positive_ == 45


def test_telling_words_are_the_documents_own(model):
    words = model.telling_words("the new release is out, coffee later")
    assert words and set(words) <= {"the", "new", "release", "out", "coffee", "later"}
    assert "release" in words
    assert model.telling_words("") == []
    assert model.telling_words("release. «release», release!") == ["release"]  # one word, whatever the punctuation


def test_round_trip(model):
    again = TextModel.from_dict(model.to_dict())
    documents = SUPPORT + OTHER + ["mixed حساب جديد release"]
    np.testing.assert_array_equal(model.decision_function(documents), again.decision_function(documents))


def test_damaged_arrays_are_refused(model):
    payload = model.to_dict()
    payload["coef"] = payload["coef"][:40]
    with pytest.raises(ValueError, match="damaged"):
        TextModel.from_dict(payload)


def test_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        TextModel().fit(["a b c", "d e f"], np.array([1, 1]))
