"""core.estimators: LabMLPClassifier and LabMLPRegressor pass scikit-learn's own estimator checks, train with the
engine's code (the same records as train_many), and continue training with partial_fit exactly as fit would."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.engine.data import Dataset
from core.engine.limits import MAX_CLASSES
from core.engine.mlp import HIDDEN_CHOICES
from core.engine.training import TrainConfig, train_many
from core.estimators import LabMLPClassifier, LabMLPRegressor
from core.io.weights import model_from_npz, weights_npz

# Small networks and few epochs keep the ~110 checks to a few seconds; each check clones these settings.
CHECKED = [LabMLPClassifier(hidden_layer_sizes=(16,), epochs=30, learning_rate=0.1, random_state=0),
           LabMLPRegressor(hidden_layer_sizes=(16,), epochs=30, optimizer="adam", learning_rate=0.01, random_state=0)]


def check_name(check) -> str:
    return (check.func if isinstance(check, functools.partial) else check).__name__


@parametrize_with_checks(CHECKED)
def test_scikit_learn_estimator_checks(estimator, check, monkeypatch):
    if check_name(check) == "check_array_api_input":
        # This check turns on scikit-learn's array API dispatch with NumPy inputs and asserts that nothing changes;
        # scikit-learn refuses the dispatch (and the check skips) unless SCIPY_ARRAY_API=1, a promise that SciPy
        # was imported in its array API mode. With NumPy inputs that mode changes nothing SciPy computes here, so
        # the variable is set for this check alone, rather than for the whole suite (and unlike production).
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


# --- the engine's training, under scikit-learn's interface ---------------------------------------------------


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=120, noise=0.2, random_state=0)
    return StandardScaler().fit_transform(X), np.where(y == 1, "upper", "lower")


def without_timing(records):
    return [(r.epoch, r.train_loss, r.test_loss, r.train_accuracy, r.grad_norms, r.sparsity, r.dead_fraction,
             r.mean_activation, r.learning_rate, r.diverged) for r in records]


def test_fit_is_train_many_of_one_config_and_keeps_its_records(moons):
    X, y = moons
    estimator = LabMLPClassifier((5, 4), "tanh", epochs=6, batch_size=16, learning_rate=0.2, optimizer="adam",
                                 init="xavier", random_state=7).fit(X, y)
    labels = (y == "upper").astype(np.int64)
    dataset = Dataset(name="fit", task="classification", X_train=X, X_test=X, y_train=labels, y_test=labels,
                      feature_names=["x0", "x1"], class_names=["lower", "upper"], n_classes=2, description="",
                      target_name="y")
    config = TrainConfig(activation="tanh", hidden_layers=(5, 4), epochs=6, batch_size=16, learning_rate=0.2,
                         optimizer="adam", init="xavier", seed=7)
    trainer = train_many(dataset, [config])
    records = [r[0] for r in trainer]
    assert without_timing(estimator.history_) == without_timing(records)
    assert [r.epoch for r in estimator.history_] == list(range(7)) and estimator.n_iter_ == 6
    assert estimator.loss_curve_ == [r.train_loss for r in records[1:]]
    for mine, engine in zip(estimator.coefs_ + estimator.intercepts_, trainer.model(0).parameters(), strict=True):
        np.testing.assert_array_equal(mine, engine)
    assert list(estimator.classes_) == ["lower", "upper"]
    np.testing.assert_array_equal(estimator.predict(X), np.array(["lower", "upper"])[trainer.model(0).predict(X)])


@pytest.mark.parametrize(("make", "settings"), [
    (LabMLPClassifier, dict(optimizer="sgd")),
    (LabMLPClassifier, dict(optimizer="sgd", momentum=0.9, nesterov=True, l2=1e-3, schedule="cosine")),
    (LabMLPClassifier, dict(optimizer="sgd", l2=1e-3, l1=1e-3)),
    (LabMLPRegressor, dict(optimizer="adam", l1=1e-2)),
    (LabMLPClassifier, dict(optimizer="adam", activation=("maxout", "leaky_relu"), activation_alpha=0.2)),
    (LabMLPClassifier, dict(optimizer="adam", dtype="float32", activation="elu")),
    (LabMLPRegressor, dict(optimizer="sgd", momentum=0.5, activation="softplus")),
    (LabMLPRegressor, dict(optimizer="adam", activation="maxout", maxout_pieces=3)),
])
def test_k_partial_fits_on_the_same_data_end_where_fit_with_k_epochs_does(moons, make, settings):
    X, labels = moons
    y = labels if make is LabMLPClassifier else X[:, 0] * X[:, 1]
    epochs = 4
    settings = {"hidden_layer_sizes": (6, 5), "batch_size": 16, "learning_rate": 0.05, "random_state": 3, **settings}
    fitted = make(epochs=epochs, **settings).fit(X, y)
    stepped = make(epochs=epochs, **settings)
    for _ in range(epochs):
        stepped.partial_fit(X, y, classes=["lower", "upper"]) if make is LabMLPClassifier else stepped.partial_fit(X, y)
    for mine, theirs in zip(stepped.coefs_ + stepped.intercepts_, fitted.coefs_ + fitted.intercepts_, strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)  # bit for bit: the same steps on the same batches
    # The same records, epoch by epoch (partial_fit has no record at init: it starts from whatever it has).
    for mine, theirs in zip(without_timing(stepped.history_), without_timing(fitted.history_[1:]), strict=True):
        assert mine[0] == theirs[0] and mine[-1] == theirs[-1] is False
        np.testing.assert_allclose(np.hstack([np.ravel(v) for v in mine[1:-1] if v is not None]),
                                   np.hstack([np.ravel(v) for v in theirs[1:-1] if v is not None]), rtol=1e-5)
    assert stepped.n_iter_ == fitted.n_iter_ == epochs


@pytest.mark.parametrize("activation", HIDDEN_CHOICES)
def test_every_activation_of_the_registry_and_maxout_learns_the_moons_in_a_pipeline(moons, activation):
    X, y = moons
    pipeline = make_pipeline(StandardScaler(), LabMLPClassifier((16, 16), activation, epochs=60, learning_rate=0.1,
                                                                random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.mean() > (0.8 if activation != "linear" else 0.7), scores  # linear: a straight line, about 85%


def test_a_fitted_network_exports_with_core_io_weights_and_pickles(moons):
    X, y = moons
    estimator = LabMLPClassifier((4,), "leaky_relu", epochs=3, activation_alpha=0.3, random_state=1).fit(X, y)
    loaded = model_from_npz(weights_npz(estimator.model_))
    np.testing.assert_array_equal(loaded.forward(X), estimator.predict_proba(X))
    again = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(again.predict_proba(X), estimator.predict_proba(X))
    regressor = LabMLPRegressor((4,), epochs=3, random_state=1).fit(X, np.c_[X[:, 0], -X[:, 1]])
    assert regressor.predict(X).shape == (len(X), 2)
    assert LabMLPRegressor((4,), epochs=3, random_state=1).fit(X, X[:, 0]).predict(X).shape == (len(X),)


def test_bad_settings_and_data_are_refused_with_the_engines_messages(moons):
    X, y = moons
    with pytest.raises(ValueError, match=r"Unknown activation 'relu6'\. Valid choices: .*maxout"):
        LabMLPClassifier(activation="relu6").fit(X, y)
    with pytest.raises(ValueError, match="alpha applies to Leaky ReLU and ELU only"):
        LabMLPClassifier(activation="tanh", activation_alpha=0.2).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate must be"):
        LabMLPRegressor(learning_rate=-1).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="one class"):
        LabMLPClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=f"At most {MAX_CLASSES} classes"):
        LabMLPClassifier(epochs=1).fit(np.repeat(X, 9, axis=0)[:2 * MAX_CLASSES + 2],
                                       np.repeat(np.arange(MAX_CLASSES + 1), 2))
    with pytest.raises(ValueError, match="classes must be given at the first call"):
        LabMLPClassifier().partial_fit(X, y)
    estimator = LabMLPClassifier(epochs=1).partial_fit(X, y, classes=["lower", "upper"])
    with pytest.raises(ValueError, match="labels not in classes"):
        estimator.partial_fit(X, np.where(y == "upper", "upper", "left"))
    with pytest.raises(ValueError, match="Training diverged at epoch"):
        LabMLPRegressor(learning_rate=1e4, epochs=50, random_state=0).fit(X, 1e6 * X[:, 0])
