"""scikit-learn estimators over the engine: ``LabMLPClassifier`` and ``LabMLPRegressor``.

Thin by design: the engine's settings are the constructor's parameters (a ``TrainConfig`` is built from them, and
validates them, at fit), ``fit`` is ``core.engine.training.train_many`` of that one config, and the per-epoch records
(``EpochRecord``: losses, accuracies, gradient norms, sparsity, dead units; epoch 0 is the network at init) are kept
as ``history_``. With no held-out data, a record's ``test_*`` values are measured on the training data too.
``partial_fit`` trains one more epoch on the data it is given with the engine's backprop (``core.engine.mlp``'s
forward, loss and backward steps, ``core.engine.optim``'s update), keeping the optimiser's state and the shuffling
from call to call: k calls on the same data end where ``fit`` with ``epochs=k`` does.

As in scikit-learn's ``MLPClassifier``, standardising the features is the user's job (a ``Pipeline`` with a
``StandardScaler``); so is scaling a regression target. The learned parameters are ``coefs_`` and
``intercepts_``; ``model_`` wraps them in an ``MLP`` (for ``core.io.weights`` or ``core.regions``).
"""

from __future__ import annotations

import time
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from core.engine.data import CLASSIFICATION, REGRESSION, Dataset
from core.engine.limits import MAX_CLASSES, MAX_SEED
from core.engine.mlp import (
    MLP,
    add_penalty_gradients,
    backward_layers,
    forward_layers,
    frobenius_norms,
    one_hot,
    output_loss,
)
from core.engine.optim import make_optimizer, scheduled_learning_rate
from core.engine.training import EpochRecord, TrainConfig, network_for, train_many


