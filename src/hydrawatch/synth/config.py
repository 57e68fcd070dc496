"""The parameters of a simulated world, validated when the config is made."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from hydrawatch.core.errors import ConfigError

from .kinds import MUTATIONS

TWEETS_FORMATS = ("flat", "pages")
# Twitter ids are snowflakes, which start in November 2010; initial accounts are created up to
# three years before the window, so the window cannot start before 2014.
EARLIEST_START = datetime(2014, 1, 1, tzinfo=UTC)
# A world needs a few accounts of every role and group to show every phenomenon.
MIN_NETWORK = 30
MIN_ACCOUNTS = 300
# Every non-network group gets a few accounts even when its fraction rounds to zero.
MIN_OTHER_ACCOUNTS = 100

DEFAULT_MUTATION_WEIGHTS: tuple[float, ...] = (0.24, 0.2, 0.12, 0.12, 0.17, 0.15)
TARGETINGS = ("none", "hubs", "small_clusters")
POLICY_DEFAULTS: dict[str, object] = {"returnee_detection_hours": None, "returnee_detection_recall": 1.0,
                                      "targeting": "none", "targeting_strength": 2.0, "promoter_hazard_multiplier": 1.0}


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a simulated world. Same config, same bytes.

    Sizes. ``accounts`` counts the first accounts of every person of every group (network
    included): most exist when the window opens, ``signup_fraction`` of the ordinary and
    hard-negative ones sign up during it and ``recruit_fraction`` of the network persons join
    the platform during it for the first time. Returnees, parodies and decoys created during the
    window come on top (a few percent). ``network`` is how many of them belong to the
    supporter network. About 3% network is a busy but plausible collection; a benchmark at 1M
    accounts might use ``network=30_000``. The default ``mean_posts_per_account=10`` gives
    roughly 10M posts for 1M accounts and 200k posts for the default 20k.

    Newcomers. A platform gains ordinary accounts all the time, and a network gains new
    supporters, some of them right after a ban ("replace the brothers"): with the defaults a
    20k world sees about 4,700 sign-ups and 180 recruits during the window next to about 800
    network returnees, so "a new account appeared hours after a suspension" is common and not
    evidence on its own. Recruits look like the network (its naming habits, hashtags, bios;
    they follow their cell and the popular outlets and are sometimes promoted) but are nobody's
    successor: ``generation=0``, no predecessor, ``joined=recruit`` in the truth.

    Continuity. A returnee carries some of its old self and drops some: ``style_drift`` moves
    its posting hours and habits, ``language_change_probability`` its language mix,
    ``bio_rewrite_probability`` its bio wording, ``avatar_reuse_probability`` its picture; a
    ``returnee_sparse_follow_probability`` share re-follow few old followees, slowly, and a
    ``returnee_hub_follow_probability`` share follow the popular network accounts that
    recruits follow too. These channels are drawn independently, so even a returnee with a new
    handle and a new name nearly always keeps at least one of them.

    Enforcement. A network account is suspended with a daily hazard that starts at
    ``suspension_hazard`` and grows linearly to ``suspension_hazard * (1 + hazard_growth)``
    on the last day; a returnee's hazard is ``returnee_hazard_multiplier`` times higher (the
    platform knows the lineage). With the defaults the median first account lives about 40
    days, a returnee 10 to 16 (less for later generations). ``mass_wave_day`` adds one day on which ``mass_wave_fraction`` of the
    active network is suspended within a few hours.

    Returns. A suspended person comes back with ``return_probability`` (times
    ``return_decay`` per earlier return) after a log-normal delay with median
    ``return_delay_median_hours`` and shape ``return_delay_sigma`` (1.2 puts about 80% of
    returns within a day: "almost immediately"), up to ``max_generations`` returns.
    ``mutation_weights`` (in the order of :data:`hydrawatch.synth.kinds.MUTATIONS`) say how
    the new handle is made; the first six returns cover every kind once so that small worlds
    contain them all.
    """

    seed: int = 0
    """Seeds every random draw. Different seeds give unrelated worlds of the same shape."""
    accounts: int = 20_000
    """First accounts of every person, all groups: those existing when the window opens and
    the sign-ups and recruits created during it."""
    network: int = 600
    """First accounts of the supporter network (one per person, recruits included); must be
    less than ``accounts``."""
    days: int = 120
    """Length of the simulated window."""
    signup_fraction: float = 0.25
    """Share of the ordinary and hard-negative accounts (ordinary, news, religious, political,
    counter, researcher) created at a uniform time during the window instead of before it."""
    recruit_fraction: float = 0.3
    """Share of the network persons whose first account is created during the window (a new
    supporter, not a returnee). Accounts every world needs from the start (one of each role;
    each cell's first members, its outlet, shoutout and amplifier) and outlets are never
    recruits, so a high value is capped."""
    recruit_after_suspension_share: float = 0.4
    """Share of recruits who join within hours to a day or two of a suspension in their cell
    (more of them after the mass wave); the others join at a uniform time."""
    start: datetime = datetime(2015, 1, 1, tzinfo=UTC)
    """First instant of the window (timezone-aware, UTC)."""
    tweets_format: str = "flat"
    """``flat``: twarc2 ``flatten`` output, one tweet per line. ``pages``: raw API v2
    response pages (``data`` + ``includes`` + ``meta``), up to 100 tweets per line."""
    gzip: bool = False
    """Write ``tweets.jsonl.gz`` instead of ``tweets.jsonl`` (other files stay plain)."""

    mean_posts_per_account: float = 10.0
    """Posts in the window divided by ``accounts``. Per-group activity is relative to it
    (an amplifier posts about ten times more than an ordinary account)."""

    suspension_hazard: float = 0.012
    """Daily probability that an active first-generation network account is suspended, on
    the first day of the window."""
    hazard_growth: float = 2.0
    """How much the hazard grows over the window (enforcement intensifies): the hazard on the
    last day is ``suspension_hazard * (1 + hazard_growth)``. 0 keeps it constant."""
    returnee_hazard_multiplier: float = 1.6
    """Returnee accounts are suspended this many times faster than first accounts."""
    mass_wave_day: int | None = None
    """Day (0-based) of the mass suspension wave; None puts it at 60% of the window."""
    mass_wave_fraction: float = 0.35
    """Fraction of the network accounts active on the wave day that the wave suspends."""
    spam_suspension_hazard: float = 0.02
    """Daily suspension hazard of spam accounts (constant)."""
    noise_suspension_rate: float = 0.003
    """Fraction of ordinary and hard-negative accounts suspended by mistake during the window
    (the platform's labels are noisy); Arabic religious and political accounts are hit three
    times as often."""
    unsuspend_probability: float = 0.4
    """Share of mistaken suspensions reversed (``user_unsuspend``) after a few days."""

    # What-if enforcement policies (hydrawatch.enforcement.simulate re-runs worlds with them).
    # The defaults leave worlds exactly as before: same draws, same bytes.
    returnee_detection_hours: float | None = None
    """Policy: when set, a network returnee is caught within this many hours of its creation
    (a uniform delay) with probability ``returnee_detection_recall``, unless the ordinary
    hazard ends it first. None leaves returnees to the hazard alone."""
    returnee_detection_recall: float = 1.0
    """Policy: share of network returnees the ``returnee_detection_hours`` policy catches."""
    targeting: str = "none"
    """Policy: which network accounts enforcement looks at first, for the same total effort:
    ``hubs`` (persons with the third most followers), ``small_clusters`` (the smallest cells,
    a third of the network) or ``none``. Targeted accounts' hazard is multiplied by
    ``targeting_strength`` s, the others' by (3 - s) / 2."""
    targeting_strength: float = 2.0
    """Policy: hazard multiplier of targeted accounts, in [1, 3)."""
    promoter_hazard_multiplier: float = 1.0
    """Policy: suspension hazard multiplier of the shoutout accounts that promote returnees."""

    return_probability: float = 0.72
    """Probability that a suspended network person comes back with a new account."""
    return_decay: float = 0.9
    """The return probability is multiplied by this for every earlier return."""
    spam_return_probability: float = 0.5
    """Probability that a suspended spam operator comes back (ban evasion, not extremism)."""
    return_delay_median_hours: float = 4.0
    """Median time from suspension to the new account."""
    return_delay_sigma: float = 1.2
    """Log-normal shape of the return delay; larger gives a longer tail of slow returns."""
    max_generations: int = 4
    """At most this many returns per person (generation 1..max_generations)."""
    mutation_weights: tuple[float, ...] = DEFAULT_MUTATION_WEIGHTS
    """Relative weights of the handle mutation kinds, in the order of ``MUTATIONS``."""
    self_delete_probability: float = 0.04
    """Share of network account endings that are self-deletions instead of suspensions."""

    refollow_probability: float = 0.55
    """Probability that a follower of a suspended account follows its successor."""
    refollow_delay_median_days: float = 1.5
    """Median delay of such a re-follow; network followers re-follow three times faster."""
    promotions_per_return: float = 3.0
    """Mean number of shoutout posts promoting each network returnee, within hours."""
    self_announce_probability: float = 0.5
    """Probability that a returnee announces itself ("back again, account number 3")."""
    avatar_reuse_probability: float = 0.6
    """Probability that a returnee re-uploads the same avatar image (new URL, same image);
    the others upload a new picture."""
    bio_rewrite_probability: float = 0.3
    """Probability that a returnee writes a new bio in its voice instead of carrying the old
    one over (verbatim or with a "new account" mark)."""
    style_drift: float = 0.3
    """How far a returnee's style moves from its predecessor's, in [0, 1]: posting hours shift
    by N(0, 3 * drift) hours, the activity rate and signature rate are multiplied by a
    log-normal factor of shape ``drift``, and the signature phrase, favourite emoji and
    favourite hashtag are each replaced with probability ``drift``. 0 copies the style."""
    language_change_probability: float = 0.1
    """Probability that a returnee changes its language mix (Arabic or English to mixed, mixed
    to one of them)."""
    returnee_sparse_follow_probability: float = 0.3
    """Probability that a returnee re-follows only about a fifth of its predecessor's
    followees, over days; the others re-follow about 80% within hours."""
    returnee_hub_follow_probability: float = 0.4
    """Probability that a returnee follows a broad set of popular network accounts (outlets
    and shoutout accounts of any cell), as most recruits do: follows shared by many, which say
    little about who is behind an account."""
    recruit_promotion_probability: float = 0.3
    """Probability that shoutout accounts promote a recruit within hours of its creation, as
    they promote returnees ("follow the brother")."""

    news_fraction: float = 0.004
    """Share of ``accounts`` that are news outlets and journalists (hard negatives)."""
    religious_fraction: float = 0.03
    """Share of ordinary religious accounts (devotional text, no network links)."""
    political_fraction: float = 0.03
    """Share of accounts with anti-US political chatter."""
    counter_fraction: float = 0.004
    """Share of counter-messaging accounts that reply to network accounts."""
    researcher_fraction: float = 0.002
    """Share of researchers: follow many network accounts, rarely post."""
    lookalike_fraction: float = 0.004
    """Share of accounts whose handle resembles a network handle by chance."""
    spam_fraction: float = 0.02
    """Share of spam accounts (suspended and returning under mutated handles)."""
    parody_probability: float = 0.05
    """Per network suspension: probability that a parody account takes a similar handle."""
    decoy_lookalike_probability: float = 0.05
    """Per network suspension: probability that an unrelated account with a similar handle
    is created right after it (an innocent decoy for returnee detection)."""

    distinctive_name_share: float = 0.7
    """Share of network members who write a distinctive display name (a kunya with a nisba
    and a mark of their own) rather than a plain kunya or given name that others share."""

    rename_probability: float = 0.05
    """Probability that a network account changes its handle during its life."""
    mass_rename_day: int | None = None
    """Day of the coordinated rename burst; None puts it at 35% of the window."""
    mass_rename_fraction: float = 0.06
    """Fraction of the active network accounts renamed on the mass rename day."""
    ordinary_rename_probability: float = 0.004
    """Probability that any other account changes handle, display name or bio."""
    ordinary_protect_probability: float = 0.002
    """Probability that an ordinary account goes protected during the window."""
    ordinary_delete_probability: float = 0.001
    """Probability that an ordinary account deletes itself (some come back: undelete)."""

    protected_media_fraction: float = 0.5
    """Share of media-outlet accounts kept protected except around their releases."""
    releases_per_media_per_week: float = 2.0
    """Releases announced by each media-outlet account per week."""
    amplifiers_per_release: float = 8.0
    """Mean number of amplifier retweets in the burst after each release."""
    burst_minutes: float = 6.0
    """Mean delay of a burst retweet after the release, in minutes."""
    telegram_share_start: float = 0.15
    """Share of migration links pointing to Telegram on the first day ..."""
    telegram_share_end: float = 0.7
    """... and on the last day (grows linearly in between)."""
    shortener_share: float = 0.15
    """Share of links posted through an (invented) URL shortener."""

    community_size_min: int = 10
    """Smallest planted network cell."""
    community_size_max: int = 60
    """Largest planted network cell."""
    within_community_follow_probability: float = 0.35
    """Probability that two members of a cell follow each other (each direction)."""
    follows_per_account: float = 4.0
    """Mean accounts followed by an ordinary account (the sparse background graph)."""

    def __post_init__(self) -> None:
        self._check_sizes()
        self._check_probabilities()
        self._check_days()
        if self.tweets_format not in TWEETS_FORMATS:
            raise ConfigError(f"tweets_format must be one of {TWEETS_FORMATS}, got {self.tweets_format!r}")
        if self.start.tzinfo is None:
            raise ConfigError("start must be timezone-aware: use datetime(..., tzinfo=datetime.UTC)")
        if self.start < EARLIEST_START:
            raise ConfigError(f"start must be on or after {EARLIEST_START.date()} (ids are snowflakes)")
        if len(self.mutation_weights) != len(MUTATIONS) or min(self.mutation_weights) < 0:
            raise ConfigError(
                f"mutation_weights needs {len(MUTATIONS)} non-negative weights, in the order {MUTATIONS}"
            )
        if sum(self.mutation_weights) <= 0:
            raise ConfigError("mutation_weights must not all be zero")
        self._check_policy()

    def _check_sizes(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative int, got {self.seed!r}")
        if self.accounts < MIN_ACCOUNTS:
            raise ConfigError(f"accounts must be at least {MIN_ACCOUNTS}, got {self.accounts}")
        if self.network < MIN_NETWORK:
            raise ConfigError(
                f"network must be at least {MIN_NETWORK} so that every role and cell exists, got {self.network}"
            )
        if self.network >= self.accounts:
            raise ConfigError(
                f"network ({self.network}) must be less than accounts ({self.accounts}): "
                "accounts counts every initial account, network included"
            )
        if self.accounts - self.network < MIN_OTHER_ACCOUNTS:
            raise ConfigError(
                f"accounts ({self.accounts}) must exceed network ({self.network}) by at least "
                f"{MIN_OTHER_ACCOUNTS}, for the hard negatives and the ordinary background"
            )
        hard_negatives = (
            self.news_fraction
            + self.religious_fraction
            + self.political_fraction
            + self.counter_fraction
            + self.researcher_fraction
            + self.lookalike_fraction
            + self.spam_fraction
        )
        if self.network + hard_negatives * self.accounts >= self.accounts:
            raise ConfigError(
                "network plus the group fractions leave no ordinary accounts: "
                "lower the *_fraction values or raise accounts"
            )
        if not 2 <= self.community_size_min <= self.community_size_max:
            raise ConfigError("community sizes need 2 <= community_size_min <= community_size_max")
        if not 1 <= self.max_generations <= 20:
            raise ConfigError(f"max_generations must be in 1..20, got {self.max_generations}")
        for name in ("mean_posts_per_account", "follows_per_account", "promotions_per_return",
                     "releases_per_media_per_week", "amplifiers_per_release"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {value}")
        for name in ("suspension_hazard", "spam_suspension_hazard", "hazard_growth",
                     "returnee_hazard_multiplier", "return_delay_median_hours",
                     "return_delay_sigma", "refollow_delay_median_days", "burst_minutes"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {value}")
        if self.return_delay_median_hours <= 0 or self.burst_minutes <= 0:
            raise ConfigError("return_delay_median_hours and burst_minutes must be positive")

    def _check_probabilities(self) -> None:
        names = [
            "mass_wave_fraction", "noise_suspension_rate", "unsuspend_probability",
            "return_probability", "return_decay", "spam_return_probability",
            "self_delete_probability", "refollow_probability", "self_announce_probability",
            "avatar_reuse_probability", "bio_rewrite_probability", "language_change_probability",
            "returnee_sparse_follow_probability", "returnee_hub_follow_probability",
            "recruit_promotion_probability", "signup_fraction", "recruit_fraction",
            "recruit_after_suspension_share", "news_fraction", "religious_fraction",
            "political_fraction", "counter_fraction", "researcher_fraction",
            "lookalike_fraction", "spam_fraction", "parody_probability",
            "decoy_lookalike_probability", "distinctive_name_share", "rename_probability", "mass_rename_fraction",
            "ordinary_rename_probability", "ordinary_protect_probability",
            "ordinary_delete_probability", "protected_media_fraction", "telegram_share_start",
            "telegram_share_end", "shortener_share", "within_community_follow_probability",
        ]
        for name in names:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ConfigError(f"{name} is a probability and must be in [0, 1], got {value!r}")
        if not (isinstance(self.style_drift, int | float) and 0.0 <= self.style_drift <= 1.0):
            raise ConfigError(
                f"style_drift must be in [0, 1] (0 copies a returnee's style, 1 nearly replaces it), "
                f"got {self.style_drift!r}"
            )

    def _check_policy(self) -> None:
        if self.targeting not in TARGETINGS:
            raise ConfigError(f"targeting must be one of {TARGETINGS}, got {self.targeting!r}")
        if not 1.0 <= self.targeting_strength < 3.0:
            raise ConfigError(f"targeting_strength must be in [1, 3) (the others keep (3 - s) / 2), got {self.targeting_strength}")
        hours = self.returnee_detection_hours
        if hours is not None and not (math.isfinite(hours) and hours > 0):
            raise ConfigError(f"returnee_detection_hours must be a positive number of hours or None, got {hours}")
        if not 0.0 <= self.returnee_detection_recall <= 1.0:
            raise ConfigError(f"returnee_detection_recall is a probability in [0, 1], got {self.returnee_detection_recall}")
        if not (math.isfinite(self.promoter_hazard_multiplier) and self.promoter_hazard_multiplier >= 0):
            raise ConfigError(f"promoter_hazard_multiplier must be >= 0, got {self.promoter_hazard_multiplier}")

    def _check_days(self) -> None:
        if not 7 <= self.days <= 3650:
            raise ConfigError(f"days must be in 7..3650, got {self.days}")
        for name in ("mass_wave_day", "mass_rename_day"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < self.days:
                raise ConfigError(f"{name} must be in 0..days-1 ({self.days - 1}) or None, got {value}")

    @property
    def wave_day(self) -> int:
        """The mass suspension day actually used."""
        return self.mass_wave_day if self.mass_wave_day is not None else int(self.days * 0.6)

    @property
    def rename_day(self) -> int:
        """The mass rename day actually used."""
        return self.mass_rename_day if self.mass_rename_day is not None else int(self.days * 0.35)

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready values (for ``truth/summary.json``)."""
        values = asdict(self)
        values["start"] = self.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        values["mutation_weights"] = dict(zip(MUTATIONS, self.mutation_weights, strict=True))
        values["mass_wave_day"] = self.wave_day
        values["mass_rename_day"] = self.rename_day
        for name, default in POLICY_DEFAULTS.items():
            # Unchanged policy knobs stay out, so summaries of ordinary worlds do not change.
            if values[name] == default:
                del values[name]
        return values
