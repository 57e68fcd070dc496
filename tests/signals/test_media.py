"""PDQ hashes, matching and the multi-index; the synthetic avatar server; fetchers."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pdqhash", reason="media signals need the pdqhash package (pip install pdqhash)")
pytest.importorskip("PIL", reason="media signals need Pillow (pip install pillow)")

from PIL import Image, ImageDraw  # noqa: E402

from hydrawatch.core.errors import BadRecordError  # noqa: E402
from hydrawatch.signals.imagesynth import (  # noqa: E402
    SyntheticAvatarFetcher,
    parse_image_key,
    render_avatar,
    url_variant,
)
from hydrawatch.signals.media import (  # noqa: E402
    DEFAULT_THRESHOLD,
    MIN_QUALITY,
    DirectoryFetcher,
    Fetcher,
    PdqIndex,
    bits_to_hex,
    hamming,
    hex_to_bits,
    match,
    normalize_hex,
    pdq_hash,
    pdq_hash_image,
)

raw_hashes = st.binary(min_size=32, max_size=32)


def hex_of(raw: bytes) -> str:
    return raw.hex()


def flipped(pdq_hex: str, positions: list[int]) -> str:
    value = int(pdq_hex, 16)
    for position in positions:
        value ^= 1 << position
    return f"{value:064x}"


# ---------------------------------------------------------------------------------------------
# Hex format


@given(raw_hashes)
def test_hex_bits_round_trip(raw: bytes) -> None:
    bits = hex_to_bits(raw.hex())
    assert bits.shape == (256,) and set(np.unique(bits)) <= {0, 1}
    assert bits_to_hex(bits) == raw.hex()
    assert np.array_equal(hex_to_bits(bits_to_hex(bits)), bits)


@given(raw_hashes, st.integers(0, 255))
def test_bit_k_of_the_hex_number_is_vector_position_255_minus_k(raw: bytes, k: int) -> None:
    # ThreatExchange's Hash256: bit k lives at value bit k of the printed 256-bit number.
    pdq_hex = raw.hex()
    assert hex_to_bits(pdq_hex)[255 - k] == (int(pdq_hex, 16) >> k) & 1


def test_top_bit_is_first_hex_digit() -> None:
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1
    assert bits_to_hex(bits) == "8" + "0" * 63


def test_normalize_hex_accepts_upper_case_and_rejects_garbage() -> None:
    assert normalize_hex(" " + "AB" * 32 + "\n") == "ab" * 32
    for bad in ("ab" * 31, "zz" * 32, "ab" * 33, "", None):
        with pytest.raises(BadRecordError, match="64 hex digits"):
            normalize_hex(bad)  # type: ignore[arg-type]


def test_bits_to_hex_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="256 bits"):
        bits_to_hex([1, 0, 1])


def _reference_pdq_hex(picture: Image.Image) -> str:
    """An independent numpy port of ThreatExchange's pure-Python ``PDQHasher`` (pdq/python), with
    its own bit packing (``Hash256``: bit k = 16 i + j in word k >> 4, words printed from 15 down).
    Written from the algorithm, not from the ``pdqhash`` binding, so it checks the bit order."""
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float64)
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    rows, cols = luma.shape

    def box(values: np.ndarray, window: int) -> np.ndarray:
        # Jarosz box filter along the last axis: output i averages inputs
        # [i - (window - half), i + half - 1], clipped at the borders, half = (window + 2) // 2.
        half = (window + 2) // 2
        length = values.shape[-1]
        sums = np.concatenate([np.zeros(values.shape[:-1] + (1,)), np.cumsum(values, axis=-1)], axis=-1)
        index = np.arange(length)
        low = np.clip(index - (window - half), 0, length - 1)
        high = np.clip(index + half - 1, 0, length - 1)
        return (sums[..., high + 1] - sums[..., low]) / (high - low + 1)

    along_rows, along_cols = math.ceil(cols / 128), math.ceil(rows / 128)
    for _ in range(2):
        luma = box(box(luma, along_rows).T, along_cols).T
    sample_rows = ((np.arange(64) + 0.5) * rows / 64).astype(int)
    sample_cols = ((np.arange(64) + 0.5) * cols / 64).astype(int)
    block = luma[np.ix_(sample_rows, sample_cols)]
    dct = np.cos(np.pi / 2 / 64 * np.outer(np.arange(1, 17), 2 * np.arange(64) + 1))
    coefficients = dct @ block @ dct.T
    median = np.median(coefficients)
    words = [0] * 16
    for i in range(16):
        for j in range(16):
            if coefficients[i, j] > median:
                k = 16 * i + j
                words[k >> 4] |= 1 << (k & 15)
    return "".join(f"{words[w]:04x}" for w in range(15, -1, -1))


def _test_picture(seed: int, width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", (width, height), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(8):
        x, y = rng.integers(0, min(width, height) - 40, 2)
        draw.ellipse((int(x), int(y), int(x) + 45, int(y) + 35), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return picture


@pytest.mark.parametrize(("seed", "width", "height"), [(1, 160, 160), (2, 300, 200), (3, 177, 250)])
def test_hex_matches_threatexchange_reference(seed: int, width: int, height: int) -> None:
    picture = _test_picture(seed, width, height)
    ours = pdq_hash_image(picture).hex
    reference = _reference_pdq_hex(picture)
    # float32 (C++) against float64 (numpy) may flip a bit sitting on the median; a wrong bit
    # order would differ in about 128.
    assert hamming(ours, reference) <= 4, (ours, reference)
    assert hamming(ours[::-1], reference) > 64


# ---------------------------------------------------------------------------------------------
# Hashing pictures


def _encode(picture: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    picture.save(out, format=kind)
    return out.getvalue()


def test_pdq_hash_of_a_jpeg() -> None:
    result = pdq_hash(render_avatar(12345, 0))
    assert len(result.hex) == 64 and result.hex == result.hex.lower()
    assert 0 <= result.quality <= 100 and result.is_usable()


def test_pdq_hash_reads_png_with_alpha_and_grayscale() -> None:
    picture = _test_picture(4, 160, 160)
    expected = pdq_hash_image(picture).hex
    rgba = picture.convert("RGBA")
    assert hamming(pdq_hash(_encode(rgba, "PNG")).hex, expected) == 0
    gray = pdq_hash(_encode(picture.convert("L"), "PNG"))
    assert len(gray.hex) == 64


@pytest.mark.parametrize("data", [b"", b"not a picture", render_avatar(7, 0)[:200]])
def test_pdq_hash_rejects_undecodable_bytes(data: bytes) -> None:
    with pytest.raises(BadRecordError, match="not a decodable picture"):
        pdq_hash(data)


def test_default_avatar_is_too_flat_to_match() -> None:
    quality = pdq_hash(render_avatar(0, 0)).quality
    assert quality < MIN_QUALITY, f"default avatar quality {quality}"


# ---------------------------------------------------------------------------------------------
# Distance and brute-force match


@given(raw_hashes, raw_hashes, raw_hashes)
def test_hamming_is_a_metric(a: bytes, b: bytes, c: bytes) -> None:
    ha, hb, hc = a.hex(), b.hex(), c.hex()
    assert hamming(ha, ha) == 0
    assert hamming(ha, hb) == hamming(hb, ha) == int(np.sum(hex_to_bits(ha) != hex_to_bits(hb)))
    assert hamming(ha, hc) <= hamming(ha, hb) + hamming(hb, hc)


def test_match_finds_near_copies_nearest_first() -> None:
    base = "a5" * 32
    bank = [flipped(base, list(range(40))), flipped(base, [3, 9]), "5a" * 32, base, flipped(base, list(range(31)))]
    assert match(base, bank) == [(3, 0), (1, 2), (4, 31)]
    assert match(base, bank, threshold=0) == [(3, 0)]
    with pytest.raises(ValueError, match="between 0 and 256"):
        match(base, bank, threshold=-1)


# ---------------------------------------------------------------------------------------------
# PdqIndex against the brute-force reference


def flip_patterns() -> st.SearchStrategy[list[int]]:
    """Bits to flip: anywhere, or spread evenly so that every chunk of the index gets some (the
    hard case for multi-index hashing: a match that agrees exactly on only one chunk, or on none
    and within one bit on some)."""
    anywhere = st.lists(st.integers(0, 255), max_size=40)
    spread = st.builds(lambda count, offset, stride: [(offset + i * stride) % 256 for i in range(count)],
                       st.integers(0, 40), st.integers(0, 255), st.sampled_from([8, 15, 16, 17, 24]))
    return st.one_of(anywhere, spread)


@st.composite
def banks(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Copies of a few originals with some bits flipped, some unrelated hashes, and queries:
    the originals themselves, other copies, and an unrelated hash."""
    originals = [draw(raw_hashes).hex() for _ in range(draw(st.integers(1, 4)))]
    bank = [flipped(draw(st.sampled_from(originals)), draw(flip_patterns())) for _ in range(draw(st.integers(0, 60)))]
    bank += [draw(raw_hashes).hex() for _ in range(draw(st.integers(0, 10)))]
    bank = draw(st.permutations(bank))
    queries = originals + [flipped(draw(st.sampled_from(originals)), draw(flip_patterns())), draw(raw_hashes).hex()]
    return bank, queries


