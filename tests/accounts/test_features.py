"""Each account feature on the hand-built platform of :mod:`.small_platform`, read from a real
store: direction matters (a counter-messenger who replies to seeds all day gets no
endorsement signal), noisy seeds weigh little, and unknowns stay unknown."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hydrawatch.accounts.batch import read_account_data, resolve_seeds
from hydrawatch.accounts.features import INDEX, SeedSet, account_features, hashtag_lift, share_below, tone_documents, weigh_seeds
from hydrawatch.accounts.text import TextModel

from .small_platform import ARGUMENT, IDS, NETWORK_SEEDS, SEEDS, SUPPORT, ingest


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from hydrawatch.store.duck import Store

    folder = tmp_path_factory.mktemp("platform")
    with Store(folder / "store.duckdb") as store:
        ingest(store, folder)
        data = read_account_data(store)
        yield store, data


def _row(data, name: str) -> int:
    return data.row_of[("twitter", IDS[name])]


def _seeds(data, spam_weight: float = 0.0) -> SeedSet:
    """The network seeds at full weight, the spam seed at ``spam_weight`` (as the own-text
    model would weigh it)."""
    rows = np.array([_row(data, n) for n in SEEDS])
    weights = np.array([1.0 if n in NETWORK_SEEDS else spam_weight for n in SEEDS])
    return SeedSet(rows, weights)


@pytest.fixture(scope="module")
def features(platform):
    _, data = platform
    seeds = _seeds(data)
    names = ("fan", "counter", "researcher", "news", "newcomer", "bystander")
    rows = np.array([_row(data, n) for n in names])
    own = np.full(len(data), np.nan)
    X = account_features(data, seeds, own, None, rows)
    return {name: dict(zip(INDEX, X[i].tolist())) for i, name in enumerate(names)}


def test_store_data_holds_the_platform(platform):
    _, data = platform
    assert data.ended[[_row(data, n) for n in SEEDS]].all()
    assert not data.ended[_row(data, "fan")]
    assert data.has_follows
    assert data.edges["repost"][_row(data, "fan"), _row(data, "s1")] == 1
    assert data.link_counts[_row(data, "fan")].sum() == 1  # t.me
    assert "newrelease" in data.hashtag_names


def test_reposts_of_seeds_are_endorsement(features):
    fan = features["fan"]
    assert fan["seed_reposts"] == 2 and fan["seed_repost_share"] == 1.0
    assert fan["followed_by_seeds"] == 2 and fan["seed_followees"] == 3


def test_counter_messenger_replying_to_seeds_gets_no_endorsement_signal(features):
    counter = features["counter"]
    assert counter["seed_replies"] == 5 and counter["seed_reply_share"] == 1.0
    assert counter["seed_quotes"] == 1
    assert counter["seed_reposts"] == 0 and math.isnan(counter["seed_repost_share"])  # no reposts at all
    assert counter["followed_by_seeds"] == 0
    # a reply names its target: that is not counted again as a mention
    assert counter["seed_mentions"] == 0
    # the seeds endorse the fan (they follow it), not the counter-messenger
    assert features["fan"]["ppr_endorsed_by_seeds"] > counter["ppr_endorsed_by_seeds"]


def test_researcher_follows_seeds_but_nobody_in_the_network_follows_back(features):
    researcher = features["researcher"]
    assert researcher["seed_followees"] == 3 and researcher["seed_followee_share"] == 1.0
    assert researcher["followed_by_seeds"] == 0 and researcher["seed_reposts"] == 0
    assert researcher["ppr_endorsed_by_seeds"] < features["fan"]["ppr_endorsed_by_seeds"]


def test_noisy_seeds_weigh_what_their_weight_says(platform, features):
    _, data = platform
    # the spam seed follows the news outlet and the bystander; at weight 0 that is nothing
    assert features["news"]["followed_by_seeds"] == 0 and features["bystander"]["followed_by_seeds"] == 0
    rows = np.array([_row(data, "news")])
    heavy = account_features(data, _seeds(data, spam_weight=1.0), np.full(len(data), np.nan), None, rows)
    assert heavy[0, INDEX["followed_by_seeds"]] == 1


def test_shout_out_mentions_reach_the_new_account(features):
    newcomer = features["newcomer"]
    assert newcomer["mentioned_by_seeds"] == 1
    assert math.isnan(newcomer["repost_ratio"])  # no posts: unknown, not zero
    assert math.isnan(newcomer["telegram_link_share"])


def test_links_hashtags_and_behaviour(features, platform):
    _, data = platform
    fan = features["fan"]
    assert fan["telegram_link_share"] == pytest.approx(1 / 2)  # one of its two own posts (reply + original)
    assert fan["content_store_link_share"] == 0
    assert fan["seed_hashtag_affinity"] > 0 > features["counter"]["seed_hashtag_affinity"]
    assert fan["seed_hashtag_share"] >= features["counter"]["seed_hashtag_share"] == 0
    lift = dict(zip(data.hashtag_names, hashtag_lift(data, _seeds(data).vector(len(data)))))
    assert lift["newrelease"] > 0 > lift["realstories"]
    assert fan["repost_ratio"] == pytest.approx(2 / 4)
    assert features["bystander"]["follow_data"] == 1.0


def test_tone_documents_hold_what_was_said_to_credible_seeds(platform):
    _, data = platform
    documents = tone_documents(data, _seeds(data).vector(len(data)))
    assert SUPPORT in documents[_row(data, "fan")]
    assert ARGUMENT in documents[_row(data, "counter")] and "they lie" in documents[_row(data, "counter")]
    assert "reporter explains" in documents[_row(data, "news")]
    assert documents[_row(data, "bystander")] == ""  # it replied to nobody


def test_tone_model_tells_support_from_argument(platform):
    _, data = platform
    support = [f"{SUPPORT} {i}" for i in range(20)] + ["spread it brothers, may god reward you"] * 5
    argument = [f"{ARGUMENT} {i}" for i in range(20)] + ["this is a lie, families first, ask first"] * 5
    model = TextModel(n_features_log2=12).fit(support + argument, np.array([1] * 25 + [0] * 25))
    documents = tone_documents(data, _seeds(data).vector(len(data)))
    fan, counter = model.predict_proba([documents[_row(data, "fan")], documents[_row(data, "counter")]])[:, 1]
    assert fan > 0.5 > counter
    rows = np.array([_row(data, "fan"), _row(data, "counter"), _row(data, "bystander")])
    X = account_features(data, _seeds(data), np.full(len(data), np.nan), model, rows)
    tone = X[:, INDEX["tone_to_seeds"]]
    assert tone[0] > 0.5 > tone[1] and np.isnan(tone[2])


def test_seed_weights_come_from_the_own_text_score():
    scores = np.array([0.9, np.nan, 0.05, 0.6])
    seeds = weigh_seeds(np.array([2, 0, 1, 0]), scores)
    assert seeds.rows.tolist() == [0, 1, 2]
    assert seeds.weights.tolist() == [0.9, 0.5, 0.05]  # nothing to read: 0.5
    assert seeds.effective == pytest.approx(1.45)


def test_share_below_is_scale_free():
    values = np.array([0.0, 0.0, 0.1, 0.5, 0.5, 2.0])
    assert share_below(values).tolist() == [0.0, 0.0, 2 / 6, 3 / 6, 3 / 6, 5 / 6]
    assert share_below(values * 1000).tolist() == share_below(values).tolist()


def test_seed_file_entries_resolve_by_id_and_handle(platform):
    store, data = platform
    rows, unknown = resolve_seeds(store, data, ["101", "@S2_ACCT", "@nobody_here", "999999"])
    assert sorted(data.account_id[r] for r in rows) == ["101", "102"]
    assert unknown == ["@nobody_here", "999999"]


def test_without_seeds_only_the_account_itself_counts(platform):
    _, data = platform
    rows = np.array([_row(data, "fan")])
    X = account_features(data, SeedSet(np.zeros(0, dtype=np.int64), np.zeros(0)), np.full(len(data), np.nan), None, rows)
    assert X[0, INDEX["seed_reposts"]] == 0 and np.isnan(X[0, INDEX["ppr_endorsed_by_seeds"]])
    assert X[0, INDEX["telegram_link_share"]] == pytest.approx(0.5)


# --- every feature, one table -----------------------------------------------------------------
# The value each account of the platform must get, seeds s1-s3 at weight 1 and the spam seed at
# 0, the fan's own text scored 0.9 and nobody else's readable (no tone model: see the tone tests).
# NaN means "unknown", which the tree model treats apart from 0.
NAN = math.nan
DAYS_BEFORE_END = (1420340520.0 - 1401580800.0) / 86400  # created 2014-06-01, last post 2015-01-04 03:02
FEATURE_CASES: dict[str, dict[str, float]] = {
    "own_text": {"fan": 0.9, "counter": NAN},
    "tone_to_seeds": {"fan": NAN, "counter": NAN},
    "seed_reposts": {"fan": 2, "counter": 0, "bystander": 0},
    "seed_repost_share": {"fan": 1.0, "bystander": 0.0, "counter": NAN},
    "seed_quotes": {"counter": 1, "news": 1, "fan": 0},
    "seed_quote_share": {"news": 1.0, "fan": NAN},
    "seed_replies": {"counter": 5, "fan": 1, "news": 0},
    "seed_reply_share": {"counter": 1.0, "news": NAN},
    "seed_mentions": {"counter": 0, "fan": 0},
    "seed_followees": {"fan": 3, "researcher": 3, "recruit": 1, "news": 0},
    "seed_followee_share": {"researcher": 1.0, "bystander": 0.0, "news": NAN},
    "reposted_by_seeds": {"fan": 1, "counter": 0},
    "replied_by_seeds": {"fan": 1, "counter": 0},
    "mentioned_by_seeds": {"newcomer": 1, "fan": 0},
    "followed_by_seeds": {"fan": 2, "recruit": 1, "researcher": 0, "news": 0},
    "seed_follower_share": {"fan": 1.0, "news": 0.0, "counter": NAN},
    "ppr_endorsed_by_seeds": {"news": 0.0, "counter": 0.0},
    "ppr_endorses_seeds": {"news": 0.0, "bystander": 0.0},
    "seed_hashtag_affinity": {"researcher": NAN},
    "seed_hashtag_share": {"fan": 0.0, "counter": 0.0, "news": NAN},
    "telegram_link_share": {"fan": 0.5, "recruit": 0.0, "newcomer": NAN},
    "content_store_link_share": {"fan": 0.0, "newcomer": NAN},
    "alt_platform_link_share": {"recruit": 1.0, "fan": 0.0},
    "ever_protected": {"recruit": 1.0, "fan": 0.0},
    "appeared_in_window": {"recruit": 1.0, "fan": 0.0},
    "days_since_appeared": {"fan": DAYS_BEFORE_END, "recruit": (1420340520.0 - 1420200000.0) / 86400},
    "posts": {"counter": math.log1p(7), "newcomer": 0.0},
    "repost_ratio": {"bystander": 1.0, "fan": 0.5, "newcomer": NAN},
    "reply_ratio": {"counter": 5 / 7, "fan": 0.25, "newcomer": NAN},
    "quote_ratio": {"counter": 1 / 7, "news": 0.5, "newcomer": NAN},
    "followers": {"fan": math.log1p(10), "newcomer": NAN},
    "weighted_seeds": {"fan": math.log1p(3), "newcomer": math.log1p(3)},
    "follow_data": {"fan": 1.0},
}


@pytest.fixture(scope="module")
def table(platform):
    _, data = platform
    names = sorted({name for cases in FEATURE_CASES.values() for name in cases})
    own = np.full(len(data), np.nan)
    own[_row(data, "fan")] = 0.9
    X = account_features(data, _seeds(data), own, None, np.array([_row(data, n) for n in names]))
    return {name: dict(zip(INDEX, X[i].tolist())) for i, name in enumerate(names)}


def test_the_table_covers_every_feature():
    from hydrawatch.accounts.features import FEATURE_NAMES

    assert set(FEATURE_CASES) == set(FEATURE_NAMES)


@pytest.mark.parametrize("feature", list(FEATURE_CASES))
def test_feature_values(table, feature):
    for name, expected in FEATURE_CASES[feature].items():
        got = table[name][feature]
        if math.isnan(expected):
            assert math.isnan(got), f"{feature} of {name}: expected unknown, got {got}"
        else:
            assert got == pytest.approx(expected, rel=1e-4, abs=1e-6), f"{feature} of {name}"


def test_pagerank_features_follow_the_direction_of_endorsement(table):
    # the seeds follow and repost the fan, and follow the recruit: PageRank along their edges
    # reaches those two first; the counter-messenger and the news outlet get nothing
    endorsed = {name: row["ppr_endorsed_by_seeds"] for name, row in table.items()}
    assert endorsed["fan"] > endorsed["recruit"] > endorsed["researcher"] == endorsed["counter"] == 0
    # against the edges: whoever follows or reposts seeds reaches them (the researcher too:
    # that is why the two directions are separate features), not the news outlet
    endorses = {name: row["ppr_endorses_seeds"] for name, row in table.items()}
    assert min(endorses["fan"], endorses["researcher"], endorses["counter"], endorses["recruit"]) > endorses["news"] == 0


def test_distinctive_hashtags(platform, monkeypatch):
    import hydrawatch.accounts.features as features

    # On a platform this small, add-a-half smoothing keeps #NewRelease (two seeds, one other
    # account) under the default lift of 3; at a lift of 1.5 it is distinctive of the seeds.
    _, data = platform
    monkeypatch.setattr(features, "DISTINCTIVE_LIFT", 1.5)
    rows = np.array([_row(data, "fan"), _row(data, "counter")])
    X = account_features(data, _seeds(data), np.full(len(data), np.nan), None, rows)
    assert X[:, INDEX["seed_hashtag_share"]].tolist() == [1.0, 0.0]


def test_link_kinds():
    from hydrawatch.accounts.links import link_kind

    assert link_kind("t.me") == link_kind("www.Telegram.me") == "telegram"
    assert link_kind("justpaste.it") == link_kind("web.archive.org") == "content_store"
    assert link_kind("vk.com") == link_kind("pod.diaspora.social") == link_kind("friendica.example.net") == "alt_platform"
    assert link_kind("news.example") is None and link_kind("notvk.com") is None and link_kind("") is None


@pytest.mark.parametrize("feature", list(FEATURE_CASES))
def test_every_feature_has_words_for_a_moderator(table, feature):
    from hydrawatch.accounts.evidence import describe

    generic = feature.replace("_", " ") + ":"
    for value in (0.0, 0.5, 3.0):
        assert not describe(feature, value).startswith(generic), f"{feature} = {value} has no description"
    if any(math.isnan(row[feature]) for row in table.values()):
        assert not describe(feature, NAN).startswith(generic), f"an unknown {feature} has no description"
