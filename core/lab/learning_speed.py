"""Speed of learning: how many epochs, and seconds, each activation needs to reach one fixed training error, over
several seeds, each activation at its own best learning rate.

Krizhevsky, Sutskever & Hinton (2012, Figure 1) trained a four-layer convolutional network on CIFAR-10 with ReLU and
with tanh units, with the learning rate of each chosen to make it train as fast as possible, and reported that ReLU
reached 25% training error six times faster. Their network, data and init (a small fixed Gaussian) are not this lab's.
Here the same *measurement* runs on the lab's own data and networks:

* **one target for every run** (``core.lab.convergence.Target``): a training error fixed per setup before anything is
  trained (``SpeedSetup.target``) and shown with the results; a run that never reaches it within the setup's epochs
  has not reached it (NaN), never 0;
* **each activation at its own best rate**: every activation trains at every rate of a small sweep on the same seeds
  (identical data, initial draws and batches per seed); its best rate is the one whose seeds reach the target in the
  fewest epochs (median over seeds; a seed that never reaches it counts as slower than any that does);
* **ratios per seed**: for each seed, an activation's epochs (or seconds) at its best rate divided by ReLU's at
  ReLU's best rate; the median over seeds, with the min–max, is the spread. Seconds are the training time the engine
  attributes to each run (``EpochRecord.epoch_seconds``: each activation's own time, and the shared matrix work
  split evenly), measured on this machine, now; the activations at one rate train in turn, epoch by epoch, so they
  share the machine's load. An activation's seeds are trained only until all of them have reached the target: the
  epochs after that change nothing measured here (on two moons that skips 40% of the epochs, on digits 25%).

Init is "auto": He for ReLU, Xavier (Glorot) for tanh and sigmoid. Plain SGD, batches of 32. Each engine call (one
activation at one rate, all seeds) checks its work first (``check_work``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.engine.data import load_dataset
from core.engine.limits import check_work
from core.engine.training import EpochRecord, TrainConfig, train_many, training_work
from core.io.history import records_to_frame
from core.lab.convergence import Target, epochs_to_target, learning_curves, seconds_to_epoch

ACTIVATIONS = ("relu", "tanh", "sigmoid")
REFERENCE = "relu"
MAX_SWEEP_RATE = 10.0  # the sweep's highest rate: beyond it every activation here diverges
RUN_COLUMNS = ["activation", "learning_rate", "seed", "epochs", "seconds", "best_error", "diverged"]


@dataclass(frozen=True)
class SpeedSetup:
    """One measurement: a dataset, a network, the fixed target training error, the epochs a run gets to reach it,
    the learning rates tried and the seeds."""

    dataset: str
    hidden_layers: tuple[int, ...]
    target: float  # training error, the same for every run
    epochs: int
    rates: tuple[float, ...]
    seeds: int = 5
    batch_size: int = 32
    n_samples: int = 500
    noise: float = 0.2
    activations: tuple[str, ...] = ACTIVATIONS

    @property
    def yardstick(self) -> Target:
        return Target("train error", self.target)

    def load_data(self):
        return load_dataset(self.dataset, n_samples=self.n_samples, noise=self.noise, seed=0)

    @property
    def work_units(self) -> int:
        """Networks trained in all (every activation at every rate, every seed): the measurement's size."""
        return len(self.rates) * len(self.activations) * self.seeds

    def configs(self, activation: str, rate: float) -> list[TrainConfig]:
        return [TrainConfig(activation=activation, hidden_layers=self.hidden_layers, epochs=self.epochs,
                            learning_rate=rate, batch_size=self.batch_size, init="auto", seed=seed)
                for seed in range(self.seeds)]

    def describe(self) -> str:
        layers = " × ".join(map(str, self.hidden_layers))
        return (f"{self.dataset}, {len(self.hidden_layers)} hidden layers ({layers} units), SGD with batch "
                f"{self.batch_size}, He init for ReLU and Xavier for tanh and sigmoid, seeds 0–{self.seeds - 1}, up "
                f"to {self.epochs} epochs, learning rates {', '.join(f'{r:g}' for r in self.rates)}")


