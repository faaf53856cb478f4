"""Public contract path (see the design guide): the activation registry lives in ``core.engine.activations``."""

from core.engine.activations import ACTIVATIONS, Activation, get_activation

__all__ = ["ACTIVATIONS", "Activation", "get_activation"]
