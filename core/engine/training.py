"""TrainConfig, and the instrumented training generators ``train`` and ``train_many``.

``train_many`` is the fast path the dashboard uses. Runs that share an architecture and the
optimiser's settings are stacked into one set of 3-D weight tensors (a leading model axis,
which numpy's ``@`` broadcasts over), so one BLAS call serves every model of a stack, and the
Python work per mini-batch is paid once per stack rather than once per model. Activations,
inits, bias inits and seeds may differ inside a stack: each hidden layer applies each
activation to its own slice of the model axis. ``train`` is ``train_many`` of one config, and
the backprop itself is the same code ``MLP`` uses (``core.engine.mlp``), held against finite
differences in the tests.

Every epoch (epoch 0 is the network at init) yields one plain record per live run, measured
on the whole training set at that epoch's weights.

Speed (see ``core.tools.benchmark``, which measures the engine against a lean numpy loop, the floor): a stack's
parameters are views of one array, so one optimiser call updates them all; a stack of one trains with 2-D
arrays; every mini-batch and every measurement writes into arrays made once; BLAS runs on ``BLAS_THREADS``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
from threadpoolctl import ThreadpoolController

from core.engine.features import check_features, feature_map
from core.engine.limits import (
    MAX_ABS_BIAS_INIT,
    MAX_ALPHA,
    MAX_BATCH_SIZE,
    MAX_DEPTH,
    MAX_EPOCHS,
    MAX_HIDDEN_UNITS,
    MAX_L1,
    MAX_L2,
    MAX_LEARNING_RATE,
    MAX_MAXOUT_PIECES,
    MAX_RUNS,
    MAX_SEED,
    MAX_WIDTH,
    MIN_MAXOUT_PIECES,
    SMALL_BATCH_ROWS,
    STEP_WORK,
    check,
    check_work,
    dense_work,
    is_number,
    is_whole,
)
from core.engine.mlp import (
    HIDDEN_CHOICES,
    INITS,
    MAXOUT,
    MLP,
    Buffers,
    SegmentedLayer,
    activation_key,
    activation_label,
    add_penalty_gradients,
    backward_layers,
    forward_layers,
    frobenius_norms,
    one_hot,
    output_gradient,
    output_loss,
)
from core.engine.optim import OPTIMIZERS, SCHEDULES, make_optimizer, phased_learning_rate

# BLAS threads while an epoch trains and is measured (threadpoolctl, around each epoch; never a global setting).
# One: the products here are small (mini-batches of 32 rows; the measurement's are the training set's rows by a
# layer's width), and a second OpenBLAS thread gains little even when it has a core to itself, while on a busy
# machine (a server's other sessions, other processes) its spinning fights them. Measured on 2 cores shared with
# other processes (load 3-4; digits, one or 15 models; two series of 9 alternated runs): two threads took 0.9x to
# 7.6x the time of one (medians; the 15-model stacks gained at most 8 %) and single runs took up to 40x as long;
# on a quieter machine two threads saved about 7 %. A fixed count also makes the records the same whatever the
# machine's default: OpenBLAS's sums come out in a different order with another thread count.
BLAS_THREADS = 1

INIT_CHOICES = (*INITS, "auto")
DTYPES = ("float64", "float32")
# "auto" init: He for the ReLU family (their forward variance halves without the factor 2), Xavier otherwise.
RELU_FAMILY = frozenset({"relu", "leaky_relu", "elu", "gelu", "silu", "softplus", MAXOUT})


def network_work(model: MLP) -> int:
    """``dense_work`` of one row through an existing network."""
    return dense_work(model.layer_sizes, [layer.pieces for layer in model.layers])


def output_size(ds) -> int:
    """Outputs of a network on ``ds``: one per class, or one per regression target column."""
    if ds.task == "classification":
        return int(ds.n_classes)
    return np.asarray(ds.y_train).reshape(len(ds.y_train), -1).shape[1]


def input_size(cfg: TrainConfig, ds) -> int:
    """Inputs of ``cfg``'s network on ``ds``: its input features, or the data's own columns. A ValueError when
    ``cfg`` asks for input features of data that is not 2-D."""
    if cfg.features is None:
        return ds.X_train.shape[1]
    check(ds.X_train.shape[1] == 2,
          f"Input features are functions of 2-D points; this dataset has {ds.X_train.shape[1]} input columns. "
          "Choose a 2-D dataset, or the inputs x1, x2 only.")
    return len(cfg.features)


def network_inputs(cfg: TrainConfig, X) -> np.ndarray:
    """What ``cfg``'s network's first layer reads for the data's points ``X``: ``X``, or its input features."""
    return X if cfg.features is None else feature_map(X, cfg.features)


