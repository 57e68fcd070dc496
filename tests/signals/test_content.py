"""The content classifier: cleaning, hashing (fast against reference), training, calibration,
persistence, evidence, bad input, the CLI, and held-out quality on the real data sets.

Synthetic posts use invented words. Real posts are never printed: assertions over them compare
counts or booleans, and failure messages name indexes, not text.
"""

from __future__ import annotations

import json
import random
import re
import time
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.core.errors import ConfigError
from hydrawatch.signals.content import (
    CONTEXT_SIZES,
    DEFAULT_THRESHOLD,
    THRESHOLD_GRID,
    ContentClassifier,
    ContentScore,
    ModelFileError,
    _others,
    author_totals,
    best_threshold,
    default_model_path,
    sample_contexts,
)
from hydrawatch.signals.content_data import LabelledPosts, deduplicate, near_duplicate_keys
from hydrawatch.signals.content_eval import HARD_LABEL, evaluate, post_kinds
from hydrawatch.signals.content_features import FeatureConfig, NgramHasher, clean_post, weigh_reference

from conftest import SHARED_DATA

SMALL = FeatureConfig(n_features_log2=14)

# --- a synthetic world: two invented vocabularies, shared filler, Arabic and Latin ---------------

_POSITIVE_WORDS = "zorvak quenlit mabrosh tirrel وارفن سكلور".split()
_NEGATIVE_WORDS = "plimsey durnakt holvine frespo كتابنا مرسيل".split()
_FILLER = "the and today people city مدينة اليوم news report".split()


def synthetic_posts(accounts_per_class: int = 12, posts_per_account: int = 25, seed: int = 0) -> tuple[list[str], list[int], list[str]]:
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for label, vocabulary in ((1, _POSITIVE_WORDS), (0, _NEGATIVE_WORDS)):
        for account in range(accounts_per_class):
            for _ in range(posts_per_account):
                words = rng.choices(_FILLER, k=rng.randint(3, 8)) + rng.choices(vocabulary, k=rng.randint(1, 3))
                rng.shuffle(words)
                texts.append(" ".join(words) + rng.choice(["", " #tag", " @someone", " https://t.co/x1"]))
                labels.append(label)
                groups.append(f"{label}-{account}")
    return texts, labels, groups


@pytest.fixture(scope="module")
def trained() -> ContentClassifier:
    texts, labels, groups = synthetic_posts()
    return ContentClassifier(features=SMALL, epochs=10).fit(texts, labels, groups)


# --- cleaning ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RT @abc_1: Hello World!", "hello world"),
        ("@USER شكرا<LF>جزيلا URL", "شكرا جزيلا"),  # OSACT placeholders leave no trace
        ("see https://t.co/xyz and www.example.com/a and example.org/path now", "see and and now"),
        ("a long retweet cut short mid-wor…", "a long retweet cut short"),
        ("#دولة_الخلافة 2015 ✅ fine.", "دوله الخلافه fine"),  # hashtag words stay, digits and emoji go
        ("ＦＵＬＬ width and e\u200bxtra", "full width and extra"),
        ("AT&amp;T", "at t"),
    ],
)
def test_clean_post_removes_artefacts_of_the_data_sets(raw, expected):
    assert clean_post(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty post"),
        ("   \n ", "empty post"),
        ("🔥🔥🦅🖤", "emoji"),
        ("@someone https://t.co/abc", "only links and mentions"),
        ("12345 !!! ...", "digits, punctuation"),
        (None, "empty post"),
    ],
)
def test_clean_post_says_why_nothing_is_left(raw, reason):
    cleaned = clean_post(raw)
    assert cleaned.text == "" and reason in cleaned.skip_reason


def test_clean_post_cuts_huge_posts_fast():
    raw = "word " * 20_000 + "é" * 50_000  # 150 KB, mixed ASCII and not
    started = time.perf_counter()
    cleaned = clean_post(raw, max_chars=2000)
    assert time.perf_counter() - started < 0.5
    assert cleaned.truncated and cleaned.original_chars == len(raw) and len(cleaned.text) <= 2000


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_clean_post_never_raises_and_is_idempotent(raw):
    cleaned = clean_post(raw)
    assert cleaned.text == " ".join(cleaned.text.split())
    assert all(ch.isalpha() or ch == " " for ch in cleaned.text)
    assert clean_post(cleaned.text).text == cleaned.text
    assert (cleaned.skip_reason is None) == bool(cleaned.text)


