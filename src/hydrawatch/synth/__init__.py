"""A simulated platform with ground truth, written in the formats hydrawatch ingests.

``generate(WorldConfig(seed=7), out_dir)`` writes a world in which a supporter network is
suspended, comes back under mutated handles, promotes its returnees and migrates to other
platforms, next to the hard negatives a detector must not flag (news, religious speech,
anti-US politics, counter-messaging, researchers, look-alikes, parodies, spam, ordinary
users). The truth folder says who is who, so detectors can be measured. All text is
neutral placeholder language about an invented organisation.
"""

from .config import WorldConfig
from .world import WorldSummary, generate

__all__ = ["WorldConfig", "WorldSummary", "generate"]
