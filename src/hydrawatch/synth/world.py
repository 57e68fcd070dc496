"""Generate a world: population, lifecycles, follows, activity, then every output file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

import hydrawatch

from .activity import build_activity
from .clock import ACCOUNT_WORKER, MS_PER_DAY, POST_WORKER, iso_ms, snowflakes
from .config import WorldConfig
from .follows import build_follows
from .handles import HandleRegistry
from .kinds import JOINED_RECRUIT, JOINED_SIGNUP, LOOKALIKE, NETWORK, PARODY, PROMOTION, SPAM
from .lifecycle import Lifecycle
from .population import build_population
from .profiles import Counts, Profiles
from .randomness import Dice, stage_rng
from .texts import Composer
from .tweets import TweetWriter, open_output
from .writers import write_compliance, write_follows, write_truth

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
GENERATED_BY = f"hydrawatch.synth {hydrawatch.__version__}"
#: Raised whenever the same seed and configuration make a different world, so that cached
#: worlds (``hydrawatch.evaluation.returnees.WorldSpec``) are not mistaken for current ones.
#: 2: distinctive display names for most network members (``distinctive_name_share``).
WORLD_VERSION = 2
_EXPANSIONS = "author_id,in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id,attachments.media_keys"


@dataclass(frozen=True)
class WorldSummary:
    """Where the world was written and what it contains (``counts`` as in summary.json)."""

    config: WorldConfig
    out_dir: Path
    tweets: Path
    compliance: Path
    follows: Path
    truth_dir: Path
    summary: Path
    counts: Mapping[str, int]

    @property
    def accounts_csv(self) -> Path:
        return self.truth_dir / "accounts.csv"


def generate(config: WorldConfig, out_dir: str | Path, progress: Progress | None = None) -> WorldSummary:
    """Simulate ``config`` and write it to ``out_dir`` (created if needed; files in it are
    overwritten).

    ``progress(stage, done, total)`` is called at the start and end of each stage
    (``population``, ``lifecycle``, ``follows``, ``activity``, ``compliance``, ``truth``) and
    every 20,000 tweets (``tweets``) or 200,000 edges (``follows.csv``)."""
    report = progress or (lambda stage, done, total: None)
    out = Path(out_dir)
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    seed = config.seed
    start_ms = int(config.start.timestamp() * 1000)
    end_ms = start_ms + config.days * MS_PER_DAY

    report("population", 0, 1)
    people_dice = Dice(stage_rng(seed, 1))
    registry = HandleRegistry(people_dice)
    table = build_population(config, stage_rng(seed, 2), registry, people_dice)
    report("population", 1, 1)

    report("lifecycle", 0, 1)
    lifecycle = Lifecycle(config, table, registry, Dice(stage_rng(seed, 3)))
    timeline = lifecycle.run(stage_rng(seed, 4))
    report("lifecycle", 1, 1)

    report("follows", 0, 1)
    graph = build_follows(config, table, stage_rng(seed, 5))
    report("follows", 1, 1)

    report("activity", 0, 1)
    activity = build_activity(config, table, timeline, stage_rng(seed, 6), Dice(stage_rng(seed, 7)))
    posts = activity.posts
    report("activity", 1, 1)
    log.info("world of %d accounts, %d posts, %d follows", table.size, len(posts), len(graph))

    account_ids = _account_ids(table.created_ms)
    post_ids = snowflakes(posts.time_ms, POST_WORKER)
    profiles = Profiles(table, timeline)
    counts = Counts(table, graph.source, graph.target, graph.created_ms, posts, start_ms)
    outlets = int(table.outlet[table.group == NETWORK].max()) + 1
    composer = Composer(config, table, Dice(stage_rng(seed, 8)), outlets, account_ids, profiles.handle_at)
    seen = np.zeros(table.size, dtype=bool)
    search_url = (f"https://api.twitter.com/2/tweets/search/all?expansions={_EXPANSIONS}&max_results=100"
                  f"&start_time={iso_ms(start_ms)}&end_time={iso_ms(end_ms)}")
    writer = TweetWriter(table, posts, post_ids, account_ids, profiles, counts, composer, activity.release_number,
                         seen, end_ms, search_url)
    tweets_path = out / ("tweets.jsonl.gz" if config.gzip else "tweets.jsonl")
    with open_output(tweets_path, config.gzip) as stream:
        write = writer.write_flat if config.tweets_format == "flat" else writer.write_pages
        stats = write(stream, lambda done, total: report("tweets", done, total))
    for account in composer.mentioned:
        seen[account] = True

    report("compliance", 0, 1)
    compliance_path = out / "compliance.jsonl"
    events, suspended, final_status, suspended_at = write_compliance(compliance_path, timeline, account_ids, seen)
    report("compliance", 1, 1)
    follows_path = out / "follows.csv"
    follows = write_follows(follows_path, graph, account_ids, seen, lambda done, total: report("follows.csv", done, total))

    report("truth", 0, 1)
    truth_counts = write_truth(truth, seed, table, activity, timeline, profiles, composer, account_ids, post_ids,
                               final_status, suspended_at, seen)
    network = table.group == NETWORK
    summary_counts = {
        "posts": stats.posts,
        "accounts": int(seen.sum()),
        "follows": follows,
        "events": events,
        "profiles": len(stats.profile_versions),
        "suspended": suspended,
        "pages": stats.pages,
        "all_accounts": table.size,
        "network_accounts": int(network.sum()),
        "network_persons": int(np.unique(table.person[network]).size),
        "signups": int((table.joined == JOINED_SIGNUP).sum()),
        "recruits": int((table.joined == JOINED_RECRUIT).sum()),
        "returnees": int((table.generation > 0).sum()),
        "network_returnees": int((network & (table.generation > 0)).sum()),
        "spam_returnees": int(((table.group == SPAM) & (table.generation > 0)).sum()),
        "max_generation": int(table.generation.max()),
        "promotions": int((posts.purpose == PROMOTION).sum()),
        "parodies": int((table.group == PARODY).sum()),
        "decoy_lookalikes": int(((table.group == LOOKALIKE) & (table.mimics >= 0)).sum()),
        **truth_counts,
    }
    summary_path = truth / "summary.json"
    summary_path.write_bytes(orjson.dumps(
        {"seed": seed, "config": config.to_dict(), "counts": summary_counts, "generated_by": GENERATED_BY,
         "world_version": WORLD_VERSION},
        option=orjson.OPT_INDENT_2) + b"\n")
    report("truth", 1, 1)
    return WorldSummary(config, out, tweets_path, compliance_path, follows_path, truth, summary_path, summary_counts)


def _account_ids(created_ms: np.ndarray) -> list[str]:
    """Snowflake-like account ids, increasing with creation time."""
    order = np.argsort(created_ms, kind="stable")
    ids = np.empty(created_ms.size, dtype=np.int64)
    ids[order] = snowflakes(created_ms[order], ACCOUNT_WORKER)
    return [str(value) for value in ids.tolist()]
