"""Known-content banks: MinHash against exact Jaccard, LSH index against brute force, hash-list
import, PDQ matching against the brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.core.errors import ConfigError
from hydrawatch.signals.banks import (
    PDQ,
    TEXT_MINHASH,
    Bank,
    BankEntry,
    MinHasher,
    MinHashIndex,
    match_text_reference,
    read_hash_list,
)
from hydrawatch.signals.media import bits_to_hex

# Placeholder text about the simulated world's invented organisation.
RELEASE = ("the zephyr relay publishes its weekly bulletin from the valley of sarim with news of the "
           "market, the harvest and the new council of qadira")
OTHER = "the harbour united supporters gather at the stadium tonight for the cup final against the cedar rovers"


def _pdq(rng: np.random.Generator) -> str:
    return bits_to_hex(rng.integers(0, 2, 256))


def _flip(pdq_hex: str, bits: int, rng: np.random.Generator) -> str:
    value = np.array([int(b) for b in bin(int(pdq_hex, 16))[2:].zfill(256)])
    value[rng.choice(256, bits, replace=False)] ^= 1
    return bits_to_hex(value)


def test_minhash_estimates_jaccard():
    hasher = MinHasher(num_perm=256)
    variant = RELEASE.replace("weekly", "monthly") + " #relay https://t.co/x @someone"
    a, b = hasher.shingles(RELEASE), hasher.shingles(variant)
    exact = len(a & b) / len(a | b)
    estimate = hasher.similarity(hasher.signature(RELEASE), hasher.signature(variant))
    assert abs(estimate - exact) < 4 * np.sqrt(exact * (1 - exact) / 256) + 0.01
    assert hasher.similarity(hasher.signature(RELEASE), hasher.signature(OTHER)) < 0.2
    assert hasher.signature("too short") is None
    assert hasher.signature(None) is None


def test_links_mentions_and_case_do_not_change_the_signature():
    hasher = MinHasher()
    assert np.array_equal(hasher.signature(RELEASE), hasher.signature("RT @x: " + RELEASE.upper() + " https://justpaste.it/abc"))


def test_signature_hex_round_trip_and_bad_hex():
    hasher = MinHasher()
    signature = hasher.signature(RELEASE)
    assert np.array_equal(hasher.from_hex(MinHasher.to_hex(signature)), signature)
    with pytest.raises(Exception, match="hex digits"):
        hasher.from_hex("abc")


def test_parameters_are_checked_with_a_fix():
    with pytest.raises(ConfigError, match="multiple of 8"):
        MinHasher(num_perm=100)
    with pytest.raises(ConfigError, match="must divide"):
        MinHashIndex(num_perm=128, bands=30)


words = st.lists(st.sampled_from("relay bulletin market harvest council valley sarim qadira news week city river".split()),
                 min_size=8, max_size=30).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(st.lists(words, min_size=1, max_size=15), words, st.sampled_from([0.5, 0.8, 0.9]))
def test_index_matches_brute_force(bank_texts, query, threshold):
    hasher = MinHasher()
    signatures = [hasher.signature(t) for t in bank_texts]
    signatures = [s for s in signatures if s is not None]
    q = hasher.signature(query)
    if q is None or not signatures:
        return
    index = MinHashIndex()
    for position, signature in enumerate(signatures):
        index.add(signature, position)
    fast = {i: s for i, s in index.query(q, threshold)}
    reference = dict(match_text_reference(q, signatures, threshold))
    assert set(fast) <= set(reference)
    assert all(fast[i] == reference[i] for i in fast)
    if threshold > 1 - 31 / 128:  # fewer differing positions than bands: a band always matches
        assert set(fast) == set(reference)


def test_import_threatexchange_style_csv_and_plain_pdq_list(tmp_path):
    rng = np.random.default_rng(1)
    known = [_pdq(rng) for _ in range(3)]
    csv_file = tmp_path / "hashes.csv"
    csv_file.write_text("signal_type,signal_value,tags\n"
                        f"pdq,{known[0].upper()},release\n"
                        f"text,\"{RELEASE}\",statement\n"
                        "pdq,nothex,bad\n"
                        "text,too short,bad\n"
                        "video_md5,abc,unsupported\n")
    entries, problems = read_hash_list(csv_file)
    assert [(e.signal_type, e.tags) for e in entries] == [(PDQ, "release"), (TEXT_MINHASH, "statement")]
    assert entries[0].signal_value == known[0]
    assert RELEASE not in entries[1].signal_value  # only the signature is kept
    assert len(problems) == 3 and all("hashes.csv:" in p for p in problems)
    plain = tmp_path / "list.txt"
    plain.write_text("\n".join(known[1:]) + "\n")
    assert [e.signal_value for e in read_hash_list(plain)[0]] == known[1:]
    nonsense = tmp_path / "x.txt"
    nonsense.write_text("hello\n")
    with pytest.raises(ConfigError, match="not a hash list"):
        read_hash_list(nonsense)


def test_bank_round_trip_dedup_and_matches(tmp_path):
    rng = np.random.default_rng(2)
    hashes = [_pdq(rng) for _ in range(50)]
    hasher = MinHasher()
    bank = Bank([BankEntry(PDQ, h, "pic", "list") for h in hashes] + [BankEntry(TEXT_MINHASH, MinHasher.to_hex(hasher.signature(RELEASE)), "text", "list")])
    assert bank.add([BankEntry(PDQ, hashes[0])]) == 0
    bank.save(tmp_path / "bank.tsv")
    loaded = Bank.load(tmp_path / "bank.tsv")
    assert loaded.counts() == {PDQ: 50, TEXT_MINHASH: 1}
    near = _flip(hashes[7], 20, rng)
    far = _flip(hashes[7], 60, rng)
    assert [(e.signal_value, d) for e, d in loaded.match_pdq(near)] == [(hashes[7], 20)]
    assert loaded.match_pdq(far) == [] == loaded.match_pdq_reference(far)
    for query in (near, far, _pdq(rng)):
        assert loaded.match_pdq(query, 40) == loaded.match_pdq_reference(query, 40)
    copy = "BREAKING " + RELEASE + " pass it on"
    assert [e.tags for e, _ in loaded.match_text(copy)] == ["text"]
    assert loaded.match_text(OTHER) == []
    (tmp_path / "wrong.tsv").write_text("a\tb\n")
    with pytest.raises(ConfigError, match="banks import"):
        Bank.load(tmp_path / "wrong.tsv")