@settings(max_examples=100, deadline=None)
@given(banks(), st.sampled_from([8, 16]), st.integers(0, 64), st.floats(0, 1))
def test_index_equals_brute_force(bank_and_queries: tuple[list[str], list[str]], chunk_bits: int,
                                  threshold: int, built_fraction: float) -> None:
    bank, queries = bank_and_queries
    index = PdqIndex(chunk_bits=chunk_bits)
    built = int(len(bank) * built_fraction)
    index.add_many(bank[:built])
    index.build()  # the first part goes through the chunk tables, the rest stays in the tail
    for position in range(built, len(bank)):
        index.add(bank[position], position)
    for query in queries:
        assert index.query(query, threshold) == match(query, bank, threshold)


@pytest.mark.parametrize(("chunk_bits", "threshold"), [(16, 15), (16, 31), (16, 47), (8, 31)])
def test_index_finds_matches_that_agree_on_a_single_chunk(chunk_bits: int, threshold: int) -> None:
    """The pigeonhole boundary: a hash at distance exactly ``threshold`` whose differences fill
    every chunk beyond the probe radius except one, for each chunk in turn, must be found;
    one more difference in that chunk puts it out of range and out of the answer."""
    chunks = 256 // chunk_bits
    radius = threshold // chunks
    assert threshold == chunks * (radius + 1) - 1, "the case must sit exactly on the boundary"
    query = np.random.default_rng(threshold).integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
    index = PdqIndex(chunk_bits=chunk_bits)
    bank = []
    for lone in range(chunks):
        for extra in (0, 1):  # extra = 1: distance threshold + 1, must not match
            flips = [chunk * chunk_bits + bit for chunk in range(chunks)
                     for bit in range(radius + (chunk != lone or extra))]
            bank.append(flipped(query, flips))
    index.add_many(bank)
    index.build()
    found = index.query(query, threshold)
    assert found == [(position, threshold) for position in range(0, len(bank), 2)]
    assert found == match(query, bank, threshold)


