"""Account lifecycles: suspensions that intensify, a mass wave, returns under mutated handles
(chains of generations), new recruits who join right after a cell-mate's suspension, parodies
and innocent decoys that look like returnees, renames, and the noisy enforcement that also
hits ordinary accounts.

Everything that changes an account's status or profile goes through :class:`Timeline`, which
is later written as the compliance stream and used to show each user object as it was at the
time of the tweet carrying it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from . import vocabulary as vocab
from .clock import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE
from .config import WorldConfig
from .handles import (
    HandleRegistry,
    arabic_identity,
    clip_name,
    confusable_name,
    english_identity,
    network_display_name,
    spam_identity,
)
from .kinds import (
    AFFIX,
    ARABIC,
    CONFUSABLE,
    COUNTER,
    DIGIT_INCREMENT,
    END_DELETED,
    END_SUSPENDED,
    ENGLISH,
    JOINED_MIMIC,
    JOINED_RECRUIT,
    JOINED_RETURN,
    LOOKALIKE,
    MIXED,
    MUTATIONS,
    NETWORK,
    NEVER_MS,
    NEW_HANDLE_NEW_NAME,
    NEWS,
    ORDINARY,
    PARODY,
    POLITICAL,
    RELIGIOUS,
    SHOUTOUT,
    SPAM,
    TYPO,
)
from .population import DEFAULT_AVATAR, AccountTable, avatar_url, compose_bio
from .randomness import Dice

# Suspension hazard multiplier per network role: visible roles are found faster.
ROLE_HAZARD = (1.4, 0.7, 1.0, 1.0, 1.4, 1.2, 1.2)
# A recruit waiting to replace a suspended cell-mate joins anyway this long after it is ready.
RECRUIT_PATIENCE_MS = 3 * MS_PER_DAY
# Heap entries: an account's life ends, or a waiting recruit's patience runs out.
_END, _JOIN = 0, 1
# Twitter's compliance names for the profile fields the simulation changes.
PROFILE_FIELDS = {"username": "screen_name", "name": "name", "description": "description",
                  "location": "location", "profile_image_url": "profile_image_url", "url": "url"}


@dataclass
class Timeline:
    """Status and profile changes over time, in the order they were decided."""

    events: list[tuple[int, int, str, int, str, str]] = field(default_factory=list)
    """(event_at ms, sequence, kind, account, profile_field, new_value)."""
    changes: dict[int, list[tuple[int, str, object]]] = field(default_factory=dict)
    """account -> [(time ms, profile field, new value)] including ``protected`` flips."""
    gaps: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """account -> [(from ms, to ms)] when the account exists but shows nothing publicly
    (temporarily suspended, deleted then restored, protected)."""

    def event(self, at_ms: int, kind: str, account: int, profile_field: str = "", new_value: str = "") -> None:
        self.events.append((int(at_ms), len(self.events), kind, int(account), profile_field, new_value))

    def change(self, account: int, at_ms: int, profile_field: str, value: object, announce: bool = True) -> None:
        self.changes.setdefault(int(account), []).append((int(at_ms), profile_field, value))
        if announce:
            self.event(at_ms, "user_profile_modification", account, PROFILE_FIELDS[profile_field], str(value))

    def hide(self, account: int, from_ms: int, to_ms: int) -> None:
        self.gaps.setdefault(int(account), []).append((int(from_ms), int(to_ms)))

    def value_at(self, table: AccountTable, account: int, profile_field: str, at_ms: int) -> str:
        """A text profile field as it was at ``at_ms``."""
        column = {"username": "username", "name": "display_name", "description": "bio"}[profile_field]
        value = table.texts[column][account]
        for when, changed, new_value in sorted(self.changes.get(account, ())):
            if changed == profile_field and when <= at_ms:
                value = str(new_value)
        return value


class _MutationPicker:
    """Mutation kinds for successive returns: the first picks cover every kind once (so even
    a small world shows all of them), then kinds follow the configured weights."""

    def __init__(self, weights: tuple[float, ...], dice: Dice) -> None:
        self._weights = weights
        self._dice = dice
        order = [kind for kind in range(len(MUTATIONS)) if weights[kind] > 0]
        for i in range(len(order) - 1, 0, -1):
            j = dice.below(i + 1)
            order[i], order[j] = order[j], order[i]
        self._cover = order

    def next(self) -> int:
        if self._cover:
            return self._cover.pop()
        return self._dice.weighted(self._weights)


@dataclass
class Lifecycle:
    """Runs every account's life through the window, in time order of account endings (a
    returnee's life can only be drawn once its predecessor has ended), and appends the
    returnees, parodies and decoys it creates to ``table``.

    Some recruits (first-time network members) wait for a suspension in their cell and join
    hours after it, the way a returnee would; they are already rows of ``table`` (created by
    the population) and only get their creation time here."""

    config: WorldConfig
    table: AccountTable
    registry: HandleRegistry
    dice: Dice
    timeline: Timeline = field(default_factory=Timeline)
    start_ms: int = field(init=False, default=0)
    end_ms: int = field(init=False, default=0)
    next_image_key: int = field(init=False, default=0)
    parodies: int = field(init=False, default=0)
    decoys: int = field(init=False, default=0)
    network_suspensions: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.start_ms = int(self.config.start.timestamp() * 1000)
        self.end_ms = self.start_ms + self.config.days * MS_PER_DAY
        self.next_image_key = int(self.table.image_key.max()) + 1
        self._pickers = {NETWORK: _MutationPicker(self.config.mutation_weights, self.dice),
                         SPAM: _MutationPicker(self.config.mutation_weights, self.dice)}
        self._heap: list[tuple[int, int, int]] = []
        self._waiting: dict[int, list[tuple[int, int]]] = {}
        self._waiting_accounts: set[int] = set()
        self._wave_ms = self.start_ms + self.config.wave_day * MS_PER_DAY + 9 * MS_PER_HOUR
        self._rename_ms = self.start_ms + self.config.rename_day * MS_PER_DAY + 14 * MS_PER_HOUR
        self._targeted = self._targeted_accounts()

    def _targeted_accounts(self) -> np.ndarray | None:
        """Policy ``targeting``: which network accounts get the higher hazard (None: no policy).
        Hubs are persons whose first account has the third most outside followers; small
        clusters are the smallest cells holding a third of the network. Returnees inherit
        both (same person, same cell)."""
        config, table = self.config, self.table
        if config.targeting == "none":
            return None
        network = np.flatnonzero(table.group == NETWORK)
        targeted = np.zeros(table.columns["group"].size, dtype=bool)
        if config.targeting == "hubs":
            threshold = np.quantile(table.base_followers[network], 2 / 3)
            targeted[network[table.base_followers[network] >= threshold]] = True
        else:
            communities, sizes = np.unique(table.community[network], return_counts=True)
            order = np.argsort(sizes, kind="stable")
            small = communities[order][np.cumsum(sizes[order]) <= network.size / 3]
            targeted[network[np.isin(table.community[network], small)]] = True
        return targeted

    def _policy_weight(self, account: int) -> float:
        """Hazard multiplier of the enforcement-policy knobs (1.0 under the defaults)."""
        config, table = self.config, self.table
        weight = 1.0
        if self._targeted is not None:
            # A returnee is targeted when its person's first account was.
            root = int(table.person_root[int(table.columns["person"][account])])
            strength = config.targeting_strength
            weight *= strength if self._targeted[root] else (3.0 - strength) / 2.0
        if config.promoter_hazard_multiplier != 1.0 and table.columns["role"][account] == SHOUTOUT:
            weight *= config.promoter_hazard_multiplier
        return weight

    # --- enforcement of the network and spam -------------------------------------------------

    def run(self, rng: np.random.Generator) -> Timeline:
        table = self.table
        initial = table.size
        for account in range(initial):
            if table.columns["group"][account] not in (NETWORK, SPAM):
                continue
            if table.columns["joined"][account] == JOINED_RECRUIT and self.dice.chance(
                    self.config.recruit_after_suspension_share):
                self._wait_for_suspension(account)
            else:
                self._schedule_end(account)
        while self._heap:
            at, action, account = heapq.heappop(self._heap)
            if action == _END:
                self._end_and_maybe_return(account, at)
            elif account in self._waiting_accounts:
                self._recruit_joins(account, at)
        self._noisy_enforcement(rng, initial)
        self._other_profile_changes(rng, initial)
        return self.timeline

    def _days(self, ms: int) -> float:
        return (ms - self.start_ms) / MS_PER_DAY

    def _suspension_time(self, account: int, from_ms: int) -> int:
        """Draw a suspension time from the hazard, which grows linearly over the window:
        h(t) = b (1 + g t / D), so H(t) = b (t + g t^2 / 2D); solve H(t) = H(t0) + E."""
        config = self.config
        table = self.table
        group = int(table.columns["group"][account])
        if group == SPAM:
            base = config.spam_suspension_hazard * (1.3 if table.columns["generation"][account] else 1.0)
            growth = 0.0
        else:
            role = int(table.columns["role"][account])
            base = config.suspension_hazard * ROLE_HAZARD[role]
            if table.columns["generation"][account]:
                base *= config.returnee_hazard_multiplier
            growth = config.hazard_growth
            weight = self._policy_weight(account)
            if weight != 1.0:
                base *= weight
        if base <= 0:
            return NEVER_MS
        t0 = max(self._days(from_ms), 0.0)
        target = base * (t0 + growth * t0 * t0 / (2 * config.days)) + self.dice.exponential(1.0)
        if growth == 0:
            days = target / base
        else:
            a = base * growth / (2 * config.days)
            days = (-base + math.sqrt(base * base + 4 * a * target)) / (2 * a)
        return self.start_ms + int(days * MS_PER_DAY)

    def _schedule_end(self, account: int) -> None:
        table = self.table
        created = int(table.columns["created_ms"][account])
        ends = self._suspension_time(account, created)
        if table.columns["group"][account] == NETWORK:
            wave = self._wave_ms
            if created < wave < ends and self.dice.chance(self.config.mass_wave_fraction):
                ends = wave + self.dice.below(8 * MS_PER_HOUR)
            detection = self.config.returnee_detection_hours
            if (detection is not None and table.columns["generation"][account]
                    and self.dice.chance(self.config.returnee_detection_recall)):
                ends = min(ends, created + int(self.dice.uniform() * detection * MS_PER_HOUR))
            self._plan_renames(account, created, ends)
        ends = max(ends, created + 10 * MS_PER_MINUTE, self.start_ms + MS_PER_MINUTE)
        if ends >= self.end_ms:
            return
        deleted = table.columns["group"][account] == NETWORK and self.dice.chance(self.config.self_delete_probability)
        table.columns["end_ms"][account] = ends
        table.columns["end_kind"][account] = END_DELETED if deleted else END_SUSPENDED
        heapq.heappush(self._heap, (ends, _END, account))

    # --- recruits ----------------------------------------------------------------------------

    def _wait_for_suspension(self, account: int) -> None:
        """From its drawn creation time on, the recruit waits for a cell-mate's suspension."""
        ready = int(self.table.columns["created_ms"][account])
        community = int(self.table.columns["community"][account])
        self._waiting.setdefault(community, []).append((ready, account))
        self._waiting[community].sort()
        self._waiting_accounts.add(account)
        deadline = min(ready + RECRUIT_PATIENCE_MS, self.end_ms - 2 * MS_PER_HOUR)
        heapq.heappush(self._heap, (deadline, _JOIN, account))

    def _replace(self, suspended: int, suspended_at: int) -> None:
        """The first ready recruit of the suspended account's cell joins hours later (a new
        supporter answering the ban, not the same person)."""
        waiting = self._waiting.get(int(self.table.columns["community"][suspended]))
        if not waiting or waiting[0][0] > suspended_at:
            return
        delay_hours = self.dice.lognormal(2 * self.config.return_delay_median_hours, self.config.return_delay_sigma)
        joins_at = suspended_at + max(int(delay_hours * MS_PER_HOUR), 10 * MS_PER_MINUTE)
        if joins_at >= self.end_ms - 2 * MS_PER_HOUR:
            return
        _, account = waiting.pop(0)
        self._recruit_joins(account, joins_at)

    def _recruit_joins(self, account: int, at_ms: int) -> None:
        table = self.table
        entry = (int(table.columns["created_ms"][account]), account)
        waiting = self._waiting[int(table.columns["community"][account])]
        if entry in waiting:
            waiting.remove(entry)
        self._waiting_accounts.discard(account)
        table.columns["created_ms"][account] = at_ms
        if table.columns["image_key"][account]:
            table.texts["avatar_url"][account] = avatar_url(at_ms, successor_salt(account))
        self._schedule_end(account)

    def _end_and_maybe_return(self, account: int, ended_at: int) -> None:
        table = self.table
        kind = "user_delete" if table.columns["end_kind"][account] == END_DELETED else "user_suspend"
        self.timeline.event(ended_at, kind, account)
        group = int(table.columns["group"][account])
        if group == NETWORK:
            self.network_suspensions += 1
            self._maybe_decoys(account, ended_at)
            if kind == "user_suspend":
                self._replace(account, ended_at)
            probability = self.config.return_probability * self.config.return_decay ** int(table.columns["generation"][account])
        else:
            probability = self.config.spam_return_probability
        if int(table.columns["generation"][account]) >= self.config.max_generations:
            return
        if not self.dice.chance(probability):
            return
        delay_hours = self.dice.lognormal(self.config.return_delay_median_hours, self.config.return_delay_sigma)
        returns_at = ended_at + max(int(delay_hours * MS_PER_HOUR), 2 * MS_PER_MINUTE)
        if returns_at >= self.end_ms - MS_PER_HOUR:
            return
        successor = self._create_returnee(account, ended_at, returns_at)
        self._schedule_end(successor)

    def _create_returnee(self, predecessor: int, ended_at: int, created_at: int) -> int:
        table, dice, timeline = self.table, self.dice, self.timeline
        group = int(table.columns["group"][predecessor])
        mutation = self._pickers[NETWORK if group == NETWORK else SPAM].next()
        old_handle = timeline.value_at(table, predecessor, "username", ended_at)
        old_name = timeline.value_at(table, predecessor, "name", ended_at)
        fresh_handle, fresh_name = self._fresh_identity(predecessor)
        handle = self.registry.mutate(old_handle, mutation, fresh_handle)
        if mutation == NEW_HANDLE_NEW_NAME:
            name = fresh_name
        elif mutation == CONFUSABLE:
            name = confusable_name(old_name, dice)
        else:
            name = old_name
        generation = int(table.columns["generation"][predecessor]) + 1
        style = self._drifted_style(predecessor)
        reuse_image = dice.chance(self.config.avatar_reuse_probability)
        image_key = int(table.columns["image_key"][predecessor]) if reuse_image else self._new_image_key()
        successor = table.add(
            **style,
            created_ms=created_at,
            generation=generation,
            predecessor=predecessor,
            mutation=mutation,
            joined=JOINED_RETURN,
            image_key=image_key,
            base_followers=dice.below(30),
            base_following=dice.below(40),
            username=handle,
            display_name=clip_name(name),
            bio="",
            location=table.texts["location"][predecessor] if dice.chance(0.8) else "",
            profile_url=table.texts["profile_url"][predecessor] if dice.chance(0.6) else "",
            avatar_url=avatar_url(created_at, successor_salt(table.size)) if image_key else DEFAULT_AVATAR,
        )
        table.texts["bio"][successor] = self._carried_bio(predecessor, successor, ended_at, generation)
        return successor

    def _drifted_style(self, predecessor: int) -> dict[str, object]:
        """The predecessor's style, moved by ``style_drift``: hours, rates and habits change a
        little, and sometimes the language mix does."""
        dice, config = self.dice, self.config
        drift = config.style_drift
        style = self.table.copy_style(predecessor)
        style["rate"] = float(style["rate"]) * dice.lognormal(1.0, drift)
        style["hour_peak"] = (float(style["hour_peak"]) + dice.normal(0.0, 3.0 * drift)) % 24
        style["hour_spread"] = min(max(float(style["hour_spread"]) * dice.lognormal(1.0, drift / 2), 1.0), 6.0)
        style["signature_rate"] = min(float(style["signature_rate"]) * dice.lognormal(1.0, drift), 0.9)
        for habit in ("signature", "emoji", "tag"):
            if dice.chance(drift):
                style[habit] = dice.below(64)
        if dice.chance(config.language_change_probability):
            language = int(style["language"])  # type: ignore[call-overload]
            style["language"] = MIXED if language != MIXED else (ARABIC if dice.chance(0.7) else ENGLISH)
        return style

    def _carried_bio(self, predecessor: int, successor: int, ended_at: int, generation: int) -> str:
        """Bios carry over, verbatim or with a "new account" mark, unless the returnee writes a
        new one in its voice (``bio_rewrite_probability``)."""
        dice = self.dice
        old_bio = self.timeline.value_at(self.table, predecessor, "description", ended_at)
        if dice.chance(self.config.bio_rewrite_probability):
            return compose_bio(self.table, successor, dice, generation)
        if old_bio and dice.chance(0.6):
            return old_bio
        arabic = self.table.columns["language"][successor] == ARABIC
        mark = dice.pick(vocab.RETURNEE_BIO_MARKS[1 if arabic else 0]).replace("{gen}", str(generation + 1))
        return f"{old_bio} | {mark}" if old_bio else mark

    def _fresh_identity(self, account: int) -> tuple[str, str]:
        group = int(self.table.columns["group"][account])
        if group == SPAM:
            return spam_identity(self.dice)
        if self.table.columns["language"][account] == ENGLISH and self.dice.chance(0.5):
            handle, name = english_identity(self.dice)
        else:
            handle, name = arabic_identity(self.dice, 0.6, 0.8)
        if group == NETWORK:
            # Keyed on the row the new identity will take (one past the table's end).
            name = network_display_name(name, self.config.seed, self.table.size, self.config.distinctive_name_share)
        return handle, name

    def _new_image_key(self) -> int:
        self.next_image_key += 1
        return self.next_image_key

    def _maybe_decoys(self, account: int, ended_at: int) -> None:
        """Accounts that look like the suspended one's successor but are not: parodies of it,
        and unrelated users who happen to pick a similar handle right after."""
        config, dice = self.config, self.dice
        force = self.network_suspensions >= 5
        if dice.chance(config.parody_probability) or (force and self.parodies == 0):
            self.parodies += 1
            self._add_mimic(account, ended_at, PARODY, ended_at + int(dice.between(1, 72) * MS_PER_HOUR))
        if dice.chance(config.decoy_lookalike_probability) or (force and self.decoys == 0):
            self.decoys += 1
            self._add_mimic(account, ended_at, LOOKALIKE, ended_at + int(dice.between(0.2, 48) * MS_PER_HOUR))

    def _add_mimic(self, target: int, ended_at: int, group: int, created_at: int) -> None:
        if created_at >= self.end_ms - MS_PER_HOUR:
            return
        table, dice = self.table, self.dice
        old_handle = self.timeline.value_at(table, target, "username", ended_at)
        old_name = self.timeline.value_at(table, target, "name", ended_at)
        handle = self.registry.mutate(old_handle, dice.pick((DIGIT_INCREMENT, AFFIX, CONFUSABLE, TYPO)), "")
        language = int(table.columns["language"][target])
        if group == PARODY:
            name = dice.pick((f"Not {old_name}", f"{old_name} (parody)", old_name, f"ليس {old_name}"))
            same_image = dice.chance(0.3)
            rate = 3.0
        else:
            _, name = arabic_identity(dice, 0.3, 0.5) if language != ENGLISH else english_identity(dice)
            same_image = False
            rate = 1.0
        image_key = int(table.columns["image_key"][target]) if same_image else self._new_image_key()
        account = table.add(
            group=group,
            language=language,
            created_ms=created_at,
            rate=rate * dice.lognormal(1.0, 0.5),
            hour_peak=dice.between(0, 24),
            hour_spread=dice.between(1.5, 4.5),
            signature=dice.below(64),
            emoji=dice.below(64),
            tag=dice.below(64),
            region=int(table.columns["region"][target]),
            image_key=image_key,
            mimics=target,
            joined=JOINED_MIMIC,
            base_followers=dice.below(50),
            base_following=dice.below(200),
            username=handle,
            display_name=clip_name(name),
            avatar_url=avatar_url(created_at, successor_salt(table.size)),
        )
        table.columns["person"][account] = table.new_person(account)
        table.texts["bio"][account] = compose_bio(table, account, dice)

    # --- renames -----------------------------------------------------------------------------

    def _plan_renames(self, account: int, created: int, ends: int) -> None:
        """Network accounts sometimes change handle (a cheap way to dodge a ban list), and a
        group of them does so together on the mass rename day."""
        dice, config = self.dice, self.config
        alive_from = max(created, self.start_ms) + MS_PER_HOUR
        alive_to = min(ends, self.end_ms) - MS_PER_HOUR
        if alive_to <= alive_from:
            return
        if alive_from < self._rename_ms < alive_to and dice.chance(config.mass_rename_fraction):
            self._rename_handle(account, self._rename_ms + dice.below(90 * MS_PER_MINUTE))
        if dice.chance(config.rename_probability):
            self._rename_handle(account, int(dice.between(alive_from, alive_to)))
        if dice.chance(0.05):
            at = int(dice.between(alive_from, alive_to))
            self.timeline.change(account, at, "description", compose_bio(self.table, account, dice))
        if dice.chance(0.03):
            at = int(dice.between(alive_from, alive_to))
            self.timeline.change(account, at, "profile_image_url", avatar_url(at, account * 977 + at % 9973))

    def _rename_handle(self, account: int, at_ms: int) -> None:
        dice = self.dice
        current = self.timeline.value_at(self.table, account, "username", at_ms)
        mutation = dice.pick((DIGIT_INCREMENT, AFFIX, CONFUSABLE, TYPO, NEW_HANDLE_NEW_NAME))
        fresh, _ = self._fresh_identity(account) if mutation == NEW_HANDLE_NEW_NAME else ("", "")
        new_handle = self.registry.mutate(current, mutation, fresh)
        self.timeline.change(account, at_ms, "username", new_handle)

    def _other_profile_changes(self, rng: np.random.Generator, initial: int) -> None:
        """Everyone else occasionally changes handle, display name or bio."""
        table, dice = self.table, self.dice
        groups = table.group[:initial]
        candidates = np.flatnonzero((groups != NETWORK) & (rng.random(initial) < self.config.ordinary_rename_probability))
        for account in candidates.tolist():
            first = max(int(table.columns["created_ms"][account]), self.start_ms)
            last = min(int(table.columns["end_ms"][account]), self.end_ms)
            if last - first < 2 * MS_PER_HOUR:
                continue
            at = int(dice.between(first + MS_PER_HOUR, last - MS_PER_HOUR))
            roll = dice.uniform()
            if roll < 0.4:
                self._rename_handle(account, at)
            elif roll < 0.75:
                _, name = arabic_identity(dice, 0.3, 0.5) if table.columns["language"][account] == ARABIC else english_identity(dice)
                self.timeline.change(account, at, "name", clip_name(name))
            else:
                self.timeline.change(account, at, "description", compose_bio(table, account, dice))

    # --- noisy enforcement and other status changes ------------------------------------------

    def _noisy_enforcement(self, rng: np.random.Generator, initial: int) -> None:
        """Mistaken suspensions of innocent accounts (Arabic religious and political speech
        three times as often: the platform's labels are biased), protections and deletions."""
        table, dice, config = self.table, self.dice, self.config
        groups = table.group[:initial]
        innocent = np.isin(groups, (NEWS, RELIGIOUS, POLITICAL, COUNTER, ORDINARY, LOOKALIKE))
        weights = np.where(innocent, 1.0, 0.0)
        weights[np.isin(groups, (RELIGIOUS, POLITICAL)) & (table.language[:initial] == ARABIC)] *= 3.0
        weights[groups == COUNTER] *= 2.0
        count = max(3, int(config.noise_suspension_rate * innocent.sum()))
        chosen = rng.choice(initial, size=min(count, int(innocent.sum())), replace=False, p=weights / weights.sum())
        taken = set(chosen.tolist())
        for number, account in enumerate(sorted(taken)):
            at = self._random_time_alive(account)
            if at is None:
                continue
            self.timeline.event(at, "user_suspend", account)
            back = at + int(dice.between(1, 14) * MS_PER_DAY)
            # The first mistaken suspension is always reversed, so small worlds show it.
            if (number == 0 or dice.chance(config.unsuspend_probability)) and back < self.end_ms:
                self.timeline.event(back, "user_unsuspend", account)
                self.timeline.hide(account, at, back)
            else:
                table.columns["end_ms"][account] = at
                table.columns["end_kind"][account] = END_SUSPENDED
        ordinary = np.flatnonzero(groups == ORDINARY)
        protect = ordinary[rng.random(ordinary.size) < config.ordinary_protect_probability]
        delete = ordinary[rng.random(ordinary.size) < config.ordinary_delete_probability]
        for number, account in enumerate(protect.tolist()):
            at = self._random_time_alive(account) if account not in taken else None
            if at is None:
                continue
            taken.add(account)
            self.timeline.event(at, "user_protect", account)
            self.timeline.change(account, at, "protected", True, announce=False)
            back = at + int(dice.between(2, 30) * MS_PER_DAY)
            if (number == 0 or dice.chance(0.5)) and back < self.end_ms:
                self.timeline.event(back, "user_unprotect", account)
                self.timeline.change(account, back, "protected", False, announce=False)
            self.timeline.hide(account, at, min(back, self.end_ms))
        for number, account in enumerate(delete.tolist()):
            at = self._random_time_alive(account) if account not in taken else None
            if at is None:
                continue
            self.timeline.event(at, "user_delete", account)
            back = at + int(dice.between(1, 20) * MS_PER_DAY)
            if (number == 0 or dice.chance(0.3)) and back < self.end_ms:
                self.timeline.event(back, "user_undelete", account)
                self.timeline.hide(account, at, back)
            else:
                table.columns["end_ms"][account] = at
                table.columns["end_kind"][account] = END_DELETED

    def _random_time_alive(self, account: int) -> int | None:
        first = max(int(self.table.columns["created_ms"][account]), self.start_ms) + MS_PER_HOUR
        last = min(int(self.table.columns["end_ms"][account]), self.end_ms) - 2 * MS_PER_DAY
        if last <= first:
            return None
        return int(self.dice.between(first, last))


def successor_salt(index: int) -> int:
    """Salt for a new account's avatar URL (distinct per account)."""
    return index * 31 + 7