# --- hashing: the fast batch path against the plain-Python reference -----------------------------

_letters = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéßابتثجحخدهويءЖжзω"))
_words = st.lists(st.text(_letters, min_size=1, max_size=12), max_size=12).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_words, min_size=1, max_size=8), st.sampled_from([
    FeatureConfig(n_features_log2=12), FeatureConfig(n_features_log2=16, min_n=1, max_n=3, word_ngrams=0),
    FeatureConfig(n_features_log2=10, min_n=3, max_n=6, word_ngrams=1),
]))
def test_fast_hashing_equals_reference(texts, config):
    hasher = NgramHasher(config)
    counts = hasher.counts(texts)
    weighted = hasher.transform(texts)
    for row, text in enumerate(texts):
        expected = hasher.reference_counts(text)
        got = dict(zip(counts[row].indices.tolist(), counts[row].data.tolist()))
        assert got == {bucket: float(n) for bucket, n in expected.items()}
        reference_weights = weigh_reference(expected)
        fast_weights = dict(zip(weighted[row].indices.tolist(), weighted[row].data.tolist()))
        assert fast_weights.keys() == reference_weights.keys()
        assert all(abs(fast_weights[b] - reference_weights[b]) < 1e-5 for b in reference_weights)


def test_ngrams_are_character_ngrams_within_words_plus_words_and_pairs():
    grams = NgramHasher(FeatureConfig(min_n=2, max_n=3)).ngrams("ab cd")
    assert {g.text for g in grams if g.kind == "char"} == {" a", "ab", "b ", " ab", "ab ", " c", "cd", "d ", " cd", "cd "}
    assert [g.text for g in grams if g.kind == "word"] == ["ab", "cd"]
    assert [g.text for g in grams if g.kind == "pair"] == ["ab cd"]


def test_feature_config_errors_say_how_to_fix():
    with pytest.raises(ConfigError, match="between 10 and 24"):
        FeatureConfig(n_features_log2=40)
    with pytest.raises(ConfigError, match="min_n <= max_n"):
        FeatureConfig(min_n=4, max_n=2)


# --- training, scores, provenance ------------------------------------------------------------------


def test_fit_follows_sklearn_conventions_and_separates_held_out_accounts(trained):
    assert not hasattr(ContentClassifier(), "coef_")  # __init__ only stores parameters
    assert trained.coef_.shape == (SMALL.n_features,) and trained.version_.startswith("content-ngram-1+")
    texts, labels, _ = synthetic_posts(accounts_per_class=4, seed=99)  # accounts never seen
    p = trained.predict_proba(texts)
    assert p.shape == (len(texts), 2) and np.allclose(p.sum(axis=1), 1.0)
    auc_pairs = np.mean(p[np.array(labels) == 1, 1][:, None] > p[np.array(labels) == 0, 1][None, :])
    assert auc_pairs > 0.95
    assert (trained.predict(texts) == np.array(labels)).mean() > 0.9


def test_threshold_is_chosen_in_training_unless_given(trained):
    assert trained.threshold is None and trained.threshold_ in THRESHOLD_GRID
    with pytest.raises(ConfigError, match="no threshold yet"):
        ContentClassifier().decision_threshold  # noqa: B018
    fixed = ContentClassifier(threshold=0.7)
    assert fixed.decision_threshold == 0.7
    texts, labels, groups = synthetic_posts(accounts_per_class=6, posts_per_account=10, seed=2)
    assert ContentClassifier(features=SMALL, epochs=5, threshold=0.7).fit(texts, labels, groups).decision_threshold == 0.7


def test_best_threshold_maximises_macro_f1_against_brute_force():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.35 * y + rng.normal(0.3, 0.2, 400), 0, 1)
    from sklearn.metrics import f1_score

    scores = [f1_score(y, p >= t, average="macro") for t in THRESHOLD_GRID]
    chosen = best_threshold(y, p)
    assert abs(f1_score(y, p >= chosen, average="macro") - max(scores)) < 1e-12
    assert chosen == max(t for t, f in zip(THRESHOLD_GRID, scores) if f == max(scores))  # ties: the higher one


