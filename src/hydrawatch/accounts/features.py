"""Per-account features relative to a seed set: how an account stands to the network.

Seeds are noisy. The platform's suspensions include spam and mistakes; an export without
compliance events only says which accounts fell silent. So every seed carries a *weight*: how
much its own writing reads like the network's (the own-text model's probability; 0.5 when it
wrote nothing). Every "to seeds" or "by seeds" count below is a sum of seed weights, so a spam
seed that follows half the platform, or an ordinary account that simply went quiet, moves
nobody's score.

The features, by family (each one's words for a moderator are in :mod:`.evidence`):

* **direction-aware interaction**: reposts *of* seeds (endorsement) vs replies and quotes *to*
  seeds (support or argument: the tone model reads them) vs mentions; being reposted,
  replied to, mentioned (shout-outs) and followed *by* seeds; the share of an account's
  reposts, followees and followers that are seeds;
* **network position**: personalised PageRank from the seeds over the endorsement graph
  (reposts and follows), along the edges ("endorsed by the network") and against them
  ("endorses the network"), as the share of accounts ranking lower (scale-free);
* **content**: the own-text model on the account's name, bio and original posts; the tone
  model on its replies and quotes to seeds;
* **hashtags**: how distinctive of the seeds its hashtags are (lift of seed use over
  everyone's use);
* **out-links**: the share of its posts pointing at Telegram, content stores, other platforms;
* **profile and behaviour**: ever protected, appeared during the data's window, days since it
  appeared, volume and mix of posts, followers;
* **context**: how many (weighted) seeds there are and whether follows are known, so one model
  serves stores with and without a follow graph.

Unknowns are NaN (no replies to seeds means no tone, not a neutral tone); the tree model
learns where missing values go.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .data import AccountData
from .graph import DEFAULT_DAMPING, personalized_pagerank
from .links import KIND_NAMES
from .text import TextModel

#: A seed counts as "credible" for the tone model (what do you say to the network?) from this
#: weight on: replies to seeds that read like ordinary users are not replies to the network.
CREDIBLE_SEED = 0.5
#: The weight of a seed that wrote nothing the own-text model can read.
UNREAD_SEED_WEIGHT = 0.5
#: A hashtag is distinctive of the seeds when seeds use it this many times more than everyone.
DISTINCTIVE_LIFT = 3.0
DAY = 86400.0
TONE_CHARS = 6000


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    monotone: int  # +1: more never lowers the score; 0: either way


FEATURES: tuple[Feature, ...] = (
    Feature("own_text", +1),
    Feature("tone_to_seeds", +1),
    Feature("seed_reposts", +1),
    Feature("seed_repost_share", +1),
    Feature("seed_quotes", 0),
    Feature("seed_quote_share", 0),
    Feature("seed_replies", 0),
    Feature("seed_reply_share", 0),
    Feature("seed_mentions", 0),
    Feature("seed_followees", 0),
    Feature("seed_followee_share", 0),
    Feature("reposted_by_seeds", +1),
    Feature("replied_by_seeds", 0),
    Feature("mentioned_by_seeds", 0),
    Feature("followed_by_seeds", +1),
    Feature("seed_follower_share", +1),
    Feature("ppr_endorsed_by_seeds", +1),
    Feature("ppr_endorses_seeds", 0),
    Feature("seed_hashtag_affinity", +1),
    Feature("seed_hashtag_share", +1),
    *(Feature(f"{kind}_link_share", +1) for kind in KIND_NAMES),
    Feature("ever_protected", 0),
    Feature("appeared_in_window", 0),
    Feature("days_since_appeared", 0),
    Feature("posts", 0),
    Feature("repost_ratio", 0),
    Feature("reply_ratio", 0),
    Feature("quote_ratio", 0),
    Feature("followers", 0),
    Feature("weighted_seeds", 0),
    Feature("follow_data", 0),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True)
class SeedSet:
    """Seed rows of an :class:`AccountData` and their weights in [0, 1]."""

    rows: np.ndarray
    weights: np.ndarray
    origin: str = "ended accounts"

    def __len__(self) -> int:
        return int(self.rows.size)

    def vector(self, n: int) -> np.ndarray:
        """The weights as a length-``n`` vector (0 for non-seeds)."""
        full = np.zeros(n)
        full[self.rows] = self.weights
        return full

    @property
    def effective(self) -> float:
        return float(self.weights.sum())


def weigh_seeds(rows: np.ndarray, own_text_score: np.ndarray, origin: str = "ended accounts") -> SeedSet:
    """Weight each seed by how much its own writing reads like the network's."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    scores = own_text_score[rows] if rows.size else np.zeros(0)
    weights = np.where(np.isnan(scores), UNREAD_SEED_WEIGHT, scores)
    return SeedSet(rows, weights.astype(np.float64), origin)