def network_for(cfg: TrainConfig, ds) -> MLP:
    """The network ``cfg`` starts from on ``ds``, at init: the one place a config becomes a network (the trainer
    stacks these, and a page that shows "at init" builds the same one)."""
    sizes = [input_size(cfg, ds), *cfg.hidden_layers, output_size(ds)]
    return MLP(sizes, activation=list(cfg.hidden_activations), task=ds.task, init=cfg.resolved_init,
               bias_init=cfg.bias_init, seed=cfg.seed, dtype=np.dtype(cfg.dtype), maxout_pieces=cfg.maxout_pieces,
               features=cfg.features, **cfg.activation_params())


def config_work(cfg: TrainConfig, n_features: int, n_outputs: int) -> int:
    """``dense_work`` of the network ``cfg`` builds for ``n_features`` inputs and ``n_outputs`` outputs."""
    pieces = [cfg.maxout_pieces if name == MAXOUT else 1 for name in cfg.hidden_activations]
    return dense_work([n_features, *cfg.hidden_layers, n_outputs], pieces)


def training_work(ds, configs: Sequence[TrainConfig], epochs: int | None = None, at_init: bool = True) -> float:
    """Work of ``train_many(ds, configs)`` for ``epochs`` epochs (default: the configs' own), and of epoch 0
    (the measurement at init) when ``at_init``: ``training_work(ds, configs, 1, at_init=False)`` is one more epoch.

    Per config and epoch: the training pass (forward and backward, three products a layer; a mini-batch of
    fewer than SMALL_BATCH_ROWS rows counts as that many) and the measurement (forward and backward over the
    training set, forward over the test set); per stack and mini-batch step, STEP_WORK for each weight matrix
    and activation in the stack.
    """
    n_train, n_test = len(ds.X_train), len(ds.X_test)
    n_outputs = output_size(ds)
    work = 0.0
    stacks: dict[tuple, tuple[int, int, int, set]] = {}
    for cfg in configs:
        n_epochs = cfg.epochs if epochs is None else int(epochs)
        per_row = config_work(cfg, input_size(cfg, ds), n_outputs)
        steps = math.ceil(n_train / min(cfg.batch_size, n_train))
        train_rows = max(n_train, steps * SMALL_BATCH_ROWS)
        work += (n_epochs * 3 * train_rows + (n_epochs + int(at_init)) * (3 * n_train + n_test)) * per_row
        key = (cfg.stack_key(), n_epochs)
        stacks.setdefault(key, (n_epochs, steps, len(cfg.hidden_layers) + 1, set()))[3].add(
            (cfg.hidden_activations, cfg.alpha))
    for n_epochs, steps, matrices, activations in stacks.values():
        work += n_epochs * steps * STEP_WORK * matrices * len(activations)
    return work


def check_epoch_work(ds, configs: Sequence[TrainConfig]) -> float:
    """The work of one epoch of ``train_many(ds, configs)`` (its training pass and its measurement: what one
    Step, or one redraw of a live run, costs at least), or a ValueError when it is over MAX_WORK."""
    configs = list(configs)
    depth = max(len(c.hidden_layers) for c in configs)
    width = max(max(c.hidden_layers) for c in configs)
    return check_work(training_work(ds, configs, epochs=1, at_init=False),
                      f"One epoch of training {len(configs)} network{'s' if len(configs) > 1 else ''} of {depth} × "
                      f"{width} units on {len(ds.X_train):,} samples",
                      "choose fewer activations or seeds, fewer or narrower layers, a larger batch or fewer samples")