class _LabMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, fit, partial_fit and the fitted network."""

    _task: str

    def __init__(self, hidden_layer_sizes=(16, 16), activation="relu", *, epochs=100, batch_size=32,
                 learning_rate=0.05, optimizer="sgd", momentum=0.0, nesterov=False, l2=0.0, l1=0.0, init="auto",
                 bias_init=0.0, activation_alpha=None, maxout_pieces=2, schedule="constant", step_size=50, gamma=0.5,
                 dtype="float64", random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.l2 = l2
        self.l1 = l1
        self.init = init
        self.bias_init = bias_init
        self.activation_alpha = activation_alpha
        self.maxout_pieces = maxout_pieces
        self.schedule = schedule
        self.step_size = step_size
        self.gamma = gamma
        self.dtype = dtype
        self.random_state = random_state

    # --- the engine's config -----------------------------------------------------------------------------------

    def _seed(self) -> int:
        """``random_state`` as the engine's seed: an int is the seed itself; None or a RandomState draws one."""
        if isinstance(self.random_state, Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, np.iinfo(np.int32).max))

    def _config(self) -> TrainConfig:
        """The ``TrainConfig`` of these parameters; its own validation says what is wrong with a bad one."""
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, Integral) else hidden
        activation = self.activation if isinstance(self.activation, str) else tuple(self.activation)
        seed = self._seed()
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"random_state must be None, a RandomState or a whole number from 0 to {MAX_SEED}.")
        return TrainConfig(activation=activation, hidden_layers=hidden, epochs=self.epochs, batch_size=self.batch_size,
                           learning_rate=self.learning_rate, optimizer=self.optimizer, momentum=self.momentum,
                           nesterov=self.nesterov, l2=self.l2, l1=self.l1, init=self.init, bias_init=self.bias_init,
                           seed=seed,
                           schedule=self.schedule, step_size=self.step_size, gamma=self.gamma, dtype=self.dtype,
                           maxout_pieces=self.maxout_pieces, alpha=self.activation_alpha)

    def _dataset(self, X: np.ndarray, y: np.ndarray) -> Dataset:
        """The engine's dataset for (X, y), as they are: no split (the records' test_* are on X too), no scaling."""
        n_classes = len(self.classes_) if self._task == CLASSIFICATION else 0
        return Dataset(name="fit", task=self._task, X_train=X, X_test=X, y_train=y, y_test=y, feature_names=[
            f"x{i}" for i in range(X.shape[1])], class_names=[str(c) for c in getattr(self, "classes_", [])],
            n_classes=n_classes, description="data given to fit", target_name="y")

    # --- fitting -----------------------------------------------------------------------------------------------

    def _fit(self, X, y, targets) -> _LabMLP:
        config = self._config()
        trainer = train_many(self._dataset(X, targets), [config])
        self.history_ = [records[0] for records in trainer]
        model = trainer.model(0)
        self._keep(model, config)
        last = self.history_[-1]
        if last.diverged:
            raise ValueError(f"Training diverged at epoch {last.epoch}: the loss or a weight is no longer finite. "
                             "Lower learning_rate, or standardise the features (and a regression target).")
        self.n_iter_ = last.epoch
        self._optimizer = None  # partial_fit after fit starts a fresh optimiser on the fitted weights
        self._shuffler = np.random.default_rng([config.seed, 1])
        return self

    def _keep(self, model: MLP, config: TrainConfig) -> None:
        self.coefs_ = [np.array(W) for W in model.weights]
        self.intercepts_ = [np.array(b) for b in model.biases]
        self._train_config = config

    @property
    def model_(self) -> MLP:
        """The fitted network as an ``MLP`` around ``coefs_`` and ``intercepts_``."""
        check_is_fitted(self, "coefs_")
        config = self._train_config
        return MLP.from_parameters(self.coefs_, self.intercepts_, list(config.hidden_activations), self._task,
                                   config.maxout_pieces, **config.activation_params())

    @property
    def loss_curve_(self) -> list[float]:
        """The training loss after each epoch (without the L2 term), as ``MLPClassifier.loss_curve_``."""
        check_is_fitted(self, "history_")
        return [record.train_loss for record in self.history_ if record.epoch > 0]

    def _partial_fit(self, X, targets) -> _LabMLP:
        """One epoch over (X, targets) from the current weights (a fresh network at the first call)."""
        if not hasattr(self, "coefs_"):
            config = self._config()
            self._keep(network_for(config, self._dataset(X, targets)), config)
            self.history_, self.n_iter_ = [], 0
            self._optimizer, self._shuffler = None, np.random.default_rng([config.seed, 1])
        config = self._train_config
        model = self.model_
        params = model.parameters()
        if self._optimizer is None:
            self._optimizer = make_optimizer(config.optimizer, params, config.momentum, config.nesterov)
        epoch = self.n_iter_ + 1
        rate = scheduled_learning_rate(config.learning_rate, epoch, max(config.epochs, epoch), config.schedule,
                                       config.step_size, config.gamma)
        started = time.perf_counter()
        with np.errstate(all="ignore"):  # a diverging run overflows; it is detected below
            order = self._shuffler.permutation(len(X))
            X_order, T_order = X[order], _target_matrix(model, targets)[order]
            batch = min(config.batch_size, len(X))
            for start in range(0, len(X), batch):
                zs, hs, caches, out = forward_layers(X_order[start:start + batch], model.weights, model.biases,
                                                     model.layers)
                _, grad_out = output_loss(out, T_order[start:start + batch], self._task)
                grad_w, grad_b = backward_layers(grad_out, model.weights, zs, hs, caches, model.layers)
                add_penalty_gradients(grad_w, model.weights, config.l2, config.l1)
                self._optimizer.step(params, [*grad_w, *grad_b], rate)
            record = _measure(model, X, targets, config, epoch, rate, time.perf_counter() - started)
        self.history_.append(record)
        self.n_iter_ = epoch
        if record.diverged:
            raise ValueError(f"Training diverged at epoch {epoch}: the loss or a weight is no longer finite. "
                             "Lower learning_rate, or standardise the features (and a regression target).")
        return self

    def _validate(self, X, y, reset: bool):
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32], multi_output=(
            self._task == REGRESSION), y_numeric=self._task == REGRESSION)
        return np.ascontiguousarray(X, dtype=np.dtype(self.dtype) if self.dtype in ("float64", "float32")
                                    else np.float64), y

    def _outputs(self, X) -> np.ndarray:
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        with np.errstate(over="ignore", under="ignore"):
            return self.model_.forward(np.ascontiguousarray(X, dtype=self.coefs_[0].dtype))


def _target_matrix(model: MLP, targets: np.ndarray) -> np.ndarray:
    """One-hot rows (classification) or the target columns (regression), in the network's dtype."""
    if model.task == CLASSIFICATION:
        return one_hot(targets, model.layer_sizes[-1], model.dtype)
    return np.asarray(targets, dtype=model.dtype).reshape(len(targets), -1)


def _measure(model: MLP, X, targets, config: TrainConfig, epoch: int, rate: float, seconds: float) -> EpochRecord:
    """The engine's record of one epoch for one network, measured as ``train_many`` measures (on the whole data,
    at this epoch's weights); with no held-out data the test values are the training ones."""
    zs, hs, caches, out = forward_layers(X, model.weights, model.biases, model.layers)
    loss, grad_out = output_loss(out, _target_matrix(model, targets), model.task)
    grad_w, _ = backward_layers(grad_out, model.weights, zs, hs, caches, model.layers)
    add_penalty_gradients(grad_w, model.weights, config.l2, config.l1)
    hidden = hs[1:]
    accuracy = float((out.argmax(axis=1) == targets).mean()) if model.task == CLASSIFICATION else None
    finite = np.isfinite(loss) and all(np.isfinite(p).all() for p in model.parameters())
    norms = tuple(float(frobenius_norms(g)) for g in grad_w)
    finite = finite and all(np.isfinite(norms))
    if accuracy is not None and not finite:
        accuracy = float("nan")
    return EpochRecord(
        run=0, label=config.label, activation=",".join(dict.fromkeys(config.hidden_activations)), seed=config.seed,
        epoch=epoch, train_loss=float(loss), test_loss=float(loss), train_accuracy=accuracy, test_accuracy=accuracy,
        grad_norms=norms, sparsity=tuple(float((h == 0).mean()) for h in hidden),
        dead_fraction=tuple(float((h == 0).all(axis=0).mean()) for h in hidden),
        mean_activation=tuple(float(h.mean(dtype=np.float64)) for h in hidden), learning_rate=rate,
        epoch_seconds=seconds, diverged=not finite)


