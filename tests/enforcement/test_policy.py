"""Policies: the file format, the simulator's response to each knob, and the generator's knobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hydrawatch.core.errors import ConfigError
from hydrawatch.enforcement.data import DAY, HOUR, EnforcementData
from hydrawatch.enforcement.simulate import Calibration, Policy, compare_policies, simulate, world_config_for
from hydrawatch.synth import WorldConfig

START = 1_420_070_400.0


def test_policy_file_round_trip_and_errors(tmp_path: Path):
    path = tmp_path / "fast.toml"
    path.write_text('suspension_speedup = 2.0\nreturnee_detection_hours = 6\ntargeting = "hubs"\nruns = 5\n')
    policy = Policy.from_toml(path)
    assert policy.name == "fast" and policy.returnee_detection_hours == 6 and policy.targeting == "hubs"
    path.write_text("suspension_sped_up = 2\n")
    with pytest.raises(ConfigError, match="unknown policy key"):
        Policy.from_toml(path)
    path.write_text('targeting = "everyone"\n')
    with pytest.raises(ConfigError, match="targeting must be one of"):
        Policy.from_toml(path)
    with pytest.raises(ConfigError, match="targeting_strength"):
        Policy(targeting_strength=3.5)


def synthetic_network(seed: int = 3, actors: int = 150) -> EnforcementData:
    """Actors whose accounts are suspended at a constant hazard and return after hours."""
    rng = np.random.default_rng(seed)
    end = START + 60 * DAY
    ids, created, ended, chains, followers = [], [], [], [], []
    for actor in range(actors):
        chain, born, count = [], START - 100 * DAY, float(rng.integers(100, 3000))
        for generation in range(4):
            account = f"{actor}-{generation}"
            life = rng.exponential(15 * DAY)
            start = max(born, START)
            stop = start + life
            ids.append(account)
            created.append(born)
            ended.append(stop if stop < end else np.nan)
            chain.append(account)
            followers.append((account, start + HOUR, count))
            if stop >= end or rng.random() > 0.7:
                break
            born = stop + rng.lognormal(np.log(4 * HOUR), 1.0)
            if born >= end:
                break
            count = max(count * 0.3, 10.0)
        chains.append(chain)
    return EnforcementData.from_rows(ids, created, ended, START, end, lineages=chains, followers=followers,
                                     cluster=[int(a.split("-")[0]) % 10 for a in ids],
                                     promoter=[int(a.split("-")[0]) % 7 == 0 for a in ids])


def test_simulator_is_deterministic_and_responds_to_each_knob():
    data = synthetic_network()
    calibration = Calibration.from_data(data)
    baseline = simulate(calibration, Policy(runs=8))
    assert np.array_equal(baseline.reach, simulate(calibration, Policy(runs=8)).reach)
    faster = simulate(calibration, Policy(suspension_speedup=3.0, runs=8))
    assert faster.reach.mean() < 0.8 * baseline.reach.mean()
    caught = simulate(calibration, Policy(returnee_detection_hours=2.0, runs=8))
    assert caught.accounts.mean() < baseline.accounts.mean()
    promoters = simulate(calibration, Policy(promoter_hazard_multiplier=10.0, runs=8))
    assert promoters.reach.mean() < baseline.reach.mean()
    results = compare_policies(data, [Policy(name="hubs", targeting="hubs", runs=4)])
    assert set(results) == {"baseline", "hubs"}


def test_calibration_recovers_the_return_probability_and_delay():
    calibration = Calibration.from_data(synthetic_network(actors=400))
    assert calibration.return_probability[0] == pytest.approx(0.7, abs=0.06)
    assert np.median(calibration.delays_hours) == pytest.approx(4.0, rel=0.25)


def test_baseline_replay_follows_the_observed_reach():
    from hydrawatch.enforcement.reach import reach_over_time

    data = synthetic_network(actors=400)
    observed = reach_over_time(data).followers
    simulated = simulate(Calibration.from_data(data), Policy(runs=20)).reach.mean(axis=0)
    assert np.mean(np.abs(simulated - observed) / observed) < 0.15


def test_generator_policy_knobs_validate_and_stay_out_of_default_summaries():
    assert "targeting" not in WorldConfig().to_dict()
    config = world_config_for(Policy(suspension_speedup=2.0, targeting="small_clusters"), WorldConfig())
    assert config.suspension_hazard == pytest.approx(0.024)
    assert config.to_dict()["targeting"] == "small_clusters"
    with pytest.raises(ConfigError, match="targeting must be one of"):
        WorldConfig(targeting="all")
    with pytest.raises(ConfigError, match="returnee_detection_hours"):
        WorldConfig(returnee_detection_hours=0)


def test_generator_returnee_detection_shortens_returnee_lives(tmp_path: Path):
    from hydrawatch.evaluation.enforcement import world_truth
    from hydrawatch.synth import generate

    tiny = {"seed": 5, "accounts": 1500, "network": 80, "days": 40, "mean_posts_per_account": 2.0}
    lives = {}
    for name, extra in (("base", {}), ("caught", {"returnee_detection_hours": 3.0})):
        generate(WorldConfig(**tiny, **extra), tmp_path / name)
        truth = world_truth(tmp_path / name)
        returnees = np.flatnonzero((truth.predecessor >= 0) & truth.ended)
        lives[name] = np.median(truth.ended_at[returnees] - truth.created_at[returnees]) / HOUR
    assert lives["caught"] <= 3.0 < lives["base"]


def _first_accounts(log_hazard_per_log_follower: float, accounts: int = 4000, seed: int = 5) -> EnforcementData:
    """First accounts only, each with hazard 0.02/day x followers ** beta (centred)."""
    rng = np.random.default_rng(seed)
    end = START + 90 * DAY
    followers = rng.lognormal(6.0, 1.2, accounts)
    rate = 0.02 * np.exp(log_hazard_per_log_follower * (np.log1p(followers) - np.log1p(followers).mean())) / DAY
    created = START + rng.uniform(0, 30 * DAY, accounts)
    stop = created + rng.exponential(1.0 / rate)
    ids = [f"a{i}" for i in range(accounts)]
    return EnforcementData.from_rows(ids, created, np.where(stop < end, stop, np.nan), START, end,
                                     followers=[(a, c + HOUR, f) for a, c, f in zip(ids, created, followers, strict=True)])


@pytest.mark.parametrize("beta", [0.0, 0.6])
def test_calibration_recovers_the_follower_effect_on_the_hazard(beta: float):
    # The follower bands each get their own baseline; the Cox term is the tilt inside them.
    data = _first_accounts(beta)
    calibration = Calibration.from_data(data)
    assert calibration.follower_coefficient == pytest.approx(beta, abs=0.12)
    risk_of_biggest = calibration.risk[np.argmax([data.followers.first(r)[1] for r in range(len(data))])]
    assert (risk_of_biggest > 1.5) == (beta > 0)
