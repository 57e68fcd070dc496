"""Profiles as they were at any moment, and the counts a user object carries.

A user object in a tweet shows the profile at the time of the top-level tweet that carries
it (a retweet made after a rename shows the new handle of the retweeted author too, as a
fresh API response would). Profile *state* is what identifies a version (handle, name, bio,
location, avatar, url, protected, verified); counts grow continuously and are not part of it.
"""

from __future__ import annotations

import bisect
import zlib

import numpy as np

from .lifecycle import Timeline
from .pools import Posts
from .population import AccountTable
from .texts import tco

ProfileState = tuple[str, str, str, str, str, str, bool, bool]
STATE_FIELDS = ("username", "name", "description", "location", "profile_image_url", "url", "protected", "verified")
_FIELD_INDEX = {name: index for index, name in enumerate(STATE_FIELDS)}
# Keys pack (account, ms since origin): 39 bits of time cover 17 years, leaving 24 bits of
# account index (16M accounts).
_KEY_SHIFT = 39


class Profiles:
    """Profile state of every account at any time, with a per-account version number that is
    the same for equal states (so states can be counted as written)."""

    def __init__(self, table: AccountTable, timeline: Timeline) -> None:
        self._texts = table.texts
        self._protected = (table.protected_media & (table.generation == 0)).tolist()
        self._verified = table.verified.tolist()
        self._versions: dict[int, tuple[list[int], list[ProfileState], list[int]]] = {}
        for account, changes in timeline.changes.items():
            state = list(self.base_state(account))
            times: list[int] = []
            states: list[ProfileState] = [tuple(state)]  # type: ignore[list-item]
            version_of = {states[0]: 0}
            versions = [0]
            for when, profile_field, value in sorted(changes, key=lambda change: change[0]):
                state[_FIELD_INDEX[profile_field]] = value
                frozen: ProfileState = tuple(state)  # type: ignore[assignment]
                times.append(when)
                states.append(frozen)
                versions.append(version_of.setdefault(frozen, len(version_of)))
            self._versions[account] = (times, states, versions)

    def base_state(self, account: int) -> ProfileState:
        texts = self._texts
        return (texts["username"][account], texts["display_name"][account], texts["bio"][account],
                texts["location"][account], texts["avatar_url"][account], texts["profile_url"][account],
                self._protected[account], self._verified[account])

    def version_at(self, account: int, at_ms: int) -> int:
        """The version number of the state at ``at_ms`` (0 for the state at creation; equal
        states share a number)."""
        history = self._versions.get(account)
        if history is None:
            return 0
        return history[2][bisect.bisect_right(history[0], at_ms)]

    def state_of(self, account: int, version: int) -> ProfileState:
        history = self._versions.get(account)
        if history is None:
            return self.base_state(account)
        return history[1][history[2].index(version)]

    def state_at(self, account: int, at_ms: int) -> tuple[ProfileState, int]:
        """The state at ``at_ms`` and its version number."""
        history = self._versions.get(account)
        if history is None:
            return self.base_state(account), 0
        times, states, versions = history
        position = bisect.bisect_right(times, at_ms)
        return states[position], versions[position]

    def handle_at(self, account: int, at_ms: int) -> str:
        return self.state_at(account, at_ms)[0][0]


def profile_tco(account: int, expanded: str) -> str:
    """The t.co form of a profile URL (stable per account and URL)."""
    return tco((account << 20) ^ zlib.crc32(expanded.encode()))


class Counts:
    """Followers, followees and posts of an account up to a time, for ``public_metrics``."""

    def __init__(self, table: AccountTable, follow_source: np.ndarray, follow_target: np.ndarray,
                 follow_time: np.ndarray, posts: Posts, origin_ms: int) -> None:
        self.origin_ms = origin_ms - 1200 * 86_400_000
        self.base_followers = table.base_followers.astype(np.int64)
        self.base_following = table.base_following.astype(np.int64)
        self.base_posts = table.base_tweets.astype(np.int64)
        self.listed = table.listed.tolist()
        self._incoming = np.sort(self._key(follow_target, follow_time))
        self._outgoing = np.sort(self._key(follow_source, follow_time))
        self._posted = np.sort(self._key(posts.author, posts.time_ms))

    def _key(self, accounts: np.ndarray, times: np.ndarray) -> np.ndarray:
        return (np.asarray(accounts, dtype=np.int64) << _KEY_SHIFT) + (np.asarray(times, dtype=np.int64) - self.origin_ms)

    @staticmethod
    def _upto(keys: np.ndarray, accounts: np.ndarray, query: np.ndarray) -> np.ndarray:
        return np.searchsorted(keys, query, side="right") - np.searchsorted(keys, accounts << _KEY_SHIFT, side="left")

    def at(self, accounts: np.ndarray, times: np.ndarray) -> tuple[list[int], list[int], list[int]]:
        """(followers, following, posts) of each account at each time; -1 accounts give 0s."""
        accounts = np.asarray(accounts, dtype=np.int64)
        safe = np.maximum(accounts, 0)
        query = self._key(safe, times)
        followers = self.base_followers[safe] + self._upto(self._incoming, safe, query)
        following = self.base_following[safe] + self._upto(self._outgoing, safe, query)
        posted = self.base_posts[safe] + self._upto(self._posted, safe, query)
        return followers.tolist(), following.tolist(), posted.tolist()