def test_index_default_threshold_and_arbitrary_ids() -> None:
    base = "0f" * 32
    index = PdqIndex()
    index.add(flipped(base, list(range(31))), "far-but-in")
    index.add(flipped(base, list(range(32))), "just-out")
    index.add(base, ("tuple", 1))
    index.build()
    assert index.query(base) == [(("tuple", 1), 0), ("far-but-in", DEFAULT_THRESHOLD)]
    assert len(index) == 3


def test_index_streaming_adds_rebuild_and_stay_exact() -> None:
    rng = np.random.default_rng(5)
    originals = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(50)]
    bank: list[str] = []
    index = PdqIndex()
    for step in range(6000):
        pdq_hex = flipped(originals[step % 50], rng.integers(0, 256, int(rng.integers(0, 40))).tolist())
        bank.append(pdq_hex)
        index.add(pdq_hex, step)
        if step % 1500 == 1499:
            query = flipped(originals[step % 7], [1, 2, 3])
            assert index.query(query) == match(query, bank)
    assert index._indexed > 0, "the tail should have been sorted into the chunk tables"  # noqa: SLF001


def test_index_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="chunk_bits must be 8 or 16"):
        PdqIndex(chunk_bits=4)
    index = PdqIndex()
    with pytest.raises(ValueError, match="one id per hash"):
        index.add_many(["00" * 32], ids=[1, 2])
    with pytest.raises(BadRecordError):
        index.add("xyz", 1)


