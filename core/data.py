"""Public contract path (see the design guide): the datasets live in ``core.engine.data``."""

from core.engine.data import DATASETS, Dataset, dataset_from_frame, load_dataset

__all__ = ["DATASETS", "Dataset", "dataset_from_frame", "load_dataset"]