def check_more_epochs(planned: int, epochs) -> int:
    """``epochs`` more for a run planned for ``planned`` epochs, as an int, or a ValueError saying why not."""
    check(is_whole(epochs) and epochs >= 1, "Give a whole number of epochs, at least 1.")
    check(planned + epochs <= MAX_EPOCHS,
          f"At most {MAX_EPOCHS} epochs in all: this run has {planned}, so at most {MAX_EPOCHS - planned} more.")
    return int(epochs)


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Validated on construction: a bad value raises a ValueError saying why."""

    activation: str | tuple[str, ...] = "relu"  # one name, or one per hidden layer; "maxout" too
    hidden_layers: tuple[int, ...] = (16, 16)
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 0.05
    optimizer: str = "sgd"
    momentum: float = 0.0
    l2: float = 0.0
    l1: float = 0.0  # adds l1 * sum |w| to the objective (weights only), gradient l1 * sign(w)
    init: str = "he"  # one of core.engine.mlp.INITS ("he", "xavier", "small", "zero", "standard") or "auto"
    bias_init: float = 0.0
    seed: int = 0
    nesterov: bool = False
    schedule: str = "constant"  # "constant", "step" (x gamma every step_size epochs) or "cosine"
    step_size: int = 50
    gamma: float = 0.5
    dtype: str = "float64"
    maxout_pieces: int = 2
    alpha: float | None = None  # Leaky ReLU's / ELU's alpha; None keeps the registry default
    features: tuple[str, ...] | None = None  # input features of 2-D data (core.engine.features); None: the data's own

    def __post_init__(self):
        hidden = self.hidden_layers
        if isinstance(hidden, np.ndarray):
            hidden = hidden.tolist()
        check(isinstance(hidden, Sequence) and not isinstance(hidden, str) and len(hidden) > 0,
              "hidden_layers must be a non-empty sequence of layer widths, e.g. (16, 16).")
        check(all(is_whole(w) for w in hidden), "hidden_layers must hold whole numbers.")
        object.__setattr__(self, "hidden_layers", tuple(int(w) for w in hidden))
        check(len(hidden) <= MAX_DEPTH, f"At most {MAX_DEPTH} hidden layers, got {len(hidden)}.")
        check(all(1 <= w <= MAX_WIDTH for w in hidden), f"Each hidden layer needs 1 to {MAX_WIDTH} units.")
        check(sum(hidden) <= MAX_HIDDEN_UNITS,
              f"At most {MAX_HIDDEN_UNITS} hidden units in all (depth x width), got {sum(hidden)}.")
        if not isinstance(self.activation, str):
            check(isinstance(self.activation, Sequence), "activation must be a name or a list of names.")
            object.__setattr__(self, "activation", tuple(self.activation))
            check(len(self.activation) == len(hidden),
                  f"Got {len(self.activation)} activations for {len(hidden)} hidden layers; give one per layer.")
        for name in self.hidden_activations:
            check(name in HIDDEN_CHOICES,
                  f"Unknown activation {name!r}. Valid choices: {', '.join(HIDDEN_CHOICES)}.")
        check(is_whole(self.epochs) and 1 <= self.epochs <= MAX_EPOCHS,
              f"epochs must be a whole number from 1 to {MAX_EPOCHS}.")
        check(is_whole(self.batch_size) and 1 <= self.batch_size <= MAX_BATCH_SIZE,
              f"batch_size must be a whole number from 1 to {MAX_BATCH_SIZE}.")
        check(is_number(self.learning_rate) and 0 < self.learning_rate <= MAX_LEARNING_RATE,
              f"learning_rate must be a number in (0, {MAX_LEARNING_RATE:g}].")
        check(self.optimizer in OPTIMIZERS,
              f"Unknown optimizer {self.optimizer!r}. Valid choices: {', '.join(OPTIMIZERS)}.")
        check(is_number(self.momentum) and 0 <= self.momentum < 1, "momentum must be a number in [0, 1).")
        check(self.optimizer == "sgd" or self.momentum == 0, "momentum applies to the 'sgd' optimizer only.")
        check(isinstance(self.nesterov, bool | np.bool_), "nesterov must be True or False.")
        check(not self.nesterov or self.momentum > 0, "Nesterov needs a momentum above 0.")
        check(is_number(self.l2) and 0 <= self.l2 <= MAX_L2, f"l2 must be a number in [0, {MAX_L2:g}].")
        check(is_number(self.l1) and 0 <= self.l1 <= MAX_L1, f"l1 must be a number in [0, {MAX_L1:g}].")
        check(self.init in INIT_CHOICES,
              f"Unknown init {self.init!r}. Valid choices: {', '.join(INIT_CHOICES)}.")
        check(is_number(self.bias_init) and abs(self.bias_init) <= MAX_ABS_BIAS_INIT,
              f"bias_init must be a number in [-{MAX_ABS_BIAS_INIT:g}, {MAX_ABS_BIAS_INIT:g}].")
        check(is_whole(self.seed) and 0 <= self.seed <= MAX_SEED, f"seed must be a whole number from 0 to {MAX_SEED}.")
        check(self.schedule in SCHEDULES,
              f"Unknown schedule {self.schedule!r}. Valid choices: {', '.join(SCHEDULES)}.")
        check(is_whole(self.step_size) and 1 <= self.step_size <= MAX_EPOCHS,
              f"step_size must be a whole number from 1 to {MAX_EPOCHS}.")
        check(is_number(self.gamma) and 0 < self.gamma <= 1, "gamma must be a number in (0, 1].")
        check(self.dtype in DTYPES, f"dtype must be one of {', '.join(DTYPES)}.")
        check(is_whole(self.maxout_pieces) and MIN_MAXOUT_PIECES <= self.maxout_pieces <= MAX_MAXOUT_PIECES,
              f"maxout_pieces must be from {MIN_MAXOUT_PIECES} to {MAX_MAXOUT_PIECES}.")
        if self.alpha is not None:
            check(is_number(self.alpha) and 0 <= self.alpha <= MAX_ALPHA,
                  f"alpha must be a number in [0, {MAX_ALPHA:g}].")
            check(any(n in ("leaky_relu", "elu") for n in self.hidden_activations),
                  "alpha applies to Leaky ReLU and ELU only.")
        if self.features is not None:
            object.__setattr__(self, "features", check_features(self.features))

    @property
    def hidden_activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden_layers)
        return self.activation

    @property
    def resolved_init(self) -> str:
        if self.init != "auto":
            return self.init
        return "he" if all(n in RELU_FAMILY for n in self.hidden_activations) else "xavier"

    @property
    def activation_key(self) -> str:
        """The key that names this run's activation(s) in every frame: "relu", or "tanh>relu" per layer."""
        return activation_key(self.hidden_activations)

    @property
    def label(self) -> str:
        """The display label of the activation(s), e.g. "ReLU" or "Tanh → ReLU"."""
        return activation_label(self.activation_key)

    def activation_params(self) -> dict:
        return {} if self.alpha is None else {"alpha": self.alpha}

    def replace(self, **changes) -> TrainConfig:
        return replace(self, **changes)

    def stack_key(self) -> tuple:
        """Runs with equal keys train in one stack: same shapes, same optimiser, same batches per epoch."""
        pattern = tuple(n == MAXOUT for n in self.hidden_activations)
        return (self.hidden_layers, pattern, self.maxout_pieces if any(pattern) else 0, self.epochs,
                self.batch_size, self.optimizer, self.learning_rate, self.momentum, self.nesterov, self.l2, self.l1,
                self.schedule, self.step_size, self.gamma, self.dtype, self.features)