# The lab's two measurements: two moons and digits. Targets are round training errors that ReLU and tanh reach well
# within the epochs given, so that their epochs are whole numbers large enough to compare.
MOONS = SpeedSetup("moons", (16, 16), target=0.05, epochs=200, rates=(0.1, 0.3, 1.0, 3.0, 10.0))
DIGITS = SpeedSetup("digits", (32, 32), target=0.01, epochs=15, rates=(0.1, 0.3, 1.0, 3.0))
SETUPS = {"moons": MOONS, "digits": DIGITS}


def race(ds, configs: list[TrainConfig], target: Target) -> list[EpochRecord]:
    """The records of ``configs`` (one rate, several activations and seeds) trained epoch by epoch, each activation's
    trainer taking its turn as the stacks of one ``train_many`` call do (so they share the machine's load alike), and
    each stopped once every run of it has reached ``target`` or diverged: epochs after that change nothing the
    measure reads. Records carry their index in ``configs``.

    Up to its last epoch, a run's records are those ``train_many(ds, configs)`` gives: every activation is a stack of
    its own there too, trained on its own."""
    groups: dict[str, list[int]] = {}
    for index, cfg in enumerate(configs):
        groups.setdefault(cfg.activation_key, []).append(index)
    trainers = {key: train_many(ds, [configs[i] for i in runs]) for key, runs in groups.items()}
    finished: set[int] = set()
    records: list[EpochRecord] = []
    while trainers:
        for key, trainer in list(trainers.items()):
            runs = groups[key]
            for record in next(trainer, []):
                run = runs[record.run]
                records.append(replace(record, run=run))
                error = 1.0 - record.train_accuracy if record.train_accuracy is not None else np.nan
                if record.diverged or target.reached([error])[0]:
                    finished.add(run)
            if trainer.done or finished.issuperset(runs):
                del trainers[key]
    return records


def speed_runs(setup: SpeedSetup, ds=None, progress: Callable[[int, int], object] | None = None) -> pd.DataFrame:
    """Every (activation, rate, seed) trained until its training error reaches the target, for at most
    ``setup.epochs`` epochs (``race``): the first epoch at which it reaches it (NaN if never), the training seconds
    up to then, its lowest training error over the epochs trained and whether it diverged there. Columns:
    ``RUN_COLUMNS``. ``progress(done, total)`` is called after each learning rate.

    Every rate's work is checked before any is trained (``check_work``)."""
    ds = ds if ds is not None else setup.load_data()
    if ds.task != "classification":
        raise ValueError("Speed of learning is measured against a training error: it needs a classification dataset.")
    target = setup.yardstick
    plans = [(rate, [cfg for activation in setup.activations for cfg in setup.configs(activation, rate)])
             for rate in setup.rates]
    for _, configs in plans:
        check_work(training_work(ds, configs), f"Training {len(configs)} networks for {setup.epochs} epochs",
                   "choose fewer epochs, seeds or activations, or a smaller network")
    rows = []
    for done, (rate, configs) in enumerate(plans, 1):
        frame = records_to_frame(race(ds, configs, target))
        curves = learning_curves(frame)
        for run, curve in curves.groupby("run", sort=True):
            cfg = configs[run]
            errors = curve.set_index("epoch")["value"]
            reached = epochs_to_target(errors, target)
            own = frame[(frame["run"] == run) & (frame["metric"] == "epoch_seconds")].set_index("epoch")["value"]
            rows.append((cfg.activation, rate, cfg.seed, reached, seconds_to_epoch(own, reached),
                         float(errors.min()) if errors.notna().any() else np.nan,
                         bool(frame.loc[frame["run"] == run, "diverged"].any())))
        if progress is not None:
            progress(done, len(setup.rates))
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def best_rates(runs: pd.DataFrame) -> dict[str, float]:
    """Each activation's best rate: the most seeds reaching the target, then the fewest median epochs among them,
    then the smaller rate."""
    best = {}
    for activation, own in runs.groupby("activation", sort=False):
        ranked = own.groupby("learning_rate")["epochs"].agg(reached="count", median="median").reset_index()
        ranked = ranked.sort_values(["reached", "median", "learning_rate"], ascending=[False, True, True])
        best[activation] = float(ranked["learning_rate"].iloc[0])
    return best


