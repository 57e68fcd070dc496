"""Network-account scoring: given seeds (the platform's suspensions, or a list of known
accounts), find the rest of the network among the accounts still active, without flagging
those who only report on it, argue with it or study it.

Library API::

    from hydrawatch.accounts import score_accounts, AccountScorer, AccountData

The store-facing composition (read a store, resolve a seed file, open review cases) is in
:mod:`hydrawatch.accounts.batch`; training and measuring on simulated worlds in
:mod:`hydrawatch.accounts.training`.
"""

from .data import AccountData
from .detect import AccountScores, default_model_path, load_default_scorer, score_accounts
from .features import FEATURE_NAMES, SeedSet, account_features, weigh_seeds
from .graph import personalized_pagerank, personalized_pagerank_reference
from .scorer import MODEL_VERSION, AccountScorer
from .text import TextModel

__all__ = [
    "MODEL_VERSION",
    "FEATURE_NAMES",
    "AccountData",
    "AccountScorer",
    "AccountScores",
    "SeedSet",
    "TextModel",
    "account_features",
    "default_model_path",
    "load_default_scorer",
    "personalized_pagerank",
    "personalized_pagerank_reference",
    "score_accounts",
    "weigh_seeds",
]
