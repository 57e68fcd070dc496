"""Each account feature in words a moderator can read and check.

A description says what the value is ("reposted seed accounts 12 times"), and the evidence
adds which way it pushed the score. Counts "to" or "by" seeds are sums of seed weights (a seed
that reads like an ordinary user counts little), so they are rounded and may be fractional.
"""

from __future__ import annotations

import math

from .links import LINK_KINDS

CONTEXT = frozenset({"weighted_seeds", "follow_data"})  # describe the store, not the account

_LINK_WORDS = {
    "telegram": "Telegram",
    "content_store": "content stores (" + ", ".join(LINK_KINDS["content_store"][:3]) + ", ...)",
    "alt_platform": "other platforms (VK, Diaspora, Friendica, ...)",
}


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or abs(value - round(value)) < 0.05 else f"{value:,.1f}"


def _times(value: float) -> str:
    return "once" if abs(value - 1) < 0.05 else f"{_count(value)} times"


def describe(feature: str, value: float) -> str:
    """The value of one feature in words."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if feature.endswith("_link_share"):
            return "no posts of its own that could link anywhere"
        return _UNKNOWN.get(feature, f"{feature.replace('_', ' ')}: unknown")
    v = float(value)
    if feature == "own_text":
        verdict = ("read like the network's" if v >= 0.5 else
                   "share some of the network's wording" if v >= 0.02 else "do not read like the network's")
        return f"its own posts and bio {verdict} (text score {v:.2f})"
    if feature == "tone_to_seeds":
        verdict = "read as support" if v >= 0.5 else "read as argument or reporting, not support"
        return f"its replies and quotes to seed accounts {verdict} (tone score {v:.2f})"
    if feature.endswith("_link_share"):
        kind = feature.removesuffix("_link_share")
        return f"{v:.0%} of its posts link to {_LINK_WORDS.get(kind, kind)}"
    if feature == "seed_hashtag_affinity":
        return f"its hashtags are {math.exp(v):.1f}x as common among seeds as among all accounts"
    if feature == "ever_protected":
        return "was protected (private) at some point" if v >= 0.5 else "never protected"
    if feature == "appeared_in_window":
        return "appeared during the data's window" if v >= 0.5 else "existed before the data's window"
    if feature in ("posts", "followers", "weighted_seeds"):
        noun = {"posts": "posts", "followers": "followers", "weighted_seeds": "weighted seeds"}[feature]
        return f"{math.expm1(v):,.0f} {noun}"
    if feature == "follow_data":
        return "the follow graph is known" if v >= 0.5 else "the store has no follow graph"
    template = _TEMPLATES.get(feature)
    if template is None:
        return f"{feature.replace('_', ' ')}: {v:.3g}"
    if feature.startswith("ppr_") and v < 0.005:
        return "the seeds' reposts and follows do not reach it" if feature == "ppr_endorsed_by_seeds" else \
            "its reposts and follows do not reach the seeds"
    days = "less than a day" if v < 1 else ("1 day" if v < 2 else f"{v:,.0f} days")
    accounts = "account" if _count(v) == "1" else "accounts"
    return template.format(v=v, count=_count(v), times=_times(v), days=days, accounts=accounts)


_TEMPLATES = {
    "seed_reposts": "reposted seed accounts {times}",
    "seed_repost_share": "{v:.0%} of its reposts are of seed accounts",
    "seed_quotes": "quoted seed accounts {times}",
    "seed_quote_share": "{v:.0%} of its quotes are of seed accounts",
    "seed_replies": "replied to seed accounts {times}",
    "seed_reply_share": "{v:.0%} of its replies go to seed accounts",
    "seed_mentions": "mentioned seed accounts {times} outside replies",
    "seed_followees": "follows {count} seed {accounts}",
    "seed_followee_share": "{v:.0%} of the accounts it follows are seeds",
    "reposted_by_seeds": "reposted by seed accounts {times}",
    "replied_by_seeds": "seed accounts replied to it {times}",
    "mentioned_by_seeds": "mentioned by seed accounts {times} (shout-outs, promotions)",
    "followed_by_seeds": "followed by {count} seed {accounts}",
    "seed_follower_share": "{v:.0%} of its followers are seeds",
    "ppr_endorsed_by_seeds": "the seeds' reposts and follows lead to it: PageRank from the seeds above {v:.0%} of accounts",
    "ppr_endorses_seeds": "its reposts and follows lead to the seeds: reverse PageRank from the seeds above {v:.0%} of accounts",
    "seed_hashtag_share": "{v:.0%} of its hashtags are distinctive of the seeds",
    "days_since_appeared": "appeared {days} before the data ends",
    "repost_ratio": "{v:.0%} of its posts are reposts",
    "reply_ratio": "{v:.0%} of its posts are replies",
    "quote_ratio": "{v:.0%} of its posts are quotes",
}

_UNKNOWN = {
    "own_text": "nothing of its own to read (no name, bio or original posts): judged by who interacts with it",
    "tone_to_seeds": "no replies or quotes to seed accounts",
    "seed_repost_share": "no reposts",
    "seed_quote_share": "no quotes",
    "seed_reply_share": "no replies",
    "seed_followees": "whom it follows is unknown (no follow graph)",
    "seed_followee_share": "follows nobody known",
    "followed_by_seeds": "its followers are unknown (no follow graph)",
    "seed_follower_share": "no known followers",
    "ppr_endorsed_by_seeds": "no PageRank (no seeds)",
    "ppr_endorses_seeds": "no PageRank (no seeds)",
    "appeared_in_window": "when it appeared is unknown",
    "days_since_appeared": "when it appeared is unknown",
    "repost_ratio": "no posts",
    "reply_ratio": "no posts",
    "quote_ratio": "no posts",
    "seed_hashtag_affinity": "uses no hashtags",
    "seed_hashtag_share": "uses no hashtags",
    "followers": "follower count unknown",
}


def with_direction(description: str, log_odds: float) -> str:
    """``description`` with the way it moved the score: ``(raises +1.2)``."""
    verb = "raises" if log_odds > 0 else "lowers"
    return f"{description} ({verb} {log_odds:+.1f})"
