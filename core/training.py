"""Public contract path (see the design guide): training lives in ``core.engine.training``."""

from core.engine.training import EpochRecord, MultiTrainer, TrainConfig, train, train_many

__all__ = ["EpochRecord", "MultiTrainer", "TrainConfig", "train", "train_many"]
