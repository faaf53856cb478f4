"""Public contract path (see the design guide): the network lives in ``core.engine.mlp``."""

from core.engine.mlp import HIDDEN_CHOICES, MAXOUT, MLP, softmax

__all__ = ["HIDDEN_CHOICES", "MAXOUT", "MLP", "softmax"]
