"""Randomness that stays reproducible.

All draws come from one ``numpy.random.Generator(PCG64(seed))`` per stage. Python loops use
:class:`Dice`, which buffers numpy draws so a scalar draw costs a list index instead of a
numpy call. Stable hashes (:func:`mix64`) derive tokens such as t.co codes from ids, so a
value never depends on how many draws happened before it.
"""

from __future__ import annotations

import base64
import math

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_MASK64 = (1 << 64) - 1


def stage_rng(seed: int, stage: int) -> np.random.Generator:
    """An independent generator for one stage of the world, so that changing how one stage
    draws does not shift the draws of the others."""
    return np.random.Generator(np.random.PCG64([seed, stage]))


class Dice:
    """Scalar draws for Python loops, served from buffered numpy blocks."""

    __slots__ = ("_rng", "_block", "_buffer", "_position")

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._buffer: list[float] = []
        self._position = 0

    def uniform(self) -> float:
        """A float in [0, 1)."""
        if self._position >= len(self._buffer):
            self._buffer = self._rng.random(self._block).tolist()
            self._position = 0
        value = self._buffer[self._position]
        self._position += 1
        return value

    def below(self, n: int) -> int:
        """An int in [0, n)."""
        return min(int(self.uniform() * n), n - 1)

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self.uniform()

    def chance(self, probability: float) -> bool:
        return self.uniform() < probability

    def pick(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def weighted(self, weights: Sequence[float]) -> int:
        """An index drawn with the given (unnormalised) weights."""
        target = self.uniform() * sum(weights)
        running = 0.0
        for index, weight in enumerate(weights):
            running += weight
            if target < running:
                return index
        return len(weights) - 1

    def exponential(self, mean: float) -> float:
        return -mean * math.log1p(-self.uniform())

    def normal(self, mean: float, sd: float) -> float:
        # Box-Muller from two uniforms keeps every draw on the buffered stream.
        u1 = max(self.uniform(), 1e-12)
        u2 = self.uniform()
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.normal(0.0, sigma))


def mix64(value: int) -> int:
    """SplitMix64's finaliser: a stable 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _digest(value: int, length: int) -> bytes:
    """``length`` pseudo-random bytes derived from ``value``."""
    if length <= 8:
        return mix64(value).to_bytes(8, "little")[:length]
    words = (length + 7) // 8
    return b"".join(mix64(value * 0x9E3779B97F4A7C15 + i).to_bytes(8, "little") for i in range(words))[:length]


# Base64 and base32 are fast C encoders; folding their two symbols that are not letters or
# digits keeps tokens alphanumeric (t.co codes, file names).
_BASE62_FOLD = str.maketrans({"+": "Q", "/": "z", "=": "x"})


def token(value: int, length: int) -> str:
    """A ``length``-character alphanumeric token derived from ``value`` (same value, same
    token)."""
    encoded = base64.b64encode(_digest(value, (length * 6 + 7) // 8)).decode("ascii")
    return encoded.translate(_BASE62_FOLD)[:length]


def lower_token(value: int, length: int) -> str:
    """Like :func:`token` but lower-case letters and digits only (URL slugs, handles)."""
    encoded = base64.b32encode(_digest(value, (length * 5 + 7) // 8)).decode("ascii")
    return encoded.lower().replace("=", "x")[:length]
