"""scikit-learn estimators over the engine (the code lives in core/engine/estimators.py)."""

from core.engine.estimators import LabMLPClassifier, LabMLPRegressor

__all__ = ["LabMLPClassifier", "LabMLPRegressor"]