def speed_ratios(runs: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Per activation, at its best rate: seeds that reached the target, the median (min, max) epochs and seconds
    to it, and the per-seed ratios to ``reference`` at its own best rate: median, min and max over the seeds where
    both reached it.

    Columns: activation, best_rate, reached, seeds, epochs_median, epochs_min, epochs_max, seconds_median, paired
    (seeds where both reached it), epoch_ratio_median, epoch_ratio_min, epoch_ratio_max, second_ratio_median,
    second_ratio_min, second_ratio_max, rate_at_edge (the best rate is the sweep's smallest or largest, so a rate
    outside it might be faster still)."""
    best = best_rates(runs)
    rates = sorted(runs["learning_rate"].unique())
    at_best = {a: runs[(runs["activation"] == a) & (runs["learning_rate"] == r)].set_index("seed")
               for a, r in best.items()}
    ref = at_best[reference]
    rows = []
    for activation, own in at_best.items():
        epoch_ratio = (own["epochs"] / ref["epochs"]).dropna()
        second_ratio = (own["seconds"] / ref["seconds"]).dropna()
        rows.append({
            "activation": activation, "best_rate": best[activation], "reached": int(own["epochs"].notna().sum()),
            "seeds": len(own), "epochs_median": own["epochs"].median(), "epochs_min": own["epochs"].min(),
            "epochs_max": own["epochs"].max(), "seconds_median": own["seconds"].median(),
            "paired": len(epoch_ratio), "epoch_ratio_median": epoch_ratio.median(),
            "epoch_ratio_min": epoch_ratio.min(),
            "epoch_ratio_max": epoch_ratio.max(), "second_ratio_median": second_ratio.median(),
            "second_ratio_min": second_ratio.min(), "second_ratio_max": second_ratio.max(),
            "rate_at_edge": best[activation] in (rates[0], rates[-1]) and len(rates) > 1})
    return pd.DataFrame(rows)


def learning_speed(setup: SpeedSetup, ds=None, progress: Callable[[int, int], object] | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``speed_runs`` and their ``speed_ratios``."""
    runs = speed_runs(setup, ds, progress)
    return runs, speed_ratios(runs)


RATE_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)  # the sweep around an experiment's own learning rate
ARENA_SEEDS = 5


def setup_for(experiment, target: Target, dataset_name: str) -> SpeedSetup:
    """The speed-of-learning measurement of an Arena experiment: its data, network, batch size and epochs, its
    one-activation networks (ReLU added as the reference if it is missing), ``ARENA_SEEDS`` seeds, and the
    learning rates ``RATE_FACTORS`` × its own (within the setting's range), against the training-error ``target``
    its summary used. ValueError when it does not apply: no target, or a regression."""
    if target is None or not target.lower_is_better:
        raise ValueError("Speed of learning is measured against a training error: it needs a classification run "
                         "with a target.")
    single = [name for name in experiment.activations if ">" not in name]
    activations = tuple(dict.fromkeys([REFERENCE, *single]))
    if len(activations) < 2:
        raise ValueError("Speed of learning compares activations with ReLU: add another activation.")
    rates = tuple(sorted({min(max(experiment.learning_rate * f, 1e-4), MAX_SWEEP_RATE) for f in RATE_FACTORS}))
    return SpeedSetup(dataset_name, tuple(experiment.hidden_layers), target=float(target.value),
                      epochs=int(experiment.epochs), rates=rates, seeds=ARENA_SEEDS, batch_size=experiment.batch_size,
                      n_samples=experiment.n_samples, noise=experiment.noise, activations=activations)


def ratio_text(row: pd.Series, what: str = "epoch") -> str:
    """"1.7× (1.4–2.1× over 5 seeds)": an activation's per-seed ratio to ReLU, or why there is none."""
    median, low, high = (row[f"{what}_ratio_{k}"] for k in ("median", "min", "max"))
    if not np.isfinite(median):
        return f"not reached by any of {row['seeds']} seeds"
    return f"{median:.1f}× ({low:.1f}–{high:.1f}× over {row['paired']} seeds)"

