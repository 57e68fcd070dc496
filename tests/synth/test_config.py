from __future__ import annotations

from datetime import datetime

import pytest

from hydrawatch.core.errors import ConfigError
from hydrawatch.synth import WorldConfig


def test_defaults_are_valid() -> None:
    config = WorldConfig(seed=1)
    assert config.accounts == 20_000 and config.network == 600 and config.days == 120
    assert config.to_dict()["start"] == "2015-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"network": 20_000}, "must be less than accounts"),
        ({"network": 5}, "network must be at least"),
        ({"tweets_format": "csv"}, "tweets_format"),
        ({"return_probability": 1.5}, "return_probability is a probability"),
        ({"mass_wave_day": 500}, "mass_wave_day"),
        ({"seed": -1}, "seed"),
        ({"start": datetime(2015, 1, 1)}, "timezone-aware"),
        ({"mutation_weights": (1.0, 1.0)}, "mutation_weights"),
        ({"days": 2}, "days"),
        ({"spam_fraction": 0.9}, "no ordinary accounts"),
        ({"signup_fraction": 1.5}, "signup_fraction is a probability"),
        ({"recruit_fraction": -0.1}, "recruit_fraction is a probability"),
        ({"style_drift": 2.0}, "style_drift must be in"),
    ],
)
def test_invalid_configs_say_how_to_fix(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WorldConfig(**changes)


def test_config_is_frozen() -> None:
    config = WorldConfig()
    with pytest.raises(AttributeError):
        config.seed = 3  # type: ignore[misc]