def test_post_kinds_separate_retweets_replies_originals_and_short_posts():
    texts = ["RT @a: hello there friends and all", "@b thanks brother", "a post of several plain words", "ok"]
    kinds = post_kinds(texts, [clean_post(t).text for t in texts])
    assert kinds["retweet"].tolist() == [True, False, False, False]
    assert kinds["reply"].tolist() == [False, True, False, False]
    assert kinds["original"].tolist() == [False, False, True, True]
    assert kinds["short"].tolist() == [False, True, False, True]


def test_fit_needs_both_classes_and_enough_accounts():
    with pytest.raises(ConfigError, match="both classes"):
        ContentClassifier(features=SMALL).fit(["zorvak one", "zorvak two"], [1, 1], ["a", "b"])
    with pytest.raises(ConfigError, match="two accounts per class"):
        ContentClassifier(features=SMALL).fit(["zorvak one", "plimsey two"], [1, 0], ["a", "b"])


def test_scores_carry_provenance_and_evidence_from_the_post(trained):
    post = "the city zorvak quenlit report"
    (score,) = trained.score([post], explain=True)
    assert isinstance(score, ContentScore) and score.signal == "content_ngram"
    assert score.model_version == trained.version_ and score.threshold == trained.decision_threshold == trained.threshold_
    assert score.probability is not None and score.flagged == (score.probability >= trained.threshold_)
    assert score.evidence
    cleaned = clean_post(post).text
    for item in score.evidence:
        assert item.signal == "content_ngram"
        if item.contribution is not None:
            assert item.value in cleaned.split(" ")  # a word of this post
            pieces = re.findall(r'strongest piece "([^"]+)"', item.description)
            assert all(piece in cleaned for piece in pieces)
    top = score.evidence[0]
    assert top.value in {"zorvak", "quenlit"} and top.contribution > 0


def test_contributions_add_up_to_the_log_odds(trained):
    cleaned = clean_post("zorvak the plimsey مدينة today zorvak").text
    parts = trained.contributions(cleaned)
    log_odds = trained.decision_function_vectors(trained.vectorize([cleaned]))[0]
    assert abs(sum(total for _, total, _, _ in parts) + trained.intercept_ - log_odds) < 1e-4
    assert len({word for word, *_ in parts}) == len(parts)  # a repeated word is one line


@pytest.mark.parametrize(
    ("post", "skipped"),
    [("", "empty post"), ("🔥🦅 🖤", "emoji"), ("@a https://t.co/b", "links and mentions"), ("2015 !!!", "digits")],
)
def test_bad_posts_are_skipped_with_a_reason(trained, post, skipped):
    (score,) = trained.score([post])
    assert score.probability is None and not score.flagged and skipped in score.skipped
    assert np.isnan(trained.predict_proba([post])).all() and trained.predict([post])[0] == 0


def test_huge_and_mixed_script_posts_are_scored_and_say_so(trained):
    huge = ("zorvak the city " * 7000)[:100_000]
    started = time.perf_counter()
    (big,) = trained.score([huge], explain=True)
    assert time.perf_counter() - started < 1.0
    assert big.truncated and big.probability is not None
    assert any("long post (100,000 characters)" in e.description for e in big.evidence)
    (mixed,) = trained.score(["zorvak news وارفن مدينة"], explain=True)
    assert mixed.probability is not None
    assert any(e.description.startswith("mixed scripts:") and "arabic" in e.description and "latin" in e.description for e in mixed.evidence)