# ---------------------------------------------------------------------------------------------
# Synthetic avatars: uploads of one picture are close, different pictures far apart


def _distances_matrix(hexes: list[str]) -> np.ndarray:
    raw = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32).view(np.uint64)
    return np.bitwise_count(raw[:, None, :] ^ raw[None, :, :]).sum(axis=2)


def test_variants_of_one_picture_are_close_and_pictures_far_apart() -> None:
    keys = [0x9E3779B97F4A7C15 * (k + 1) % (1 << 64) for k in range(200)]
    variants = (0, 1, 2)
    hashes = {(key, variant): pdq_hash(render_avatar(key, variant)) for key in keys for variant in variants}
    within = np.array([hamming(hashes[key, a].hex, hashes[key, b].hex)
                       for key in keys for a in variants for b in variants if a < b])
    originals = _distances_matrix([hashes[key, 0].hex for key in keys])
    between = originals[np.triu_indices(len(keys), 1)]
    qualities = np.array([found.quality for found in hashes.values()])
    report = (f"within one picture ({within.size} pairs): median {np.median(within):.0f}, "
              f"95th percentile {np.percentile(within, 95):.0f}, max {within.max()}; "
              f"between pictures ({between.size} pairs): min {between.min()}, "
              f"1st percentile {np.percentile(between, 1):.0f}, median {np.median(between):.0f}; "
              f"quality: min {qualities.min()}, median {np.median(qualities):.0f}")
    assert np.median(within) <= 14 and np.percentile(within, 95) < 20, report
    assert np.mean(within <= DEFAULT_THRESHOLD) >= 0.99, report
    assert between.min() > 70 and np.percentile(between, 1) > 90 and 110 <= np.median(between) <= 140, report
    assert np.mean(qualities >= MIN_QUALITY) >= 0.99, report


def test_render_is_deterministic_and_variants_differ() -> None:
    assert render_avatar(42, 3) == render_avatar(42, 3)
    assert render_avatar(42, 3) != render_avatar(42, 4)
    picture = Image.open(io.BytesIO(render_avatar(42, 3, size=96)))
    assert picture.format == "JPEG" and picture.size == (96, 96)
    with pytest.raises(ValueError, match="non-negative"):
        render_avatar(-1, 0)


# ---------------------------------------------------------------------------------------------
# Fetchers


def _write_avatars_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("avatar_url", "image_key"))
        writer.writerows(rows)
    return path


