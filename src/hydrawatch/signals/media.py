"""Known pictures: PDQ perceptual hashes, their distance, a brute-force matcher and a fast index.

A returnee often re-uploads the avatar of the suspended account, and a network re-posts the same
propaganda pictures; both survive a new handle. PDQ (Meta, 2019; used by ThreatExchange and the
GIFCT hash-sharing database) turns a picture into 256 bits such that re-encoded, resized, slightly
cropped or recoloured copies of one picture differ in few bits, and unrelated pictures in about
half of them (128 +- 8).

How the bits are made (what :func:`pdq_hash` computes through the ``pdqhash`` package, a binding
of Meta's C++ reference): the luminance is blurred with a tent filter and sampled to 64 x 64; a
2-D DCT keeps the 16 x 16 lowest frequencies (without the constant term); bit ``k = 16 i + j`` is 1
when coefficient (i, j) is above the median of the 256. Because a threshold at the median sets
exactly half of the bits, unrelated pictures disagree on about 128 of them.

**Hex format.** ThreatExchange writes a hash as 64 hex digits, most significant nibble first, of
the 256-bit number whose bit ``k`` is coefficient ``k`` (its ``Hash256`` stores 16 words of 16 bits
``w[k >> 4] & (1 << (k & 15))`` and prints ``w[15]`` first). ``pdqhash.compute`` returns the bits
most significant first (bit 255 first), so packing them into bytes in order gives the standard hex.
This was checked against an independent numpy port of ThreatExchange's pure-Python ``PDQHasher``
(identical hex on test pictures, where a wrong order differs in about 128 bits); the test
``test_hex_matches_threatexchange_reference`` keeps that check.

**Threshold 31.** ThreatExchange treats two PDQ hashes within Hamming distance 31 (of 256) as the
same picture (``PDQ_CONFIDENT_MATCH_THRESHOLD``). Unrelated pictures sit near 128 with a spread of
about 8, so 31 is over ten spreads away: false matches come from pictures that really are
alike (flat or near-empty images, templates), not from chance. Re-encodes and resizes land
well under it (see the measured distributions in ``tests/signals/test_media.py``), while
PDQ is sensitive to shifts: trimming one pixel from each border of a 160-pixel picture flips
about 10 bits, two pixels about 22 (measured on the synthetic avatars). Raise the threshold
for more recall on edited copies, lower it for fewer accidental matches of look-alike pictures.

**Quality.** PDQ also reports a quality from 0 to 100 (how much gradient the 64 x 64 downsample
has). A nearly flat picture (a default avatar, a solid colour) gets a low quality and a hash that
is mostly noise; such hashes match each other by accident. Ignore hashes below
:data:`MIN_QUALITY` (``PdqHash.is_usable``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

import numpy as np
import pdqhash
from PIL import Image

from hydrawatch.core.errors import BadRecordError

logger = logging.getLogger(__name__)

#: Registry name of this signal (stable: stored with every match).
SIGNAL = "pdq"
VERSION = "pdq-1"

HASH_BITS = 256
HEX_DIGITS = HASH_BITS // 4

#: Hamming distance at or below which two PDQ hashes are the same picture (ThreatExchange's
#: ``PDQ_CONFIDENT_MATCH_THRESHOLD``).
DEFAULT_THRESHOLD = 31

#: Hashes of lower quality are too flat to match on (default avatars, solid colours).
MIN_QUALITY = 50

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A PDQ hash in ThreatExchange hex (64 lower-case hex digits) and its quality (0-100)."""

    hex: str
    quality: int

    def is_usable(self, min_quality: int = MIN_QUALITY) -> bool:
        """Whether the picture has enough detail for its hash to be matched."""
        return self.quality >= min_quality


def pdq_hash(image_bytes: bytes) -> PdqHash:
    """The PDQ hash of an encoded picture (JPEG, PNG, GIF's first frame, WebP, ...).

    The picture is converted to RGB (transparency dropped, as ThreatExchange does) and hashed at
    its full resolution. Bytes that are not a decodable picture raise
    :class:`~hydrawatch.core.errors.BadRecordError`.
    """
    try:
        with Image.open(io.BytesIO(image_bytes)) as picture:
            return pdq_hash_image(picture)
    # Pillow reports corrupt data as OSError mostly, SyntaxError/EOFError in some plugins.
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        head = bytes(image_bytes[:8])
        raise BadRecordError(f"not a decodable picture ({len(image_bytes)} bytes starting {head!r}): {error}. "
                             "Check that the file is an image and was downloaded completely") from error