def tone_documents(data: AccountData, seed_vector: np.ndarray) -> list[str]:
    """Per account, what it wrote in replies and quotes to credible seeds (one document)."""
    documents: list[list[str]] = [[] for _ in range(len(data))]
    lengths = np.zeros(len(data), dtype=np.int64)
    credible = seed_vector >= CREDIBLE_SEED
    for source, target, text in zip(data.directed_source.tolist(), data.directed_target.tolist(), data.directed_text):
        if credible[target] and lengths[source] < TONE_CHARS:
            documents[source].append(text)
            lengths[source] += len(text)
    return ["\n".join(parts) for parts in documents]


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    out = np.full(part.shape, np.nan)
    known = whole > 0
    out[known] = part[known] / whole[known]
    return np.clip(out, 0.0, 1.0)


def _rowsum(matrix: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.sum(axis=1)).ravel()


def _colsum(matrix: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.sum(axis=0)).ravel()


def endorsement_graph(data: AccountData) -> sparse.csr_matrix:
    """``i -> j`` when ``i`` reposts (weight ``1 + log`` of the count) or follows ``j``
    (weight 1): the edges along which support flows."""
    reposts = data.edges["repost"].copy()
    reposts.data = 1.0 + np.log(reposts.data)
    follows = data.edges["follow"].copy()
    follows.data = np.ones_like(follows.data)
    return (reposts + follows).tocsr()


def account_features(
    data: AccountData,
    seeds: SeedSet,
    own_text_score: np.ndarray,
    tone_model: TextModel | None,
    rows: np.ndarray | None = None,
    damping: float = DEFAULT_DAMPING,
) -> np.ndarray:
    """The feature matrix (``len(rows) x len(FEATURES)``, float32) of ``rows`` (default:
    every account that is not a seed), relative to ``seeds``. ``own_text_score`` is the
    own-text model's probability for every account (NaN where it wrote nothing)."""
    n = len(data)
    if rows is None:
        is_seed = np.zeros(n, dtype=bool)
        is_seed[seeds.rows] = True
        rows = np.flatnonzero(~is_seed)
    w = seeds.vector(n)
    columns: dict[str, np.ndarray] = {}
    put = columns.__setitem__

    put("own_text", own_text_score)
    if tone_model is not None:
        put("tone_to_seeds", _tone_scores(data, w, tone_model, rows, n))

    reposts, quotes, replies = data.edges["repost"], data.edges["quote"], data.edges["reply"]
    mentions = (data.edges["mention"] - replies).tocsr()  # a reply names its target; that is not a mention
    mentions.data = np.maximum(mentions.data, 0.0)
    mentions.eliminate_zeros()
    follows = data.edges["follow"].copy()
    follows.data = np.ones_like(follows.data)

    put("seed_reposts", reposts @ w)
    put("seed_repost_share", _share(reposts @ w, _rowsum(reposts)))
    put("seed_quotes", quotes @ w)
    put("seed_quote_share", _share(quotes @ w, _rowsum(quotes)))
    put("seed_replies", replies @ w)
    put("seed_reply_share", _share(replies @ w, _rowsum(replies)))
    put("seed_mentions", mentions @ w)
    put("reposted_by_seeds", reposts.T @ w)
    put("replied_by_seeds", replies.T @ w)
    put("mentioned_by_seeds", mentions.T @ w)
    if data.has_follows:
        put("seed_followees", follows @ w)
        put("seed_followee_share", _share(follows @ w, _rowsum(follows)))
        put("followed_by_seeds", follows.T @ w)
        put("seed_follower_share", _share(follows.T @ w, _colsum(follows)))

    if seeds.effective > 0:
        graph = endorsement_graph(data)
        put("ppr_endorsed_by_seeds", share_below(personalized_pagerank(graph, w, damping)))
        put("ppr_endorses_seeds", share_below(personalized_pagerank(graph.T.tocsr(), w, damping)))

    affinity, share = _hashtag_affinity(data, w)
    put("seed_hashtag_affinity", affinity)
    put("seed_hashtag_share", share)

    own_posts = data.originals + data.replies + data.quotes
    for index, kind in enumerate(KIND_NAMES):
        put(f"{kind}_link_share", _share(data.link_counts[:, index], own_posts.astype(np.float64)))

    appeared = _appeared_at(data)
    put("ever_protected", data.ever_protected.astype(np.float64))
    if np.isfinite(data.data_start):
        put("appeared_in_window", np.where(np.isnan(appeared), np.nan, (appeared > data.data_start + DAY).astype(np.float64)))
        put("days_since_appeared", np.clip((data.data_end - appeared) / DAY, 0.0, None))
    put("posts", np.log1p(data.posts.astype(np.float64)))
    put("repost_ratio", _share(data.reposts.astype(np.float64), data.posts.astype(np.float64)))
    put("reply_ratio", _share(data.replies.astype(np.float64), data.posts.astype(np.float64)))
    put("quote_ratio", _share(data.quotes.astype(np.float64), data.posts.astype(np.float64)))
    put("followers", np.log1p(data.followers_count))
    put("weighted_seeds", np.full(n, np.log1p(seeds.effective)))
    put("follow_data", np.full(n, float(data.has_follows)))

    X = np.full((rows.size, len(FEATURES)), np.nan, dtype=np.float32)
    for name, values in columns.items():
        X[:, INDEX[name]] = np.asarray(values, dtype=np.float64)[rows] if values.shape[0] == n else values
    return X