def test_synthetic_fetcher_serves_reuploads(tmp_path: Path) -> None:
    first, reupload = "https://img.example/a/first_normal.jpg", "https://img.example/b/again_normal.jpg"
    other = "https://img.example/c/other_normal.jpg"
    path = _write_avatars_csv(tmp_path / "avatars.csv", [
        (first, "img_00000000deadbeef"), (reupload, "img_00000000deadbeef"), (other, "img_0123456789abcdef"),
        ("https://abs.example/default_profile_normal.png", "default_profile"),
    ])
    fetcher = SyntheticAvatarFetcher.from_csv(path)
    assert isinstance(fetcher, Fetcher) and len(fetcher) == 4
    assert fetcher.fetch(first) == SyntheticAvatarFetcher.from_csv(path).fetch(first)  # same URL, same bytes
    assert fetcher.fetch(first) != fetcher.fetch(reupload)  # another upload of the same picture
    assert fetcher.fetch("https://img.example/unknown.jpg") is None
    first_hash, reupload_hash, other_hash = (pdq_hash(fetcher.fetch(url) or b"").hex
                                             for url in (first, reupload, other))
    assert hamming(first_hash, reupload_hash) <= DEFAULT_THRESHOLD
    assert hamming(first_hash, other_hash) > 3 * DEFAULT_THRESHOLD


def test_url_variant_is_stable_across_processes() -> None:
    # Pinned: a change here changes every synthetic picture; bump imagesynth.VERSION if intended.
    assert url_variant("https://pbs.twimg.com/profile_images/1/abc_normal.jpg") == 399238


def test_parse_image_key_and_bad_rows(tmp_path: Path) -> None:
    assert parse_image_key("default_profile") == 0
    assert parse_image_key("img_00000000000000ff") == 255
    assert parse_image_key("17") == 17
    path = _write_avatars_csv(tmp_path / "avatars.csv", [("https://x/1.jpg", "img_00ff"), ("https://x/2.jpg", "pic")])
    with pytest.raises(BadRecordError, match=r"avatars.csv:3: image_key 'pic'"):
        SyntheticAvatarFetcher.from_csv(path)
    (tmp_path / "wrong.csv").write_text("url,key\nhttps://x/1.jpg,1\n", encoding="utf-8")
    with pytest.raises(BadRecordError, match="missing column"):
        SyntheticAvatarFetcher.from_csv(tmp_path / "wrong.csv")


def test_synthetic_world_returnees_reupload_matching_avatars(tmp_path: Path) -> None:
    synth = pytest.importorskip("hydrawatch.synth")
    synth.generate(synth.WorldConfig(seed=3, accounts=600, network=60, days=30), tmp_path)
    fetcher = SyntheticAvatarFetcher.from_world(tmp_path)
    urls_by_key: dict[int, list[str]] = defaultdict(list)
    for url, key in fetcher.image_keys.items():
        urls_by_key[key].append(url)
    shared = [urls for key, urls in urls_by_key.items() if key != 0 and len(urls) > 1]
    assert shared, "the world should contain re-uploaded avatars"
    distances = [hamming(pdq_hash(fetcher.fetch(urls[0]) or b"").hex, pdq_hash(fetcher.fetch(url) or b"").hex)
                 for urls in shared for url in urls[1:]]
    assert max(distances) <= DEFAULT_THRESHOLD, distances


def test_directory_fetcher(tmp_path: Path) -> None:
    (tmp_path / "abc_normal.jpg").write_bytes(b"jpeg bytes")
    (tmp_path / "with space.png").write_bytes(b"png bytes")
    fetcher = DirectoryFetcher(tmp_path)
    assert isinstance(fetcher, Fetcher)
    assert fetcher.fetch("https://pbs.twimg.com/profile_images/1/abc_normal.jpg") == b"jpeg bytes"
    assert fetcher.fetch("https://pbs.twimg.com/profile_images/1/abc_normal.jpg?size=big#x") == b"jpeg bytes"
    assert fetcher.fetch("https://cdn.example/a/with%20space.png") == b"png bytes"
    assert fetcher.fetch("abc_normal.jpg") == b"jpeg bytes"
    assert fetcher.fetch("https://pbs.twimg.com/profile_images/1/missing.jpg") is None
    assert fetcher.fetch("https://pbs.twimg.com/") is None
    assert fetcher.fetch("https://x/..") is None
    assert fetcher.fetch("https://x/%2e%2e%2fsecret") is None
    with pytest.raises(FileNotFoundError, match="not a folder"):
        DirectoryFetcher(tmp_path / "nope")
