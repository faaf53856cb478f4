"""Public contract path (see the design guide): linear regions live in ``core.lab.regions``."""

from core.lab.regions import count_regions, region_ids

__all__ = ["count_regions", "region_ids"]
