"""Properties of the building blocks: handle mutations, snowflakes, text helpers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.synth.clock import TWITTER_EPOCH_MS, iso_many, iso_ms, snowflakes
from hydrawatch.synth.handles import HandleRegistry, confusable_name, is_valid_handle, mutate_handle
from hydrawatch.synth.kinds import AFFIX, CONFUSABLE, DIGIT_INCREMENT, NEW_HANDLE_NEW_NAME, TYPO
from hydrawatch.synth.randomness import Dice, stage_rng, token
from hydrawatch.synth.texts import display_url, normalise_destination

handles = st.from_regex(r"[A-Za-z0-9_]{4,15}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(handle=handles, mutation=st.sampled_from([DIGIT_INCREMENT, AFFIX, CONFUSABLE, TYPO]), seed=st.integers(0, 1000))
def test_mutated_handles_are_valid_new_and_unique(handle: str, mutation: int, seed: int) -> None:
    registry = HandleRegistry(Dice(stage_rng(seed, 0)))
    assert registry.claim(handle) == handle
    successor = registry.mutate(handle, mutation, "")
    assert is_valid_handle(successor)
    assert successor.lower() != handle.lower()
    assert registry.claim(successor) is None  # taken now
    assert registry.claim(successor.upper()) is None  # case-insensitively


@settings(max_examples=100, deadline=None)
@given(handle=handles, seed=st.integers(0, 1000))
def test_fresh_handles_fall_back_to_a_free_variant(handle: str, seed: int) -> None:
    registry = HandleRegistry(Dice(stage_rng(seed, 0)))
    registry.claim(handle)
    fresh = registry.mutate("whatever", NEW_HANDLE_NEW_NAME, handle)
    assert is_valid_handle(fresh) and fresh.lower() != handle.lower()


def test_digit_increment_and_confusables_look_like_the_original() -> None:
    dice = Dice(stage_rng(1, 0))
    assert mutate_handle("abu_x12", DIGIT_INCREMENT, dice) in {"abu_x13", "abu_x14", "abu_x15"}
    assert mutate_handle("abu_x009", DIGIT_INCREMENT, dice).startswith("abu_x01")
    confused = mutate_handle("abu_salim", CONFUSABLE, dice)
    assert confused != "abu_salim" and len(confused) == len("abu_salim")
    assert confusable_name("Abu Salim", dice) != "Abu Salim"
    assert confusable_name("أبو يحيى", dice) != "أبو يحيى"


def test_snowflakes_grow_with_time_and_decode_to_it() -> None:
    times = np.array([TWITTER_EPOCH_MS + 10, TWITTER_EPOCH_MS + 10, TWITTER_EPOCH_MS + 11, 1420070400000])
    ids = snowflakes(times, 17)
    assert list(ids) == sorted(set(ids.tolist()))
    assert ((ids >> 22) + TWITTER_EPOCH_MS).tolist() == times.tolist()
    assert iso_many(times[-1:]) == [iso_ms(1420070400000)] == ["2015-01-01T00:00:00.000Z"]


def test_text_helpers() -> None:
    assert display_url("https://www.example.com/a") == "example.com/a"
    assert display_url("https://justpaste.it/" + "x" * 40).endswith("…")
    assert normalise_destination("https://telegram.me/chan/") == "t.me/chan"
    assert normalise_destination("https://www.vk.com/name") == "vk.com/name"
    assert token(5, 10) == token(5, 10) and token(5, 10) != token(6, 10)
    assert token(5, 10).isalnum() and len(token(5, 16)) == 16