def test_scores_do_not_depend_on_batching(trained):
    texts, _, _ = synthetic_posts(accounts_per_class=3, posts_per_account=30, seed=5)
    together = trained.predict_proba(texts)[:, 1]
    one_by_one = np.array([trained.predict_proba([t])[0, 1] for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-6)


# --- persistence --------------------------------------------------------------------------------


def test_save_load_round_trip_gives_identical_scores(trained, tmp_path):
    weights, meta = trained.save(tmp_path / "m", {"note": "synthetic"})
    assert (weights.name, meta.name) == ("m.npz", "m.json")
    loaded = ContentClassifier.load(tmp_path / "m.json")
    texts, _, _ = synthetic_posts(accounts_per_class=2, seed=3)
    assert np.array_equal(loaded.predict_proba(texts), trained.predict_proba(texts), equal_nan=True)
    assert loaded.version_ == trained.version_ and loaded.trained_on_ == {"note": "synthetic"}
    assert [s.evidence for s in loaded.score(texts[:5], explain=True)] == [s.evidence for s in trained.score(texts[:5], explain=True)]
    payload = json.loads(meta.read_text())
    assert payload["features"]["n_features_log2"] == SMALL.n_features_log2 and payload["params"]["threshold"] is None
    assert payload["threshold_chosen"] == trained.threshold_ and loaded.decision_threshold == trained.threshold_
    del payload["threshold_chosen"]  # a model saved before thresholds were learned keeps 0.5
    meta.write_text(json.dumps(payload))
    assert ContentClassifier.load(tmp_path / "m").decision_threshold == DEFAULT_THRESHOLD
    with zipfile.ZipFile(weights) as archive:  # plain arrays, nothing pickled
        assert sorted(archive.namelist()) == ["coef.npy", "intercept.npy"]
    with np.load(weights, allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == np.float32


def test_load_refuses_damaged_or_mismatched_files(trained, tmp_path):
    trained.save(tmp_path / "m")
    other = ContentClassifier(features=SMALL, epochs=3, random_state=7).fit(*synthetic_posts(seed=1))
    other.save(tmp_path / "o")
    (tmp_path / "m.npz").write_bytes((tmp_path / "o.npz").read_bytes())
    with pytest.raises(ModelFileError, match="checksum"):
        ContentClassifier.load(tmp_path / "m")
    with pytest.raises(ModelFileError, match="train one: hydrawatch train content"):
        ContentClassifier.load(tmp_path / "missing")
    meta = json.loads((tmp_path / "o.json").read_text())
    meta["format"] = "content-ngram-0"
    (tmp_path / "o.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="Retrain"):
        ContentClassifier.load(tmp_path / "o")


# --- de-duplication and evaluation --------------------------------------------------------------------


def test_near_duplicates_across_accounts_keep_one_post_per_label():
    posts = LabelledPosts()
    long_text = "one two three four five six seven eight nine ten eleven"
    raw = [
        ("RT @x: " + long_text, 1, "a"),
        (long_text + " https://t.co/q", 1, "b"),  # same text, other account
        (" ".join(long_text.split()[:9]) + " tw…", 1, "c"),  # truncated copy
        (long_text, 0, "d"),  # the same text among negatives
        ("something else entirely", 0, "e"),
        ("🔥", 0, "f"),  # nothing to classify: kept, the classifier will skip it
    ]
    for text, label, group in raw:
        posts.add(text, label, "s1" if label else "s0", group, (), group)
    cleaned = [clean_post(text).text for text in posts.texts]
    kept, kept_clean, report = deduplicate(posts, cleaned)
    assert kept.groups == ["a", "d", "e", "f"]
    assert report.clusters_with_both_labels == 1 and report.empty_after_cleaning == {"s0": 1}
    assert len(kept_clean) == len(kept)
    assert near_duplicate_keys("") == [] and len(near_duplicate_keys("a b")) == 1


def test_evaluate_reports_metrics_per_set_and_label():
    texts, labels, groups = synthetic_posts(accounts_per_class=10, posts_per_account=12)
    posts = LabelledPosts()
    for i, (text, label, group) in enumerate(zip(texts, labels, groups)):
        set_name = "isis-fanboy" if label else ("osact" if i % 2 else "ira")
        tags = ("HS3",) if set_name == "osact" and i % 4 == 1 else (("NOT_OFF",) if set_name == "osact" else ("original",))
        posts.add(text, label, set_name, group, tags, str(i), None if set_name == "osact" else group)
    cleaned = [clean_post(t).text for t in posts.texts]
    report = evaluate(posts, cleaned, lambda seed: ContentClassifier(features=SMALL, epochs=5, random_state=seed), folds=3, seeds=[1, 2])
    summary = report.summary()
    assert len(report.per_fold) == 6 and summary["macro_f1"]["mean"] > 0.8
    assert {f"fpr:{HARD_LABEL}", "fpr:osact", "fpr:ira", "fpr:osact:HS3", "recall:latin", "roc_auc"} <= summary.keys()
    pooled = report.pooled[0]
    assert pooled["positives"]["posts"] == sum(labels) and pooled[HARD_LABEL]["posts"] == sum(1 for t in posts.tags if "HS3" in t)
    assert [row["threshold"] for row in report.thresholds][:2] == [0.2, 0.3]
    assert {"threshold", "recall:original"} <= summary.keys()  # no synthetic post is a retweet or reply
    assert all(row["threshold"] in THRESHOLD_GRID for row in report.per_fold)  # each fold chose its own
    # In context: the same metrics; posts without an author (here OSACT) are scored alone in both views.
    assert {"in_context:macro_f1", f"in_context:fpr:{HARD_LABEL}", "in_context_threshold"} <= summary.keys()
    assert all(row[f"in_context:fpr:{HARD_LABEL}"] == row[f"fpr:{HARD_LABEL}"] for row in report.per_fold)
    assert pooled["positives"]["flagged_in_context"] >= pooled["positives"]["flagged"] * 0.9


# --- CLI ---------------------------------------------------------------------------------------


def _cli(*args: object, input: str | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def test_cli_commands_have_help():
    for command in (["classify"], ["train", "content"], ["eval", "content"]):
        result = _cli(*command, "--help")
        assert result.exit_code == 0 and len(result.output) > 200, command


def test_cli_classify_text_jsonl_and_stdin(trained, tmp_path):
    trained.save(tmp_path / "m")
    result = _cli("classify", "--model", tmp_path / "m", "--text", "zorvak quenlit the city", "--text", "🔥", "-f", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["flagged"] and rows[0]["model_version"] == trained.version_ and rows[0]["evidence"]
    assert rows[1]["probability"] is None and "emoji" in rows[1]["skipped"]
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "p1", "author_id": "u1", "text": "plimsey durnakt today"}\nnot json\n{"id": "p2"}\n\n'
                     '{"post_id": "p3", "account_id": "u2", "text": "zorvak mabrosh news"}\n')
    result = _cli("classify", "--model", tmp_path / "m", posts, "-f", "csv", "--flagged-only")
    assert result.exit_code == 0, result.output
    assert [line.split(",")[:2] for line in result.stdout.splitlines()] == [["post_id", "account_id"], ["p3", "u2"]]
    messages = " ".join(result.stderr.split())
    assert "posts.jsonl:2: not JSON" in messages and "posts.jsonl:3: no string `text` field" in messages
    result = _cli("classify", "--model", tmp_path / "m", "-", "-f", "jsonl", input='{"text": "zorvak quenlit"}\n')
    assert result.exit_code == 0 and json.loads(result.stdout)["post_id"] == "<stdin>:1"


def test_cli_classify_reads_the_store(trained, tmp_path):
    from hydrawatch.ingest import ingest_paths
    from hydrawatch.store.duck import Store

    from builders import flat_tweet, jsonl

    trained.save(tmp_path / "m")
    (tmp_path / "t.jsonl").write_bytes(jsonl([
        flat_tweet("1", "10", "alpha", text="zorvak quenlit mabrosh the city"),
        flat_tweet("2", "20", "beta", text="plimsey frespo holvine today"),
    ]))
    with Store(tmp_path / "s.duckdb") as store:
        ingest_paths(store, [tmp_path / "t.jsonl"])
    result = _cli("classify", "--model", tmp_path / "m", "--db", tmp_path / "s.duckdb", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = {row["post_id"]: row for row in json.loads(result.stdout)}
    assert rows.keys() == {"1", "2"} and rows["1"]["account_id"] == "10"
    assert rows["1"]["flagged"] and not rows["2"]["flagged"]


def test_cli_reports_a_missing_model_and_bad_threshold(tmp_path):
    result = _cli("classify", "--model", tmp_path / "none", "--text", "x")
    assert result.exit_code == 1 and "hydrawatch train content" in result.stderr
    result = _cli("classify", "--text", "x", "--threshold", "2") if default_model_path().with_suffix(".json").exists() else None
    assert result is None or result.exit_code == 2


# --- in context of the author --------------------------------------------------------------------


def mostly_ordinary_posts(accounts_per_class: int = 14, posts_per_account: int = 30, topical: float = 0.3, seed: int = 0):
    """Accounts whose label shows in only ``topical`` of their posts; the rest are filler that
    both classes post alike (like the real support accounts' sport and greetings)."""
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for label, vocabulary in ((1, _POSITIVE_WORDS), (0, _NEGATIVE_WORDS)):
        for account in range(accounts_per_class):
            for _ in range(posts_per_account):
                words = rng.choices(_FILLER, k=rng.randint(3, 8))
                if rng.random() < topical:
                    words += rng.choices(vocabulary, k=rng.randint(1, 2))
                rng.shuffle(words)
                texts.append(" ".join(words))
                labels.append(label)
                groups.append(f"{label}-{account}")
    return texts, labels, groups


def test_training_contexts_are_other_posts_of_the_same_author():
    # Values 2**i (i: position within the author) make a context's sum name exactly which posts it used.
    rng = np.random.default_rng(3)
    sizes = {"a": 1, "b": 2, "c": 7, "d": 40, "": 5}
    authors = np.array([a for a, n in sizes.items() for _ in range(n)], dtype=object)
    position = np.concatenate([np.arange(n) for n in sizes.values()])
    order = rng.permutation(len(authors))
    authors, position = authors[order], position[order]
    values = 2.0 ** position
    mean, count = sample_contexts(values, authors, np.random.default_rng(0))
    allowed = {s for s in CONTEXT_SIZES if s is not None}
    for i in range(len(values)):
        n = sizes[authors[i]]
        if authors[i] == "" or n == 1:
            assert count[i] == 0 and mean[i] == 0, i
            continue
        k = int(count[i])
        assert 1 <= k <= n - 1 and (k in allowed or k == n - 1), (i, k)
        used = int(round(mean[i] * k))
        members = [j for j in range(n) if used >> j & 1]
        assert len(members) == k and position[i] not in members, (i, members)
    # with every size drawn over many posts, whole-author contexts (the LOO mean) occur
    assert (count[authors == "d"] == 39).any() and (count[authors == "d"] == 1).any()


def test_context_leaves_out_the_post_itself_and_unknown_authors():
    log_odds = np.array([1.0, 3.0, np.nan, 5.0, -2.0, 7.0])
    authors = ["a", "a", "a", "b", None, "a"]
    totals = author_totals(log_odds, authors)
    assert totals == {"a": (11.0, 3), "b": (5.0, 1)}
    mean, count = _others(log_odds, authors, totals)
    assert mean.tolist() == [5.0, 4.0, 11 / 3, 0.0, 0.0, 2.0] and count.tolist() == [2, 2, 3, 0, 0, 2]


def test_context_stage_reads_accounts_whose_posts_are_mostly_ordinary(tmp_path):
    texts, labels, groups = mostly_ordinary_posts()
    model = ContentClassifier(features=SMALL, epochs=10).fit(texts, labels, groups, authors=groups)
    assert model.has_context and model.context_threshold in THRESHOLD_GRID
    held_texts, held_labels, held_groups = mostly_ordinary_posts(accounts_per_class=6, seed=7)
    y = np.array(held_labels)
    X = model.vectorize([c.text for c in model.clean(held_texts)])
    scored = model.predict_proba_in_context(X, [f"new-{g}" for g in held_groups])
    post_flags = np.nan_to_num(scored.post_probability) >= model.decision_threshold
    from sklearn.metrics import f1_score

    alone, in_context = f1_score(y, post_flags, average="macro"), f1_score(y, scored.flagged, average="macro")
    assert alone < 0.85 and in_context > 0.95, (alone, in_context)
    assert scored.in_context.all() and (scored.others == 29).all()
    # Posts without an author, or whose author has no other post, are scored alone.
    lone = model.predict_proba_in_context(X[:3], [None, "x", "y"])
    assert not lone.in_context.any() and np.allclose(lone.probability, lone.post_probability)
    assert (lone.threshold == model.decision_threshold).all()
    # Scores in batches with the authors' totals equal one batch of everything.
    log_odds = model.log_odds(held_texts)
    authors = [f"new-{g}" for g in held_groups]
    totals = author_totals(log_odds, authors)
    half = len(held_texts) // 2
    parts = [model.score(held_texts[a:b], explain=False, authors=authors[a:b], totals=totals) for a, b in ((0, half), (half, None))]
    whole = model.score(held_texts, explain=False, authors=authors)
    assert [s.probability for s in parts[0] + parts[1]] == pytest.approx([s.probability for s in whole])
    # The evidence of a flagged in-context score says what the author's other posts did.
    flagged = next(s for s, label in zip(whole, held_labels) if s.flagged and label == 1 and s.author_posts)
    flagged = model.score([held_texts[whole.index(flagged)]], authors=[authors[whole.index(flagged)]], totals=totals)[0]
    assert flagged.evidence[0].signal == "content_author_context" and "other posts" in flagged.evidence[0].description
    # The context stage is saved and loaded with the model and is part of its version.
    model.save(tmp_path / "m")
    loaded = ContentClassifier.load(tmp_path / "m")
    assert loaded.context_ == pytest.approx(model.context_) and loaded.version_ == model.version_
    assert np.allclose(loaded.predict_proba_in_context(X, authors).probability, model.predict_proba_in_context(X, authors).probability)
    without = ContentClassifier(features=SMALL, epochs=10).fit(texts, labels, groups)
    assert not without.has_context and without.version_ != model.version_
    without.save(tmp_path / "plain")
    plain = ContentClassifier.load(tmp_path / "plain")
    assert not plain.has_context and not plain.predict_proba_in_context(X, authors).in_context.any()


def test_cli_classify_scores_in_context_unless_told_not_to(tmp_path):
    texts, labels, groups = mostly_ordinary_posts()
    ContentClassifier(features=SMALL, epochs=10).fit(texts, labels, groups, authors=groups).save(tmp_path / "m")
    held_texts, _, held_groups = mostly_ordinary_posts(accounts_per_class=2, posts_per_account=5, seed=5)
    lines = [json.dumps({"id": f"p{i}", "account_id": g, "text": t}) for i, (t, g) in enumerate(zip(held_texts, held_groups))]
    lines.insert(3, "not json")
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n")
    result = _cli("classify", "--model", tmp_path / "m", tmp_path / "posts.jsonl", "-f", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 20 and all(row["author_posts"] == 4 for row in rows)
    assert " ".join(result.stderr.split()).count("posts.jsonl:4: not JSON") == 1  # two passes, one report
    alone = _cli("classify", "--model", tmp_path / "m", tmp_path / "posts.jsonl", "-f", "jsonl", "--no-context")
    rows_alone = [json.loads(line) for line in alone.stdout.splitlines()]
    assert all(row["author_posts"] == 0 and row["probability"] == row["post_probability"] for row in rows_alone)
    assert [r["post_probability"] for r in rows] == [r["post_probability"] for r in rows_alone]
    piped = _cli("classify", "--model", tmp_path / "m", "-", "-f", "jsonl", input=(tmp_path / "posts.jsonl").read_text())
    assert piped.exit_code == 0 and [json.loads(line) for line in piped.stdout.splitlines()] == rows
    assert " ".join(piped.stderr.split()).count("<stdin>:4: not JSON") == 1


# --- the real data sets --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_posts():
    if not (SHARED_DATA / "isis-fanboy" / "IsisFanboy.csv").exists():
        pytest.skip(f"real data sets not present in {SHARED_DATA} (see ../shared/data/README.md)")
    from hydrawatch.signals.content_data import prepared_posts

    return prepared_posts(SHARED_DATA)


def _positive_phrases(posts: LabelledPosts, count: int = 12) -> list[str]:
    """Frequent 4-word phrases of the positive posts (never printed)."""
    phrases: Counter[str] = Counter()
    for text, label in zip(posts.texts, posts.labels):
        if label == 1:
            words = re.findall(r"[^\W\d_]{3,}", text)
            phrases.update(" ".join(words[i : i + 4]) for i in range(len(words) - 3))
    return [phrase for phrase, _ in phrases.most_common(count)]


@pytest.mark.realdata
@pytest.mark.slow
def test_real_data_loads_every_set_and_skips_the_cut_short_record(real_posts):
    posts, cleaned, files, dedup = real_posts
    by_set = {f.set_name: f for f in files}
    assert by_set["isis-fanboy"].rows == 17_391 and by_set["isis-fanboy"].problems == 1  # the fragment at the end
    assert by_set["ira"].rows == 88_582 and by_set["lhsab"].rows == 5_846
    assert sum(f.rows for f in files if f.set_name == "osact") == 9_823
    counts = posts.counts()
    assert counts["isis-fanboy"]["groups"] <= 112 and counts["ira"]["groups"] >= 200
    assert dedup.after["ira"] < dedup.before["ira"]  # troll retweets of one text collapse
    # OSACT's placeholders for links and newlines leave no trace in what the model reads.
    assert not any(re.search(r"\b(url|lf)\b", text) for text, s in zip(cleaned, posts.sets) if s == "osact")


@pytest.mark.realdata
@pytest.mark.slow
def test_trained_on_a_real_subset_it_separates_held_out_accounts(real_posts, tmp_path):
    posts, cleaned, _, _ = real_posts
    rng = random.Random(4)
    groups = sorted(set(posts.groups))
    rng.shuffle(groups)
    # A third of the accounts (and row blocks) for training, another third held out.
    train_groups, test_groups = set(groups[: len(groups) // 3]), set(groups[len(groups) // 3 : 2 * len(groups) // 3])
    train = [i for i, g in enumerate(posts.groups) if g in train_groups]
    test = [i for i, g in enumerate(posts.groups) if g in test_groups]
    model = ContentClassifier()
    X = model.vectorize(cleaned)
    y = posts.y
    model.fit_vectors(X[train], y[train], np.asarray(posts.groups)[train])
    p = model.predict_proba_vectors(X[test])[:, 1]
    flags = np.where(np.isnan(p), False, np.nan_to_num(p) >= model.decision_threshold)
    from sklearn.metrics import f1_score

    y_test = y[test]
    alone = f1_score(y_test, flags, average="macro")
    assert alone > 0.75
    hard = np.array([posts.sets[i] == "osact" and any(t.startswith("HS") or t == "VIO" for t in posts.tags[i]) for i in test])
    assert flags[hard].mean() < 0.02
    # In context of their authors' other held-out posts the account-level labels are far easier
    # to meet; OSACT posts have no authors and keep their post-alone verdicts.
    authors = np.asarray(posts.authors, dtype=object)
    in_context = ContentClassifier().fit_vectors(X[train], y[train], np.asarray(posts.groups)[train], list(authors[train]))
    scored = in_context.predict_proba_in_context(X[test], list(authors[test]))
    assert np.allclose(np.nan_to_num(scored.post_probability), np.nan_to_num(p))  # the same linear model
    assert f1_score(y_test, scored.flagged, average="macro") > alone + 0.03
    assert (scored.flagged[hard] == flags[hard]).all()
    # The saved files hold no training text: frequent positive phrases appear nowhere in them,
    # neither in the file bytes nor in the decompressed arrays.
    weights, meta = model.save(tmp_path / "real", {"note": "subset"})
    with np.load(weights, allow_pickle=False) as arrays:
        blobs = [weights.read_bytes(), meta.read_bytes(), arrays["coef"].tobytes(), arrays["intercept"].tobytes()]
    phrases = _positive_phrases(posts.subset(train))
    assert len(phrases) >= 10
    leaked = [i for i, phrase in enumerate(phrases) for form in {phrase, phrase.lower(), clean_post(phrase).text}
              if any(form.encode() in blob for blob in blobs)]
    assert leaked == [], f"positive training phrases (indexes {leaked}) found in the model files"


@pytest.mark.realdata
def test_the_shipped_model_holds_no_training_text(real_posts):
    path = default_model_path()
    if not path.with_name(path.name + ".npz").exists():
        pytest.skip("no shipped content model yet (hydrawatch train content)")
    posts = real_posts[0]
    model = ContentClassifier.load(path)
    assert model.trained_on_["after_deduplication"]["isis-fanboy"]["posts"] > 10_000
    blobs = [path.with_name(path.name + suffix).read_bytes() for suffix in (".npz", ".json")]
    with np.load(path.with_name(path.name + ".npz"), allow_pickle=False) as arrays:
        blobs.append(arrays["coef"].tobytes())
    phrases = _positive_phrases(posts)
    leaked = [i for i, phrase in enumerate(phrases) if any(phrase.lower().encode() in blob for blob in blobs)]
    assert leaked == [], f"positive training phrases (indexes {leaked}) found in the shipped model"
