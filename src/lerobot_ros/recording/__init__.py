"""Recording: ROS-free core shared by the recorder node and the bag converter.

``config`` maps topics to dataset features (loaded from YAML), ``sampler`` puts message streams on
the fps grid causally (latest message at or before each tick, per-stream staleness limits),
``quality`` accounts for every tick of an episode. The rule is in docs/datasets.md
("Recording: causal sampling").
"""

from .config import (
    FeatureConfig,
    RecordingConfig,
    RecordingConfigError,
    load_recording_config,
)
from .quality import QualityReport, StreamQuality
from .causal_sampler import CausalSampler, SampledFrame, StreamSample, grid

__all__ = [
    "CausalSampler",
    "FeatureConfig",
    "QualityReport",
    "RecordingConfig",
    "RecordingConfigError",
    "SampledFrame",
    "StreamQuality",
    "StreamSample",
    "grid",
    "load_recording_config",
]
