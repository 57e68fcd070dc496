"""Promotion posts as (promoter, promoted, time) rows of an AccountTable."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from hydrawatch.core.model import handle_key
from hydrawatch.signals.promotion import DEFAULT_THRESHOLD, score_promotion

from .accounts import AccountTable, epoch_seconds


@dataclass(frozen=True, slots=True)
class PromotionLink:
    promoter: int  # AccountTable row
    promoted: int
    at: int  # epoch seconds
    post_id: str
    cues: tuple[str, ...]
    text: str


def find_promotions(
    table: AccountTable, mention_posts: pa.Table, self_posts: pa.Table | None = None, threshold: float = DEFAULT_THRESHOLD
) -> list[PromotionLink]:
    """Score every post that names accounts; keep the promotions whose promoted account is in
    the table. Posts announcing the author's own new account count as self-promotions."""
    links: list[PromotionLink] = []
    by_handle: dict[tuple[str, str], int] = {}
    for row, (platform, handles) in enumerate(zip(table.platform, table.handles)):
        for handle in handles:
            by_handle.setdefault((platform, handle.lower()), row)

    def rows_of(table_: pa.Table, name: str) -> list:
        return table_.column(name).to_pylist()

    times = epoch_seconds(mention_posts.column("created_at"))
    for platform, post_id, author, when, text, handles, targets in zip(
        rows_of(mention_posts, "platform"), rows_of(mention_posts, "post_id"), rows_of(mention_posts, "account_id"),
        times, rows_of(mention_posts, "text"), rows_of(mention_posts, "handles"), rows_of(mention_posts, "targets"),
    ):
        promoter = table.row_of.get((platform, author))
        if promoter is None:
            continue
        verdict = score_promotion(text or "", [h for h in handles if h])
        if not verdict.is_promotion(threshold):
            continue
        for handle, target in zip(handles, targets):
            promoted = table.row_of.get((platform, target)) if target else None
            if promoted is None and handle:
                promoted = by_handle.get((platform, handle.lower()), table.row_of.get((platform, handle_key(handle))))
            if promoted is not None and promoted != promoter:
                links.append(PromotionLink(promoter, promoted, int(when), post_id, verdict.cues, text or ""))
    if self_posts is not None and self_posts.num_rows:
        self_times = epoch_seconds(self_posts.column("created_at"))
        for platform, post_id, author, when, text in zip(
            rows_of(self_posts, "platform"), rows_of(self_posts, "post_id"), rows_of(self_posts, "account_id"),
            self_times, rows_of(self_posts, "text"),
        ):
            row = table.row_of.get((platform, author))
            verdict = score_promotion(text or "", [])
            if row is not None and verdict.is_promotion(threshold) and "new account" in verdict.cues + ("is back",) and (
                "new account" in verdict.cues or "is back" in verdict.cues
            ):
                links.append(PromotionLink(row, row, int(when), post_id, verdict.cues, text or ""))
    return links


def as_triples(links: list[PromotionLink]) -> list[tuple[int, int, int]]:
    return [(link.promoter, link.promoted, link.at) for link in links if link.promoter != link.promoted]


