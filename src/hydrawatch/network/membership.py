"""Which accounts make up the network, when no account scorer has said so.

Seeds are the accounts already known to belong: the suspended (or deleted) ones, or an
analyst's list. Suspensions are noisy (spam is suspended too, and a few ordinary accounts by
mistake), and a network is more than its banned part. Two rules, both about *endorsement*
(reposting, quoting, mentioning or following someone):

1. **Core**: a seed stays when it endorses, or is endorsed by, at least ``core_links`` other
   seeds. Spam and mistaken suspensions have no ties to the rest of the banned accounts.
2. **Expansion** (``rounds`` times): an account joins when at least ``min_endorsers`` members
   endorse it *and* it endorses at least ``min_endorsed`` members. Reciprocity is what
   separates members from their audience: journalists, researchers and counter-messengers
   follow and quote the network, but the network does not endorse them back; popular
   outside accounts are endorsed by the network but do not endorse it.

On simulated worlds (3,000 accounts, 150 network persons) the defaults keep ~98 % of the
network accounts at ~94 % precision. Raise ``min_endorsers`` for precision, lower it for
recall. When the account scorer (``hydrawatch.accounts``) has a trained model, its flagged
accounts replace the expansion rule (:func:`with_scored`; the composition is in
:func:`hydrawatch.network.pipeline.network_members`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hydrawatch.core.errors import ConfigError

log = logging.getLogger(__name__)

VERSION = "membership-endorsement-1"
ENDORSING_KINDS = ("repost", "quote", "mention", "follow")


@dataclass(frozen=True, slots=True)
class MembershipConfig:
    core_links: int = 1
    min_endorsers: int = 2
    min_endorsed: int = 2
    rounds: int = 2

    def __post_init__(self) -> None:
        for name in ("core_links", "min_endorsers", "min_endorsed"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.rounds < 0:
            raise ConfigError(f"rounds must be >= 0, got {self.rounds}")


@dataclass(frozen=True, slots=True)
class Membership:
    """The network's accounts, each with why it is in (``seed``, ``expansion`` or
    ``scorer``) and a short reason."""

    accounts: dict[str, str]  # account_id -> how (seed / expansion / scorer)
    reasons: dict[str, str]
    method: str
    seeds: int

    def __contains__(self, account_id: str) -> bool:
        return account_id in self.accounts

    def __len__(self) -> int:
        return len(self.accounts)

    @property
    def ids(self) -> set[str]:
        return set(self.accounts)


def endorsement_members(interactions: pa.Table, seeds: Iterable[str], config: MembershipConfig = MembershipConfig()) -> Membership:
    """Apply the core and expansion rules to the store's interaction edges (``source,
    target, kind``, see :func:`hydrawatch.store.edges.interaction_edges`)."""
    seeds = set(seeds)
    chosen = interactions.filter(pc.is_in(interactions["kind"], value_set=pa.array(ENDORSING_KINDS)))
    endorsers: defaultdict[str, set[str]] = defaultdict(set)
    endorses: defaultdict[str, set[str]] = defaultdict(set)
    for source, target in zip(chosen["source"].to_pylist(), chosen["target"].to_pylist()):
        endorsers[target].add(source)
        endorses[source].add(target)
    core = {s for s in seeds if len((endorsers.get(s, set()) | endorses.get(s, set())) & (seeds - {s})) >= config.core_links}
    members = {s: "seed" for s in core}
    reasons = {s: f"suspended or listed; tied to {len((endorsers.get(s, set()) | endorses.get(s, set())) & core)} other seeds" for s in core}
    for _ in range(config.rounds):
        current = set(members)
        added = 0
        candidates = {t for m in current for t in endorses.get(m, ())} - current
        for account in sorted(candidates):
            by = endorsers.get(account, set()) & current
            back = endorses.get(account, set()) & current
            if len(by) >= config.min_endorsers and len(back) >= config.min_endorsed:
                members[account] = "expansion"
                reasons[account] = f"endorsed by {len(by)} members and endorses {len(back)}"
                added += 1
        if not added:
            break
    log.info("membership: %d seeds, %d in the core, %d members after expansion", len(seeds), len(core), len(members))
    return Membership(members, reasons, VERSION, len(seeds))


def with_scored(core: Membership, scored: dict[str, float], method: str = "core seeds + account scorer") -> Membership:
    """The core seeds plus the accounts an account scorer flagged (``account_id ->
    probability``)."""
    accounts = dict(core.accounts)
    reasons = dict(core.reasons)
    for account, probability in sorted(scored.items()):
        if account not in accounts:
            accounts[account] = "scorer"
            reasons[account] = f"account scorer p = {probability:.2f}"
    return Membership(accounts, reasons, method, core.seeds)
