"""Where sigmoid saturates during training: Glorot & Bengio (2010), "Understanding the difficulty of training deep
feedforward neural networks", Figure 2.

They trained sigmoid networks with the then-standard init U[-1/sqrt(n), 1/sqrt(n)] (n = fan_in) and watched each
hidden layer's outputs during training: the top (last) hidden layer was driven to 0, sigmoid's saturated side,
early in training, and only slowly came back; tanh, and the "normalised" init Var(w) = 2 / (fan_in + fan_out), fared
better. Their explanation: at first the output layer does best by ignoring the top hidden layer's noisy outputs,
and pushing a sigmoid's output to 0 (not to its mean 0.5) also pushes its gradient to 0.

Here the same experiment trains on a real dataset via ``core.engine.training.train_many`` (one stack: every run
sees the same data and batches, and each run's seed its own draws) and, after every epoch, traces a fixed sample of
training rows (the first ``n_sample`` standardised ones) through each run's current weights
(``MultiTrainer.model(run)``). The normalised init is the engine's "xavier": normal with that variance.

Layers are numbered from 1 (the first hidden layer, input side) to ``depth`` (the top one, next to the output),
as in ``core.lab.neurons``; each statistic is over every (row, unit) of one layer. Records measure what
``core.lab.neurons`` and ``EpochRecord`` do, at epoch 0 (at init) and after each epoch.

Measured with this engine on digits (4 hidden layers of 100 units, batches of 10, plain SGD, the top layer's mean
over 300 training rows; seed 0, and seeds 1 and 2 for the default learning rate):

* learning rate 0.3 (the default): sigmoid with the standard init falls from 0.50 to 0.18-0.20 after epoch 1,
  0.06 by epoch 5 and 0.02 by epoch 30; it starts to come back only between epochs 40 and 75 (0.25-0.27 by epoch
  100), and its test accuracy stays at chance (10%) until then (81-92% by epoch 100). Sigmoid with the normalised
  init falls as fast (0.06-0.07 by epoch 5) but comes back between epochs 5 and 20 (0.28-0.32 by epoch 20, with
  72-89% accuracy then and 94-95% by epoch 50). Tanh's top layer stays within 0.02 of 0 and learns at once (79-87%
  after epoch 1, 97-98% later);
* learning rate 0.1: the same picture, slower: standard init 0.30 at epoch 5, 0.06 at 50, 0.04 at 100, then back to
  0.17 at 150 and 0.26 at 200 (chance accuracy until about epoch 100); normalised init lowest (0.22) at epoch 10 and
  back to 0.39 by epoch 20;
* learning rate 1.0: both sigmoid inits collapse to about 0.02 within one epoch and recover within 5-10 epochs;
  tanh no longer learns well at that rate (64%);
* 5 hidden layers at learning rate 0.3 (seeds 1, 2): both sigmoid inits stay saturated (top mean 0.01 at epoch 100), at
  chance for all 100 epochs.

So the paper's Figure 2 reproduces in direction: the top layer is driven towards 0 early and recovers slowly, far
more slowly with the standard init than with the normalised one, while tanh's stays centred. The timing depends
on the learning rate, and with 5 layers no recovery happens within 100 epochs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from core.engine.data import load_dataset
from core.engine.limits import check_work
from core.engine.live import LiveRun
from core.engine.mlp import MLP, ActivationLayer
from core.engine.training import EpochRecord, MultiTrainer, TrainConfig, check_epoch_work, train_many, training_work

# (activation, init): Glorot & Bengio's sigmoid with the standard init, against tanh and against the normalised init
COMBOS = (("sigmoid", "standard"), ("tanh", "standard"), ("sigmoid", "xavier"))
PERCENTILES = (2.0, 98.0)
SATURATED_SLOPE = 0.01  # the guide's threshold: |f'| < 0.01 (sigmoid: h < 0.0101 or h > 0.9899)
COLUMNS = ["activation", "init", "seed", "epoch", "layer", "mean", "std", "low", "high", "saturated",
           "test_accuracy"]


def saturation_configs(combos: Sequence[tuple[str, str]] = COMBOS, depth: int = 4, width: int = 100,
                       epochs: int = 100, learning_rate: float = 0.3, batch_size: int = 10,
                       seeds: int | Iterable[int] = 1) -> list[TrainConfig]:
    """One plain-SGD TrainConfig per (activation, init) and seed, seed-major: run = seed index * len(combos) + combo.
    The defaults follow the paper's spirit (mini-batches of 10, plain SGD, a tuned constant learning rate)."""
    seeds = list(range(int(seeds))) if isinstance(seeds, int | np.integer) else [int(s) for s in seeds]
    if not seeds or not combos:
        raise ValueError("Need at least one seed and one (activation, init) pair.")
    return [TrainConfig(activation=activation, init=init, hidden_layers=(int(width),) * int(depth), epochs=epochs,
                        learning_rate=learning_rate, batch_size=batch_size, seed=seed)
            for seed in seeds for activation, init in combos]


def layer_statistics(model: MLP, X: np.ndarray, percentiles: tuple[float, float] = PERCENTILES) -> pd.DataFrame:
    """Per hidden layer of ``model`` on the rows X: mean, std, the ``low``/``high`` percentiles (2nd and 98th by
    default) of its outputs, and ``saturated``, the share of outputs where |f'(z)| < 0.01.

    Columns: layer (1 = first), mean, std, low, high, saturated."""
    with np.errstate(all="ignore"):  # a diverging run may overflow; its statistics are then not finite
        zs, hs, _ = model.trace(X)
    rows = []
    for layer, (z, h, kind) in enumerate(zip(zs, hs, model.layers, strict=True), start=1):
        low, high = np.percentile(h, percentiles)
        saturated = float("nan")
        if isinstance(kind, ActivationLayer):
            with np.errstate(all="ignore"):
                saturated = float((np.abs(kind.activation.derivative(z)) < SATURATED_SLOPE).mean())
        rows.append((layer, float(h.mean()), float(h.std()), float(low), float(high), saturated))
    return pd.DataFrame(rows, columns=["layer", "mean", "std", "low", "high", "saturated"])