def pdq_hash_image(picture: Image.Image) -> PdqHash:
    """The PDQ hash of an opened Pillow picture."""
    pixels = np.asarray(picture.convert("RGB"))
    bits, quality = pdqhash.compute(pixels)
    return PdqHash(bits_to_hex(bits), int(quality))


def normalize_hex(pdq_hex: str) -> str:
    """``pdq_hex`` in canonical form (lower case), or BadRecordError saying what is wrong."""
    canonical = pdq_hex.strip().lower() if isinstance(pdq_hex, str) else ""
    if not _HEX.fullmatch(canonical):
        raise BadRecordError(f"{pdq_hex!r} is not a PDQ hash: expected {HEX_DIGITS} hex digits "
                             "(ThreatExchange format, e.g. as pdq_hash(...).hex writes it)")
    return canonical


def hex_to_bits(pdq_hex: str) -> np.ndarray:
    """The 256 bits of a hash, most significant first (``bits[0]`` is bit 255, the top bit of the
    first hex digit), as uint8 zeros and ones: the order ``pdqhash.compute`` returns."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(normalize_hex(pdq_hex)), dtype=np.uint8))


def bits_to_hex(bits: Sequence[int] | np.ndarray) -> str:
    """The ThreatExchange hex of 256 bits given most significant first (inverse of :func:`hex_to_bits`)."""
    array = np.asarray(bits)
    if array.shape != (HASH_BITS,) or not np.isin(array, (0, 1)).all():
        raise ValueError(f"expected {HASH_BITS} bits of 0 or 1, got an array of shape {array.shape}")
    return np.packbits(array.astype(np.uint8)).tobytes().hex()


def hamming(hex_a: str, hex_b: str) -> int:
    """The number of bits in which two PDQ hashes differ (0 to 256)."""
    return (int(normalize_hex(hex_a), 16) ^ int(normalize_hex(hex_b), 16)).bit_count()


def match(query_hex: str, bank: Sequence[str], threshold: int = DEFAULT_THRESHOLD) -> list[tuple[int, int]]:
    """Every hash of ``bank`` within ``threshold`` of the query, as (position in bank, distance),
    nearest first (ties by position). The brute-force reference that :class:`PdqIndex` is tested
    against: it compares the query with every hash."""
    _check_threshold(threshold)
    found = ((position, hamming(query_hex, candidate)) for position, candidate in enumerate(bank))
    return sorted(((position, distance) for position, distance in found if distance <= threshold),
                  key=lambda hit: (hit[1], hit[0]))


def _check_threshold(threshold: int) -> None:
    if not 0 <= threshold <= HASH_BITS:
        raise ValueError(f"threshold must be between 0 and {HASH_BITS} bits, got {threshold}; "
                         f"ThreatExchange's default is {DEFAULT_THRESHOLD}")


class PdqIndex:
    """Find the hashes within a Hamming distance of a query among millions, exactly.

    **Multi-index hashing** (Greene, Parnas & Yao 1994; Norouzi, Punjani & Fleet 2012). Cut the 256
    bits into ``m`` chunks of ``b = 256 / m`` bits. If two hashes differ in ``d`` bits, those ``d``
    bits fall into ``m`` chunks, so (pigeonhole) some chunk holds at most ``floor(d / m)`` of them.
    Hence every hash within distance ``T`` of the query agrees with it, in at least one chunk, up
    to ``r = floor(T / m)`` bits. The index keeps, for each chunk, the hashes sorted by that chunk's
    value; a query looks up, in every chunk, the values within ``r`` bits of its own (the "probes":
    ``sum(C(b, i) for i <= r)`` of them), and computes the full distance only for the hashes found
    there. No match is missed; the answer equals :func:`match`'s.

    Choosing ``chunk_bits``:

    - ``chunk_bits=8`` (32 chunks): for ``T <= 31`` (the default threshold) ``r = 0``, one exact
      probe per chunk; every distance below 32 forces an identical byte. But a byte has only 256
      values, so each probe returns ``n / 256`` hashes: 32 probes return an eighth of the index.
    - ``chunk_bits=16`` (16 chunks, the default): for ``T <= 15`` one exact probe per chunk; for
      ``T <= 31`` ``r = 1``, 17 probes per chunk (the value and its 16 one-bit neighbours), each
      returning ``n / 65536`` hashes: 272 probes return about ``n / 240``, thirty times fewer
      candidates than 8-bit chunks. This is ThreatExchange's layout too (16 slots of 16 bits).

    Measured with a million random hashes on a shared 2-core machine: 16-bit chunks answer
    threshold 31 in about 0.5 ms (15: 0.07 ms; 47, radius 2: 3.6 ms), 8-bit chunks in 11-15 ms,
    a vectorised full scan in about 30 ms. Build: 0.4 s. PDQ hashes of real pictures are less
    uniform than random bits (synthetic avatars collide in a 16-bit chunk 1.6 times as often),
    so buckets are uneven and queries somewhat slower. Thresholds so high that the probes would
    return more than half of the index fall back to the full scan, which is always correct.

    Hashes can be added at any time. New hashes go to an unsorted tail that queries scan in full;
    the sorted chunks are rebuilt when the tail exceeds a quarter of the index (so a stream of
    additions costs amortised ``O(log n)`` each). Not thread-safe.

    Memory: 32 bytes per hash (the array grows by doubling), plus 4 bytes per hash per chunk for
    the sorted positions (64 with 16-bit chunks, 128 with 8-bit), plus 8 MB of bucket offsets for
    16-bit chunks, plus the ids: about 140 MB for a million hashes with integer ids.
    """

    _MIN_TAIL = 4096
    _TAIL_FRACTION = 4

    def __init__(self, chunk_bits: int = 16) -> None:
        if chunk_bits not in (8, 16):
            raise ValueError(f"chunk_bits must be 8 or 16, got {chunk_bits}: 16 (the default) for thresholds "
                             "up to about 63, 8 for exact-byte lookups at thresholds up to 31")
        self.chunk_bits = chunk_bits
        self._chunks = HASH_BITS // chunk_bits
        self._hashes = np.zeros((1024, HASH_BITS // 8), dtype=np.uint8)
        self._ids: list[Hashable] = []
        self._indexed = 0  # hashes [0, _indexed) are in the sorted chunks; the rest is the tail
        self._order = np.zeros((self._chunks, 0), dtype=np.int32)
        self._offsets = np.zeros((self._chunks, 0), dtype=np.int64)  # allocated by build()

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (hashes, sorted chunks, bucket offsets); ids not included."""
        return self._hashes.nbytes + self._order.nbytes + self._offsets.nbytes

    def add(self, pdq_hex: str, item_id: Hashable) -> None:
        """Add one hash under ``item_id`` (ids need not be unique; a query reports each entry)."""
        raw = bytes.fromhex(normalize_hex(pdq_hex))
        self._reserve(len(self._ids) + 1)
        self._hashes[len(self._ids)] = np.frombuffer(raw, dtype=np.uint8)
        self._ids.append(item_id)

    def add_many(self, hexes: Iterable[str], ids: Iterable[Hashable] | None = None) -> None:
        """Add many hashes at once; ``ids`` default to their running position in the index."""
        hexes = [normalize_hex(value) for value in hexes]
        ids = list(ids) if ids is not None else list(range(len(self._ids), len(self._ids) + len(hexes)))
        if len(ids) != len(hexes):
            raise ValueError(f"got {len(hexes)} hashes but {len(ids)} ids; pass one id per hash")
        start = len(self._ids)
        self._reserve(start + len(hexes))
        block = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, HASH_BITS // 8)
        self._hashes[start:start + len(hexes)] = block
        self._ids.extend(ids)

    def query(self, pdq_hex: str, threshold: int = DEFAULT_THRESHOLD) -> list[tuple[Hashable, int]]:
        """Every entry within ``threshold`` of the query, as (id, distance), nearest first (ties in
        the order the entries were added)."""
        _check_threshold(threshold)
        query = np.frombuffer(bytes.fromhex(normalize_hex(pdq_hex)), dtype=np.uint8)
        self._refresh()
        size = len(self._ids)
        radius = threshold // self._chunks
        probes = _probe_masks(self.chunk_bits, radius)
        # Each probe returns about indexed / 2**chunk_bits hashes.
        expected = self._chunks * len(probes) * self._indexed / (1 << self.chunk_bits)
        if self._indexed and expected <= self._indexed / 2:
            tail = np.arange(self._indexed, size)
            candidates = np.concatenate([self._probe(query, probes), tail])
        else:
            candidates = np.arange(size)
        distances = self._distances(query, candidates)
        close = distances <= threshold
        positions, first = np.unique(candidates[close], return_index=True)
        distances = distances[close][first]
        ranked = np.lexsort((positions, distances))
        return [(self._ids[int(positions[i])], int(distances[i])) for i in ranked]

    def _probe(self, query: np.ndarray, probes: np.ndarray) -> np.ndarray:
        """Positions of the indexed hashes that share a chunk value, up to the probe masks, with
        the query (with repeats: a hash can be found in several chunks)."""
        values = _chunk_values(query[None, :], self.chunk_bits)[0]  # (chunks,)
        wanted = values[:, None] ^ probes[None, :]  # (chunks, probes)
        rows = np.arange(self._chunks)[:, None]
        starts = self._offsets[rows, wanted].ravel()
        lengths = self._offsets[rows, wanted + 1].ravel() - starts
        # Turn the (start, length) runs into one array of positions without a Python loop.
        starts = starts + np.repeat(np.arange(self._chunks) * self._indexed, len(probes))
        total = int(lengths.sum())
        run_begins = np.cumsum(lengths) - lengths
        flat = np.repeat(starts - run_begins, lengths) + np.arange(total)
        return self._order.ravel()[flat].astype(np.int64)

    def _distances(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        words = self._hashes.view(np.uint64)[positions]
        return np.bitwise_count(words ^ query.view(np.uint64)).sum(axis=1, dtype=np.int64)

    def build(self) -> PdqIndex:
        """Sort every hash added so far into the chunk tables now. Queries do this by themselves
        when the unsorted tail grows past a quarter of the index; call it after a bulk load to
        pay the cost up front. Returns the index."""
        size = len(self._ids)
        chunk_values = np.ascontiguousarray(_chunk_values(self._hashes[:size], self.chunk_bits).T)
        order = np.empty((self._chunks, size), dtype=np.int32)
        offsets = np.zeros((self._chunks, (1 << self.chunk_bits) + 1), dtype=np.int64)
        for chunk in range(self._chunks):
            order[chunk] = np.argsort(chunk_values[chunk], kind="stable")
            offsets[chunk, 1:] = np.cumsum(np.bincount(chunk_values[chunk], minlength=1 << self.chunk_bits))
        self._order, self._offsets, self._indexed = order, offsets, size
        logger.debug("built PDQ index chunks over %d hashes", size)
        return self

    def _refresh(self) -> None:
        """Rebuild the sorted chunks when the unsorted tail has grown too long to scan cheaply."""
        tail = len(self._ids) - self._indexed
        if tail > max(self._MIN_TAIL, self._indexed // self._TAIL_FRACTION):
            self.build()

    def _reserve(self, size: int) -> None:
        if size > len(self._hashes):
            grown = np.zeros((max(size, 2 * len(self._hashes)), HASH_BITS // 8), dtype=np.uint8)
            grown[:len(self._ids)] = self._hashes[:len(self._ids)]
            self._hashes = grown


def _chunk_values(raw: np.ndarray, chunk_bits: int) -> np.ndarray:
    """(n, 32) hash bytes -> (n, 256 / chunk_bits) chunk values (bytes, or big-endian 16-bit words)."""
    if chunk_bits == 8:
        return raw
    return raw.view(">u2").astype(np.uint16)


_PROBES: dict[tuple[int, int], np.ndarray] = {}


def _probe_masks(chunk_bits: int, radius: int) -> np.ndarray:
    """Every ``chunk_bits``-bit mask with at most ``radius`` ones (0 first)."""
    key = (chunk_bits, min(radius, chunk_bits))
    if key not in _PROBES:
        masks = [sum(1 << bit for bit in flipped)
                 for ones in range(key[1] + 1) for flipped in combinations(range(chunk_bits), ones)]
        _PROBES[key] = np.array(masks, dtype=np.int64)
    return _PROBES[key]


@runtime_checkable
class Fetcher(Protocol):
    """Where pictures come from: a platform's image server, a folder of a data export."""

    def fetch(self, url: str) -> bytes | None:
        """The bytes at ``url``, or None when there are none."""
        ...


class DirectoryFetcher:
    """Pictures shipped with a data export: ``fetch(url)`` reads the file of ``folder`` named like
    the last path segment of the URL (``.../profile_images/123/abc_normal.jpg`` ->
    ``folder/abc_normal.jpg``), or returns None when there is no such file. Query strings and
    fragments are ignored and percent-escapes decoded; the name is a single path segment, so no
    path outside ``folder`` is ever built from a URL."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"{self.folder} is not a folder; pass the folder that holds the export's pictures")

    def fetch(self, url: str) -> bytes | None:
        name = PurePosixPath(unquote(urlsplit(url).path)).name
        if name in ("", ".", "..") or "\\" in name:
            return None
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None