def share_below(values: np.ndarray) -> np.ndarray:
    """Per value, the share of all values strictly below it: a PageRank becomes "higher than
    97 % of accounts", the same scale in a store of 5,000 accounts or of 5 million."""
    ordered = np.sort(values)
    return np.searchsorted(ordered, values, side="left") / max(values.size, 1)


def _tone_scores(data: AccountData, w: np.ndarray, model: TextModel, rows: np.ndarray, n: int) -> np.ndarray:
    documents = tone_documents(data, w)
    wanted = [r for r in rows.tolist() if documents[r]]
    scores = np.full(n, np.nan)
    if wanted:
        scores[wanted] = model.predict_proba([documents[r] for r in wanted])[:, 1]
    return scores


def _appeared_at(data: AccountData) -> np.ndarray:
    """Creation time when known, else the first post, else when the store first saw it."""
    return np.where(np.isfinite(data.created_at), data.created_at,
                    np.where(np.isfinite(data.first_post_at), data.first_post_at, data.first_seen_at))


def hashtag_lift(data: AccountData, w: np.ndarray) -> np.ndarray:
    """Per hashtag, the log of how much more common it is among the seeds than among the
    other accounts: each account counts as a seed by its weight and as an other account by
    one minus it (a spam seed is an "other"), with add-a-half smoothing. > 0: the seeds
    favour it."""
    if data.hashtags is None or data.hashtags.shape[1] == 0:
        return np.zeros(0)
    used = data.hashtags.copy()
    used.data = np.ones_like(used.data)
    other = 1.0 - w
    has_tags = _rowsum(used) > 0
    p_seed = (used.T @ w + 0.5) / (w[has_tags].sum() + 1.0)
    p_other = (used.T @ other + 0.5) / (other[has_tags].sum() + 1.0)
    return np.log(p_seed / p_other)


def _hashtag_affinity(data: AccountData, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(data)
    lift = hashtag_lift(data, w)
    if lift.size == 0:
        return np.full(n, np.nan), np.full(n, np.nan)
    used = data.hashtags.copy()
    used.data = np.ones_like(used.data)
    tags = _rowsum(used)
    seed_use = used.T @ w
    distinctive = ((lift >= np.log(DISTINCTIVE_LIFT)) & (seed_use >= 2.0)).astype(np.float64)
    # The mean lift of the account's hashtags (not a share: it may be negative).
    affinity = np.where(tags > 0, (used @ np.clip(lift, -3.0, 5.0)) / np.maximum(tags, 1.0), np.nan)
    return affinity, _share(used @ distinctive, tags)