class LabMLPClassifier(ClassifierMixin, _LabMLP):
    """A classifier trained by the lab's engine: softmax outputs and cross-entropy, any hidden activation of the
    registry (or maxout, or one per layer), the engine's optimisers, inits and schedules.

    Parameters are ``TrainConfig``'s, under scikit-learn's names where it has one: ``hidden_layer_sizes``
    (``hidden_layers``), ``random_state`` (``seed``: an int is used as it is; None draws one), ``activation_alpha``
    (``alpha``: Leaky ReLU's slope for x < 0, ELU's alpha; None keeps the registry's). ``l2`` is the weight
    penalty, which ``MLPClassifier`` calls ``alpha``: no parameter here is named ``alpha``, so neither meaning is
    mistaken for the other; ``l1`` adds l1·Σ|w| (``MLPClassifier`` has no L1 penalty).

    Fitted attributes: ``classes_``, ``coefs_``, ``intercepts_``, ``history_`` (one ``EpochRecord`` per epoch,
    epoch 0 first), ``loss_curve_``, ``n_iter_``, ``n_features_in_`` and ``model_`` (an ``MLP``).
    """

    _task = CLASSIFICATION

    def _classes(self, y) -> np.ndarray:
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"A classifier needs samples of at least 2 classes; got one class ({classes[0]!r}).")
        if len(classes) > MAX_CLASSES:
            raise ValueError(f"At most {MAX_CLASSES} classes are supported (a network's outputs); got "
                             f"{len(classes)}.")
        return classes

    def fit(self, X, y):
        """Train a fresh network for ``epochs`` epochs on (X, y); ``history_`` holds the engine's records."""
        X, y = self._validate(X, y, reset=True)
        self.classes_ = self._classes(y)
        return self._fit(X, y, np.searchsorted(self.classes_, y).astype(np.int64))

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y). The first call needs ``classes`` (every label ``y`` may ever hold), as in
        scikit-learn's incremental classifiers; later calls continue from the current weights and optimiser."""
        first = not hasattr(self, "coefs_")
        X, y = self._validate(X, y, reset=first)
        if first:
            if classes is None:
                raise ValueError("classes must be given at the first call to partial_fit: every label y may hold.")
            self.classes_ = self._classes(np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes)!r} differ from those of the first call {self.classes_!r}.")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels not in classes: {unknown[:5]!r}.")
        return self._partial_fit(X, np.searchsorted(self.classes_, y).astype(np.int64))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax), columns in the order of ``classes_``."""
        return self._outputs(X)

    def predict(self, X) -> np.ndarray:
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class LabMLPRegressor(RegressorMixin, _LabMLP):
    """A regressor trained by the lab's engine: linear outputs, loss ½·mean of the summed squared error, one output
    per target column (``y`` may be 2-D), the parameters of ``LabMLPClassifier``.

    Neither the features nor the target are scaled: put a ``StandardScaler`` before it, and scale a target far
    from unit size (``TransformedTargetRegressor``), or the default learning rate can diverge, which fit reports.
    """

    _task = REGRESSION

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = getattr(self, "_y_ndim", y.ndim)
        columns = 1 if y.ndim == 1 else y.shape[1]
        if columns > MAX_CLASSES:
            raise ValueError(f"At most {MAX_CLASSES} target columns are supported; got {columns}.")
        return y.reshape(len(y), columns)

    def fit(self, X, y):
        """Train a fresh network for ``epochs`` epochs on (X, y); ``history_`` holds the engine's records."""
        X, y = self._validate(X, y, reset=True)
        self._y_ndim = np.ndim(y)
        return self._fit(X, y, self._targets(y))

    def partial_fit(self, X, y):
        """One epoch over (X, y), from the current weights and optimiser (a fresh network at the first call)."""
        first = not hasattr(self, "coefs_")
        X, y = self._validate(X, y, reset=first)
        if first:
            self._y_ndim = np.ndim(y)
        targets = self._targets(y)
        if not first and targets.shape[1] != self.coefs_[-1].shape[1]:
            raise ValueError(f"y has {targets.shape[1]} column(s); the network was built for "
                             f"{self.coefs_[-1].shape[1]}.")
        return self._partial_fit(X, targets)

    def predict(self, X) -> np.ndarray:
        """Predictions: 1-D when fit's ``y`` was, else one column per target."""
        out = self._outputs(X)
        return out[:, 0] if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