def saturation_stream(ds, configs: Sequence[TrainConfig] | None = None, n_sample: int = 300,
                      percentiles: tuple[float, float] = PERCENTILES) -> Iterator[pd.DataFrame]:
    """Train ``configs`` (default ``saturation_configs()``) together and yield one tidy frame per epoch, epoch 0
    (at init) first, so a page can draw the first picture at once and extend it live. Each epoch's work is checked
    before training starts (``check_epoch_work``), as for any live run.

    Columns: activation, init, seed, epoch, layer, mean, std, low, high, saturated (see ``layer_statistics``),
    test_accuracy (the run's EpochRecord). A run that diverges stops after its flagged epoch."""
    configs = list(configs) if configs is not None else saturation_configs()
    check_epoch_work(ds, configs)
    X = np.asarray(ds.X_train[:n_sample])
    trainer = train_many(ds, configs)
    for records in trainer:
        yield epoch_frame(trainer, records, X, percentiles)


def epoch_frame(trainer: MultiTrainer, records: Sequence[EpochRecord], X: np.ndarray,
                percentiles: tuple[float, float] = PERCENTILES) -> pd.DataFrame:
    """One epoch's tidy frame (columns ``COLUMNS``): ``layer_statistics`` of each recorded run's current network on
    the rows X, with its activation, init, seed, epoch and test accuracy."""
    frames = []
    for record in records:
        cfg = trainer.configs[record.run]
        frame = layer_statistics(trainer.model(record.run), X, percentiles)
        frame.insert(0, "epoch", record.epoch)
        frame.insert(0, "seed", cfg.seed)
        frame.insert(0, "init", cfg.init)
        frame.insert(0, "activation", cfg.activation)
        frame["test_accuracy"] = record.test_accuracy
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def observe_saturation(X: np.ndarray, trainer: MultiTrainer, records: Sequence[EpochRecord]) -> list[pd.DataFrame]:
    """``SaturationRun``'s observer: the epoch's ``epoch_frame``, as one row of the observed list."""
    return [epoch_frame(trainer, records, X)]


def saturation_curves(ds, configs: Sequence[TrainConfig] | None = None, n_sample: int = 300,
                      percentiles: tuple[float, float] = PERCENTILES) -> pd.DataFrame:
    """Every frame of ``saturation_stream`` in one, after checking the whole training's work (``training_work``):
    for short runs and tests; a page streams instead."""
    configs = list(configs) if configs is not None else saturation_configs()
    check_work(training_work(ds, configs), f"Training {len(configs)} networks for {max(c.epochs for c in configs)} "
               "epochs in one request", "train live instead (saturation_stream), or choose fewer epochs, runs, "
               "or fewer or narrower layers")
    return pd.concat(list(saturation_stream(ds, configs, n_sample, percentiles)), ignore_index=True)


def top_layer(frame: pd.DataFrame, statistic: str = "mean") -> pd.DataFrame:
    """From a saturation frame: ``statistic`` of the top (last) hidden layer, averaged over seeds, one row per
    epoch and one column per (activation, init)."""
    top = frame[frame["layer"] == frame["layer"].max()]
    return top.pivot_table(index="epoch", columns=["activation", "init"], values=statistic, aggfunc="mean")


# --- the same experiment, live ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaturationExperiment:
    """The experiment a page trains live: ``COMBOS`` on digits with one seed (``saturation_configs``), shaped like an
    ``Experiment`` where ``LiveRun`` and the pages' session helpers read one (``configs()``, ``epochs``, the data's
    name, size, noise, test share and seed, ``load_data()``)."""

    depth: int = 4
    width: int = 100
    learning_rate: float = 0.3
    epochs: int = 100
    batch_size: int = 10
    seed: int = 0
    dataset: str = "digits"
    n_samples: int = 500  # not used by a bundled table such as digits; here so the data loads like an Experiment's
    noise: float = 0.2
    test_size: float = 0.25
    first_seed: int = 0  # the data's split (the networks' draws come from ``seed``)

    def configs(self) -> list[TrainConfig]:
        return saturation_configs(COMBOS, self.depth, self.width, self.epochs, self.learning_rate, self.batch_size,
                                  seeds=[self.seed])

    def load_data(self):
        return load_dataset(self.dataset, n_samples=self.n_samples, noise=self.noise, test_size=self.test_size,
                            seed=self.first_seed)


class SaturationRun(LiveRun):
    """A live run of a ``SaturationExperiment`` that measures each network's hidden layers on the first ``n_sample``
    training rows after every epoch (``epoch_frame``), as ``saturation_stream`` does, where the epochs are trained
    (an observer, ``core.engine.slices``)."""

    def __init__(self, experiment: SaturationExperiment, dataset=None, n_sample: int = 300, **options):
        dataset = dataset if dataset is not None else experiment.load_data()
        self.sample = np.asarray(dataset.X_train[:n_sample])
        super().__init__(experiment, dataset, **options)  # options: LiveRun's service and owner

    def observer(self):
        return partial(observe_saturation, self.sample)

    def statistics(self) -> pd.DataFrame:
        """Every epoch's statistics so far (columns ``COLUMNS``), epoch 0 first."""
        frames = self.observed()
        return pd.concat(frames, ignore_index=True)