@dataclass(frozen=True)
class EpochRecord:
    """What one run measured at one epoch, on the whole training (and test) set. Plain data."""

    run: int  # index of the config in the train_many call
    label: str  # display name of the activation(s)
    activation: str  # the activation key: a registry name, or per-layer names joined by ">" when mixed
    seed: int
    epoch: int
    train_loss: float  # data loss (cross-entropy or 0.5 MSE) without the L2 and L1 terms
    test_loss: float
    train_accuracy: float | None  # None for regression
    test_accuracy: float | None
    grad_norms: tuple[float, ...]  # per weight matrix: ||dL/dW||_F of the training objective
    sparsity: tuple[float, ...]  # per hidden layer: fraction of exact zeros in its outputs
    dead_fraction: tuple[float, ...]  # per hidden layer: fraction of units that are 0 for every sample
    mean_activation: tuple[float, ...]  # per hidden layer: mean output (the zero-centring point)
    learning_rate: float
    epoch_seconds: float  # wall time of this epoch's training, attributed to this run
    diverged: bool = False
    extra: dict = field(default_factory=dict, compare=False)


def zero_statistics(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run of a (runs, rows, units) layer output: the fraction of exact zeros (sparsity) and of units that are 0
    for every row (dead), both from one comparison.

    The zeros are counted run by run: np.count_nonzero of a whole array is a fast path that its axis= form and a
    mean over booleans are not (15-20x here); a count divided by the size is that mean to the last bit.
    """
    zeros = h == 0
    sparsity = np.array([np.count_nonzero(run) for run in zeros]) / zeros[0].size
    return sparsity, all_rows(zeros).mean(axis=-1)


def all_rows(flags: np.ndarray) -> np.ndarray:
    """``flags.all(axis=-2)``, overwriting ``flags``. numpy reduces over the rows one row of units at a time; on a
    large array, folding the rows in halves (a logical and of the first half with the last, until one row is left)
    does the same in a few passes over whole blocks: 6x faster for 15 x 1347 x 64. An and is exact in any order."""
    if flags.size < 65536:
        return flags.all(axis=-2)
    n = flags.shape[-2]
    while n > 1:
        half = n // 2  # rows [0, half) and [n - half, n); an odd middle row is kept as it is
        np.logical_and(flags[..., :half, :], flags[..., n - half:n, :], out=flags[..., :half, :])
        n -= half
    return flags[..., 0, :]


def _blocks(store: np.ndarray, shapes) -> list[np.ndarray]:
    """Views of consecutive column blocks of ``store`` (runs x values), one per shape, each (runs, *shape)."""
    views, start = [], 0
    for shape in shapes:
        end = start + math.prod(shape)
        views.append(store[:, start:end].reshape(len(store), *shape))
        start = end
    return views


class _Stack:
    """Runs with one architecture and optimiser, trained in lockstep along a leading model axis."""

    def __init__(self, ds, runs: list[tuple[int, TrainConfig]]):
        # Same activation next to each other, so each layer applies each activation to one slice.
        runs = sorted(runs, key=lambda r: (r[1].hidden_activations, r[1].alpha or 0.0, r[0]))
        self.run_ids = [run for run, _ in runs]
        self.configs = [cfg for _, cfg in runs]
        cfg = self.config = self.configs[0]
        self.task = ds.task
        self.dtype = np.dtype(cfg.dtype)
        # The first layer's inputs, made once: a network with input features reads them, not the points.
        # (In the run's dtype first, then mapped, as MLP._inputs does: a model's predictions see the same numbers.)
        self.X_train = np.ascontiguousarray(network_inputs(cfg, ds.X_train.astype(self.dtype, copy=False)))
        self.X_test = np.ascontiguousarray(network_inputs(cfg, ds.X_test.astype(self.dtype, copy=False)))
        self.T_train, self.T_test = self._targets(ds.y_train, ds), self._targets(ds.y_test, ds)
        self.y_train, self.y_test = np.asarray(ds.y_train), np.asarray(ds.y_test)
        # Each run is initialised by MLP itself, then stacked: init lives in one place.
        nets = [network_for(c, ds) for c in self.configs]
        sizes = nets[0].layer_sizes
        self.stacked = len(nets) > 1
        self._stack_parameters(nets)
        self.layers = [self._stacked_layer([net.layers[i] for net in nets]) for i in range(len(sizes) - 2)]
        self.optimizer = make_optimizer(cfg.optimizer, [self.values], cfg.momentum, cfg.nesterov)
        self.shufflers = [np.random.default_rng([c.seed, 1]) for c in self.configs]
        self.alive = np.ones(len(runs), dtype=bool)
        self.epoch = 0
        self.phases: tuple[int, ...] = (cfg.epochs,)  # the epochs planned: the config's, then each extension
        self._layout = ((len(nets),) if self.stacked else (), [W.shape[1] for W in nets[0].weights[:-1]],
                        sizes[1:-1], sizes[-1], self.dtype)
        self.buffers = self._buffers(min(cfg.batch_size, len(self.X_train)))
        # Made at the first measurement and kept until training ends: made afresh every epoch, these arrays (the
        # size of every layer over the training set) came back from the OS as new pages each time, and the page
        # faults took a quarter to a third of the measurement's time.
        self.measurement_buffers: tuple[Buffers, Buffers] | None = None
        self.shuffled: tuple[np.ndarray, np.ndarray] | None = None  # the epoch's shuffled X and T, reused
        # l1 * sign(w) of every weight, written here each step (made once, only when there is an L1 term)
        self.l1_gradient = np.empty((len(nets), self.n_weight_values), self.dtype) if cfg.l1 else None

    def _buffers(self, rows: int, wide_first: bool = False) -> Buffers:
        lead, widths, units, n_out, dtype = self._layout
        return Buffers(lead, rows, widths, units, n_out, dtype, wide_first)

    def _stack_parameters(self, nets: list[MLP]) -> None:
        """Every run's weights and biases as views of one (runs, values) array, ``values``, and their gradients
        as views of another, ``gradients``: the optimiser updates every parameter of every run in one pass.

        ``weights[i]`` is (runs, fan_in, fan_out) and ``biases[i]`` (runs, 1, fan_out), as numpy's ``@`` and
        broadcasting want them; the weights come first, so L2 reaches them through one slice. A training step
        works on ``step_weights``/``step_biases``/``step_gradients``: these, or for a stack of one its only
        network's 2-D arrays (a 2-D product or sum costs less than its broadcast 3-D form).
        """
        shapes = self._shapes = [W.shape for W in nets[0].weights] + [(1, W.shape[1]) for W in nets[0].weights]
        sizes = [a * b for a, b in shapes]
        self.n_weight_values = sum(sizes[:len(sizes) // 2])
        self.values = np.empty((len(nets), sum(sizes)), self.dtype)
        self.gradients = np.zeros_like(self.values)
        params, grads = _blocks(self.values, shapes), _blocks(self.gradients, shapes)
        n = len(shapes) // 2
        self.weights, self.biases = params[:n], params[n:]
        for m, net in enumerate(nets):
            for W, b, net_W, net_b in zip(self.weights, self.biases, net.weights, net.biases, strict=True):
                W[m], b[m, 0] = net_W, net_b
        if self.stacked:
            self.step_weights, self.step_biases = self.weights, self.biases
            self.step_gradients = (grads[:n], grads[n:])
        else:
            self.step_weights, self.step_biases = [W[0] for W in self.weights], [b[0, 0] for b in self.biases]
            self.step_gradients = ([g[0] for g in grads[:n]], [g[0, 0] for g in grads[n:]])

    def _targets(self, y, ds) -> np.ndarray:
        """One-hot rows for classification, a 2-D column block for regression, in the run's dtype."""
        if ds.task == "classification":
            return one_hot(y, ds.n_classes, self.dtype)
        y = np.asarray(y, dtype=self.dtype)
        return y.reshape(len(y), -1)

    @staticmethod
    def _stacked_layer(per_model):
        signature = [layer.signature for layer in per_model]
        if len(set(signature)) == 1:
            return per_model[0]
        segments, start = [], 0
        for m in range(1, len(per_model) + 1):
            if m == len(per_model) or signature[m] != signature[start]:
                segments.append((slice(start, m), per_model[start]))
                start = m
        return SegmentedLayer(segments)

    @property
    def planned(self) -> int:
        return sum(self.phases)

    @property
    def done(self) -> bool:
        return self.epoch >= self.planned or not self.alive.any()

    def _learning_rate(self, epoch: int) -> float:
        cfg = self.config
        return phased_learning_rate(cfg.learning_rate, epoch, self.phases, cfg.schedule, cfg.step_size, cfg.gamma)

    def state(self) -> dict:
        """Everything that carries this stack from one epoch to the next, as plain data (copies): the parameters,
        the optimiser's state, each run's shuffling stream, which runs are alive, the epoch and the plan. The
        scratch arrays (gradients, buffers, the shuffled data) are rewritten before they are read, every step."""
        return {"runs": list(self.run_ids), "epoch": self.epoch, "phases": list(self.phases),
                "shapes": [list(shape) for shape in self._shapes], "values": self.values.copy(),
                "optimizer": self.optimizer.state(), "alive": self.alive.copy(),
                "shufflers": [rng.bit_generator.state for rng in self.shufflers]}

    def load_state(self, state: dict) -> None:
        """Continue from ``state`` (of a stack of the same configs on the same data)."""
        check(list(state["runs"]) == self.run_ids and np.shape(state["values"]) == self.values.shape,
              "This state belongs to other runs.")
        self.values[...] = state["values"]
        self.optimizer.load_state(state["optimizer"])
        self.alive[...] = state["alive"]
        for rng, saved in zip(self.shufflers, state["shufflers"], strict=True):
            rng.bit_generator.state = saved
        self.epoch = int(state["epoch"])
        self.phases = tuple(int(n) for n in state["phases"])

    def model(self, position: int) -> MLP:
        """A live view of one run as an MLP (its arrays are slices of the stack's)."""
        cfg = self.configs[position]
        return MLP.from_parameters(
            [W[position] for W in self.weights], [b[position, 0] for b in self.biases],
            list(cfg.hidden_activations), self.task, cfg.maxout_pieces, cfg.features, **cfg.activation_params())

    @np.errstate(all="ignore")  # a diverging run overflows by design; it is detected and flagged below
    def train_epoch(self) -> np.ndarray:
        """One pass over the training set in mini-batches; returns each run's attributed seconds."""
        cfg = self.config
        self.epoch += 1
        lr = self._learning_rate(self.epoch)
        segmented = [layer for layer in self.layers if isinstance(layer, SegmentedLayer)]
        for layer in segmented:
            layer.seconds[:] = 0
        n = len(self.X_train)
        batch = min(cfg.batch_size, n)
        started = time.perf_counter()
        # One gather per epoch, into the same arrays every epoch; each mini-batch is then a contiguous slice.
        order = np.stack([rng.permutation(n) for rng in self.shufflers])
        if not self.stacked:
            order = order[0]
        if self.shuffled is None:
            self.shuffled = self.X_train[order], self.T_train[order]
        X, T = self.shuffled
        np.take(self.X_train, order, axis=0, out=X, mode="clip")  # "clip": the default "raise" copies out once more
        np.take(self.T_train, order, axis=0, out=T, mode="clip")
        for start in range(0, n, batch):
            rows = slice(start, start + batch)
            self._step(X[..., rows, :], T[..., rows, :], lr)
        return self._attribute(time.perf_counter() - started, segmented)

    def _step(self, X, T, lr: float) -> None:
        """One mini-batch: forward, backward and update, every array preallocated."""
        weights = self.step_weights
        zs, hs, caches, out = forward_layers(X, weights, self.step_biases, self.layers, self.buffers)
        grad_out = output_gradient(out, T, self.task)
        backward_layers(grad_out, weights, zs, hs, caches, self.layers, self.step_gradients, self.buffers)
        weight_values = slice(0, self.n_weight_values)  # the weights come first in the flat array; biases follow
        if self.config.l2:
            self.gradients[:, weight_values] += self.config.l2 * self.values[:, weight_values]
        if self.config.l1:
            np.sign(self.values[:, weight_values], out=self.l1_gradient)
            self.l1_gradient *= self.config.l1
            self.gradients[:, weight_values] += self.l1_gradient
        self.optimizer.step([self.values], [self.gradients], lr)

    def _attribute(self, total: float, segmented: list[SegmentedLayer]) -> np.ndarray:
        """Split the epoch's wall time: shared work evenly, each activation's own time to its runs."""
        own = np.zeros(len(self.configs))
        for layer in segmented:
            for seconds, (rows, _) in zip(layer.seconds, layer.segments, strict=True):
                own[rows] += seconds / (rows.stop - rows.start)
        shared = max(total - sum(layer.seconds.sum() for layer in segmented), 0.0)
        return own + shared / len(self.configs)

    @np.errstate(all="ignore")
    def measure(self, seconds: np.ndarray | None) -> list[EpochRecord]:
        """Records for the live runs at the current weights; flags and freezes runs that diverged."""
        cfg = self.config
        weights, biases = self.step_weights, self.step_biases
        if self.measurement_buffers is None:
            self.measurement_buffers = (self._buffers(len(self.X_train), wide_first=True),
                                        self._buffers(len(self.X_test), wide_first=True))
        train_buffers, test_buffers = self.measurement_buffers
        zs, hs, caches, out = forward_layers(self.X_train, weights, biases, self.layers, train_buffers)
        train_loss, grad_out = output_loss(out, self.T_train, self.task)
        grad_w, _ = backward_layers(grad_out, weights, zs, hs, caches, self.layers, buffers=train_buffers,
                                    biases=False)
        add_penalty_gradients(grad_w, weights, cfg.l2, cfg.l1)
        test_out = forward_layers(self.X_test, weights, biases, self.layers, test_buffers)[3]
        test_loss = output_loss(test_out, self.T_test, self.task)[0]
        if not self.stacked:  # from here on, one value per run: give the only run its model axis back
            hs, out, test_out, grad_w = [h[None] for h in hs], out[None], test_out[None], [g[None] for g in grad_w]
            train_loss, test_loss = np.atleast_1d(train_loss), np.atleast_1d(test_loss)
        grad_norms = np.stack([frobenius_norms(g) for g in grad_w], axis=1)
        hidden = hs[1:]
        sparsity, dead = (np.stack(stat, axis=1) for stat in zip(*map(zero_statistics, hidden), strict=True))
        mean_act = np.stack([h.mean(axis=(-2, -1), dtype=np.float64) for h in hidden], axis=1)
        train_acc = test_acc = None
        if self.task == "classification":
            train_acc = (out.argmax(axis=-1) == self.y_train).mean(axis=-1)
            test_acc = (test_out.argmax(axis=-1) == self.y_test).mean(axis=-1)
        finite = np.isfinite(train_loss) & np.isfinite(test_loss) & np.isfinite(self.values).all(axis=1)
        finite &= np.isfinite(grad_norms).all(axis=1) & np.isfinite(mean_act).all(axis=1)
        lr = self._learning_rate(max(self.epoch, 1))
        records = []
        for m in np.flatnonzero(self.alive):
            c = self.configs[m]
            records.append(EpochRecord(
                run=self.run_ids[m], label=c.label, activation=c.activation_key,
                seed=c.seed, epoch=self.epoch,
                train_loss=float(train_loss[m]), test_loss=float(test_loss[m]),
                train_accuracy=self._accuracy(train_acc, m, finite[m]),
                test_accuracy=self._accuracy(test_acc, m, finite[m]),
                grad_norms=tuple(map(float, grad_norms[m])), sparsity=tuple(map(float, sparsity[m])),
                dead_fraction=tuple(map(float, dead[m])), mean_activation=tuple(map(float, mean_act[m])),
                learning_rate=lr, epoch_seconds=0.0 if seconds is None else float(seconds[m]),
                diverged=not finite[m],
            ))
            if not finite[m]:
                self._freeze(m)
        return records

    def _accuracy(self, accuracies, m: int, finite: bool) -> float | None:
        """None for regression; NaN once a run diverged (argmax of NaN outputs would fake a class)."""
        if self.task != "classification":
            return None
        return float(accuracies[m]) if finite else float("nan")

    def _freeze(self, m: int) -> None:
        """Stop a diverged run: zero its parameters and optimiser state so it costs no more NaNs."""
        self.alive[m] = False
        self.values[m] = 0
        self.optimizer.reset(m)


class _BlasLimit:
    """BLAS held to BLAS_THREADS threads while any trainer of this process is inside an epoch.

    threadpoolctl's limit is process-wide, so trainers in several threads (a server's sessions) share one: the first
    to enter sets it and the last to leave restores the original. The controller is made once (it scans the loaded
    libraries: 3 ms); a limit and its restore then cost about 10 µs, next to an epoch's milliseconds.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._limit = None
        self._controller: ThreadpoolController | None = None

    @contextmanager
    def __call__(self):
        with self._lock:
            if not self._users:
                if self._controller is None:
                    self._controller = ThreadpoolController()
                self._limit = self._controller.limit(limits=BLAS_THREADS, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if not self._users:
                    self._limit.restore_original_limits()


blas_threads_limited = _BlasLimit()


class MultiTrainer:
    """Trains several configs on one dataset in lockstep; iterate it for one list of records per epoch.

    Records come in config order; a run that diverged yields its flagged record and then no more.
    ``model(run)`` gives a live MLP view of any run, for decision boundaries and exports.
    """

    def __init__(self, ds, configs: Sequence[TrainConfig]):
        configs = list(configs)
        check(len(configs) > 0, "Give at least one TrainConfig.")
        check(len(configs) <= MAX_RUNS, f"At most {MAX_RUNS} runs at once, got {len(configs)}.")
        check(all(isinstance(c, TrainConfig) for c in configs), "Every config must be a TrainConfig.")
        check_epoch_work(ds, configs)  # so that no single epoch runs away with a shared server
        self.dataset = ds
        self.configs = configs
        groups: dict[tuple, list[tuple[int, TrainConfig]]] = {}
        for run, cfg in enumerate(configs):
            groups.setdefault(cfg.stack_key(), []).append((run, cfg))
        self.stacks = [_Stack(ds, runs) for runs in groups.values()]
        self._where = {run: (s, pos) for s in self.stacks for pos, run in enumerate(s.run_ids)}
        self._started = False

    @property
    def epoch(self) -> int:
        return max(s.epoch for s in self.stacks)

    @property
    def done(self) -> bool:
        return self._started and all(s.done for s in self.stacks)

    def model(self, run: int) -> MLP:
        stack, position = self._where[run]
        return stack.model(position)

    @property
    def planned(self) -> int:
        """The epochs planned: the configs' own, plus every ``extend``."""
        return max(s.planned for s in self.stacks)

    def state(self) -> dict:
        """The trainer between two epochs as plain data (dicts, lists, numbers and numpy arrays, all copies):
        ``from_state(ds, configs, trainer.state())`` continues exactly where this one stands, in any process."""
        return {"started": self._started, "stacks": [s.state() for s in self.stacks]}

    @classmethod
    def from_state(cls, ds, configs: Sequence[TrainConfig], state: dict) -> MultiTrainer:
        """A trainer of ``configs`` on ``ds`` that continues from ``state`` (``MultiTrainer.state``): its records
        from here on are the ones the trainer that made the state would have yielded."""
        trainer = cls(ds, configs)
        check(len(state["stacks"]) == len(trainer.stacks), "This state belongs to other runs.")
        for stack, saved in zip(trainer.stacks, state["stacks"], strict=True):
            stack.load_state(saved)
        trainer._started = bool(state["started"])
        return trainer

    def extend(self, epochs: int) -> None:
        """Plan ``epochs`` more epochs ("train more"): the runs still alive go on with the same weights, optimiser
        state and shuffling streams. Constant and step schedules go on as if the run had been planned this long
        from the start; a cosine schedule starts a new cycle over the new epochs (``optim.phased_learning_rate``).
        """
        epochs = check_more_epochs(self.planned, epochs)
        for stack in self.stacks:
            stack.phases = (*stack.phases, epochs)

    def __iter__(self) -> Iterator[list[EpochRecord]]:
        return self

    def __next__(self) -> list[EpochRecord]:
        with blas_threads_limited():
            if not self._started:
                self._started = True
                records = [r for s in self.stacks for r in s.measure(None)]
            else:
                records = []
                for stack in self.stacks:
                    if not stack.done:
                        records += stack.measure(stack.train_epoch())
                        if stack.done:  # its buffers are the size of its layers over the data: free them
                            stack.measurement_buffers = stack.shuffled = None
        if not records:
            raise StopIteration
        return sorted(records, key=lambda r: r.run)


def train_many(ds, configs: Sequence[TrainConfig]) -> MultiTrainer:
    """Train every config on ``ds``: one list of records per epoch, in config order (epoch 0 first).

    Equal to running ``train`` on each config, up to floating-point rounding.
    """
    return MultiTrainer(ds, configs)


def train(ds, cfg: TrainConfig) -> Iterator[EpochRecord]:
    """Train one config on ``ds``: the record at init (epoch 0), then one record per epoch."""
    for records in MultiTrainer(ds, [cfg]):
        yield records[0]
