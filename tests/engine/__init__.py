"""Engine tests, held against independent references (finite differences, closed forms, scikit-learn)."""
