"""Returnee detection on real exports without a ground-truth file.

The Kaggle "How ISIS Uses Twitter" tweets name no suspensions, but the same person shows up
under several usernames with one display name (abuayisha102 / abuayisha108, MaghrebiQM / HD /
WM, Mosul_05 / emran_getu ...). Those groups are the nearest thing to truth the data has:
consecutive accounts of a group (in order of first post) should be linked, each successor
ranked first among its predecessor's candidates; accounts outside the groups should mostly not
be linked to anyone. The display name is a feature the ranker sees, so this is a check that
the ranking is sensible on real data, not an independent truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydrawatch.evasion.detect import ReturneeConfig, find_returnees
from hydrawatch.evasion.ranker import ReturneeRanker
from hydrawatch.pipeline import returnee_accounts
from hydrawatch.store.duck import Store


@dataclass
class Transition:
    old: str
    new: str
    rank: int  # of new among old's candidates (0: not a candidate)
    probability: float
    evidence: list[str] = field(default_factory=list)  # empty unless linked
    linked: bool = False  # reported as a return at the threshold (one-to-one matching)


@dataclass
class NameGroupReport:
    groups: int
    transitions: list[Transition]
    top1: int
    flagged_outside_groups: list[tuple[str, str, float]]
    authors: int
    threshold: float

    def as_dict(self) -> dict:
        return {
            "groups": self.groups,
            "transitions": len(self.transitions),
            "successor_ranked_first": self.top1,
            "linked_at_threshold": sum(t.linked for t in self.transitions),
            "transition_details": [t.__dict__ for t in self.transitions],
            "authors": self.authors,
            "flagged_outside_groups": len(self.flagged_outside_groups),
            "flagged_outside_examples": self.flagged_outside_groups[:10],
            "threshold": self.threshold,
        }


def name_groups(store: Store) -> list[list[str]]:
    """Display names used by several posting accounts, each as its accounts in order of
    first post."""
    rows = store.con.execute(
        """
        WITH authors AS (SELECT platform, account_id, min(created_at) AS first_post FROM posts GROUP BY ALL),
             names AS (SELECT DISTINCT p.platform, p.account_id, p.display_name FROM profiles p
                       JOIN authors USING (platform, account_id) WHERE p.display_name IS NOT NULL AND p.display_name <> '')
        SELECT n.display_name, list(n.account_id ORDER BY a.first_post) AS accounts
        FROM names n JOIN authors a USING (platform, account_id)
        GROUP BY 1 HAVING count(*) > 1 ORDER BY 1
        """
    ).fetchall()
    return [accounts for _, accounts in rows]


def evaluate_name_groups(store: Store, ranker: ReturneeRanker | None = None, config: ReturneeConfig = ReturneeConfig()) -> NameGroupReport:
    table, promotions = returnee_accounts(store, config)
    result = find_returnees(table, ranker, promotions, config)
    groups = name_groups(store)
    in_groups = {account for group in groups for account in group}
    transitions = []
    for group in groups:
        for old_id, new_id in zip(group, group[1:]):
            old, new = table.row_of.get(("twitter", old_id)), table.row_of.get(("twitter", new_id))
            ranked = result.best_for_old(old) if old is not None else []
            children = [child for child, _ in ranked]
            rank = children.index(new) + 1 if new in children else 0
            probability = ranked[rank - 1][1] if rank else 0.0
            evidence, linked = [], False
            for match in result.matches:
                if match.old == old and match.new == new:
                    linked = True
                    # promotion lines quote a post: named by signal only, so no post text is printed
                    evidence = [e.description if e.signal != "promotion" else "promoted by another account" for e in match.evidence
                                if e.signal not in ("model", "candidate")]
            transitions.append(Transition(table.handle[old] if old is not None else old_id, table.handle[new] if new is not None else new_id,
                                          rank, probability, evidence, linked))
    authors = store.con.execute("SELECT count(DISTINCT account_id) FROM posts").fetchall()[0][0]
    posting = set(store.con.execute("SELECT DISTINCT account_id FROM posts").fetchnumpy()["account_id"].tolist())
    outside = [
        (table.handle[m.old] or table.account_id[m.old], table.handle[m.new] or table.account_id[m.new], round(m.probability, 3))
        for m in result.matches
        if table.account_id[m.old] in posting and table.account_id[m.old] not in in_groups
    ]
    return NameGroupReport(len(groups), transitions, sum(t.rank == 1 for t in transitions), outside, authors, config.threshold)
