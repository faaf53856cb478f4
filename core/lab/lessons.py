"""The numbers behind the Lessons page: one small measurement per claim, made with the engine.

Each function trains or probes a few tiny networks (well under a second each on an idle machine) and
returns plain numbers, so the page can cache them and quote them beside the claim they support. The
experiments are module constants: the page opens the same settings in the Arena, so a learner who
presses Play there to the last epoch sees the same numbers.

numpy and pandas only, through the engine; never Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.engine.activations import get_activation
from core.engine.data import load_dataset
from core.engine.training import network_for, train_many
from core.lab.explorer import SATURATION_THRESHOLD, SATURATION_WINDOW, saturation_intervals
from core.lab.gradient_flow import (
    decades_per_layer,
    depth_sweep,
    exploding,
    first_over_last,
    gradient_profile,
    log10_growth,
    resolved_init,
)
from core.lab.init_signal import end_values, signal_frame
from core.lab.learning_speed import SpeedSetup, learning_speed
from core.lab.linear_regions import SWEEP_DEPTHS, plane, sweep_summary, trained_region_sweep
from core.lab.neurons import dying_at_init
from core.lab.saturation import SaturationExperiment, saturation_curves, top_layer
from core.lab.speed import relative_costs
from core.settings import REGIONS, SIGNAL, Experiment, regions_experiment

# Lesson 1: no activation. Circles at noise 0.1, so ReLU can separate it almost perfectly; moons as a second
# case, where a straight line already gets most points right.
LINEAR_CIRCLES = Experiment(dataset="circles", noise=0.1, activations=("linear", "relu"), epochs=100)
LINEAR_MOONS = Experiment(dataset="moons", noise=0.2, activations=("linear", "relu"), epochs=100)

# Lesson 3: vanishing gradients, as the Gradient Flow page measures them by default.
VANISHING_DATASET = "moons"
VANISHING_DEPTH = 10
VANISHING_WIDTH = 32
VANISHING_SEEDS = 3
VANISHING_ACTIVATIONS = ("sigmoid", "tanh", "relu")
# The Arena goes up to 8 hidden layers: the lesson's preset there.
VANISHING_ARENA = Experiment(activations=("relu", "sigmoid"), hidden_layers=(16,) * 8)

# ... and why ReLU is not a cure by itself: doubling a 10-layer ReLU network's init std, and deep narrow ReLU
# networks at init (Lu et al. 2019).
EXPLODING_SCALE = 2.0
NARROW_WIDTH, NARROW_DEPTH, NARROW_NETWORKS = 3, 30, 1000

# Lesson 4: exact zeros at init.
SPARSITY = Experiment(activations=("relu", "tanh"))

# Lesson 5: dying ReLU. Every hidden bias starts at -3. Learning rate 1.0 because Leaky ReLU's slope below 0 is
# only 0.01: its units keep a gradient, but a hundred times smaller, and at 0.1 they take far longer to recover.
DYING = Experiment(activations=("relu", "leaky_relu", "elu"), bias_init=-3.0, learning_rate=1.0, epochs=100)

# ... and dead units do not always cost accuracy: a learning rate that kills some of ReLU's units but not most.
SOME_DEAD = Experiment(activations=("relu",), init="he", learning_rate=2.0, epochs=100)

# Lesson 6: maxout (k = 2 pieces) against ReLU and Leaky ReLU.
MAXOUT = Experiment(activations=("relu", "leaky_relu", "maxout"), epochs=100)

# Lesson 7: the micro-benchmark of core.lab.speed at a modest size.
SPEED_SIZE = 100_000
SPEED_REPEATS = 7
SPEED_ACTIVATIONS = ("sigmoid", "tanh")


def _first_and_last(experiment: Experiment) -> dict[str, tuple]:
    """Train the experiment's first seed of every activation; {activation: (record at init, last record)}."""
    configs = [experiment.config(name, experiment.first_seed) for name in experiment.activations]
    epochs = list(train_many(experiment.load_data(), configs))
    first = epochs[0]
    # A diverged run stops early: its own last record is the one flagged ``diverged``.
    last_by_run = {record.run: record for records in epochs for record in records}
    return {name: (first[i], last_by_run[i]) for i, name in enumerate(experiment.activations)}


def final_test_accuracy(experiment: Experiment) -> dict[str, float]:
    """Test accuracy of each activation after ``experiment.epochs`` epochs (first seed only).

    The fraction of test points classified correctly by the network at its last epoch: exactly what
    the Arena's summary table shows for the same experiment when its run has finished. NaN for a run
    that diverged.
    """
    return {name: last.test_accuracy for name, (_, last) in _first_and_last(experiment).items()}


def linear_vs_relu(experiment: Experiment = LINEAR_CIRCLES) -> dict[str, float]:
    """Final test accuracy of a network with no hidden activation ("linear") and of the same network with ReLU.

    Same data, initial draws and batches (``experiment``'s first seed; by default circles, noise 0.1,
    2 hidden layers of 16 units, SGD with learning rate 0.1, 100 epochs). Returns {"linear": acc, "relu": acc},
    fractions in [0, 1].
    """
    accuracy = final_test_accuracy(experiment)
    return {"linear": accuracy["linear"], "relu": accuracy["relu"]}


def relu_derivative_samples(points: Sequence[float] = (-1.0, 0.0, 1.0)) -> dict[float, float]:
    """ReLU's derivative f′(x) at each point, straight from the activation registry.

    At x = 0 ReLU is not differentiable; the registry returns the lab's convention, f′(0) = 0.
    """
    derivative = get_activation("relu").derivative(np.asarray(points, dtype=np.float64))
    return {float(x): float(d) for x, d in zip(points, derivative, strict=True)}


def vanishing_ratios(
    activations: Sequence[str] = VANISHING_ACTIVATIONS,
    depth: int = VANISHING_DEPTH,
    width: int = VANISHING_WIDTH,
    seeds: int = VANISHING_SEEDS,
    dataset=None,
) -> dict[str, float]:
    """First-over-last gradient ratio at init, ||∂L/∂W_first|| / ||∂L/∂W_last||, per activation.

    A network of ``depth`` hidden layers of ``width`` units, at init, with no training step: "auto" init
    (Xavier for sigmoid and tanh, He for ReLU) and zero biases. L is the cross-entropy over the training
    set of two moons (500 samples, noise 0.2, seed 0) unless ``dataset`` is given. The ratio is the
    geometric mean over seeds 0..seeds-1. A ratio far below 1 means the input-side weights are told to
    change orders of magnitude less than the output side's: vanishing gradients.
    """
    if dataset is None:
        dataset = Experiment(dataset=VANISHING_DATASET).load_data()
    ratios = {}
    for name in activations:
        per_seed = [first_over_last(gradient_profile(dataset, name, depth, width, "auto", seed))
                    for seed in range(seeds)]
        ratios[name] = math.exp(float(np.mean(np.log(per_seed))))
    return ratios


def gradient_ratios_at_init(experiment: Experiment = VANISHING_ARENA) -> dict[str, float]:
    """First-over-last gradient ratio at init in ``experiment``'s own networks (first seed), per activation.

    ||∂L/∂W_first|| / ||∂L/∂W_last|| from the Arena's epoch-0 record: exactly what its "Gradient norm by layer"
    chart shows at epoch 0 for the same experiment (by default 8 hidden layers of 16 units, "auto" init, two
    moons, seed 0).
    """
    configs = [experiment.config(name, experiment.first_seed) for name in experiment.activations]
    at_init = next(iter(train_many(experiment.load_data(), configs)))
    return {name: first_over_last(record.grad_norms) for name, record in zip(experiment.activations, at_init,
                                                                             strict=True)}


def vanishing_inits(activations: Sequence[str] = VANISHING_ACTIVATIONS) -> dict[str, str]:
    """The init "auto" resolves to for each activation ("he" or "xavier"), as ``vanishing_ratios`` uses it."""
    return {name: resolved_init(name, "auto") for name in activations}


def sparsity_at_init(experiment: Experiment = SPARSITY) -> dict[str, float]:
    """Fraction of hidden outputs that are exactly 0, at init, per activation.

    Over every hidden unit and every training sample of ``experiment``'s data (by default two moons,
    2 hidden layers of 16 units, He init for ReLU, Xavier for tanh, zero biases, seed 0), averaged over
    the hidden layers as the Arena's summary averages them. A fraction in [0, 1].
    """
    configs = [experiment.config(name, experiment.first_seed) for name in experiment.activations]
    at_init = next(iter(train_many(experiment.load_data(), configs)))
    return {name: float(np.mean(record.sparsity)) for name, record in zip(experiment.activations, at_init,
                                                                          strict=True)}


def dying_units(experiment: Experiment = DYING) -> dict[str, dict[str, float]]:
    """Dead hidden units at init and after training, and the final test accuracy, per activation.

    A unit is dead when it outputs exactly 0 for every training sample (then f′ = 0 for every sample too,
    and its incoming weights get no gradient). By default: every hidden bias starts at -3, two moons,
    2 hidden layers of 16 units, He init, SGD with learning rate 1.0, 100 epochs, seed 0.
    Returns {activation: {"units": hidden units in all, "dead_at_init": count, "dead_after": count,
    "test_accuracy": fraction after the last epoch}}; counts are whole numbers.
    """
    widths = np.asarray(experiment.hidden_layers)
    result = {}
    for name, (first, last) in _first_and_last(experiment).items():
        result[name] = {
            "units": int(widths.sum()),
            "dead_at_init": int(round(float(np.dot(first.dead_fraction, widths)))),
            "dead_after": int(round(float(np.dot(last.dead_fraction, widths)))),
            "test_accuracy": last.test_accuracy,
        }
    return result


def parameter_count(experiment: Experiment, activation: str, dataset) -> int:
    """Weights and biases of ``experiment``'s network for ``activation`` on ``dataset`` (maxout: k pieces per unit)."""
    net = network_for(experiment.config(activation, experiment.first_seed), dataset)
    return int(sum(w.size for w in net.weights) + sum(b.size for b in net.biases))


def maxout_vs_relu(experiment: Experiment = MAXOUT) -> dict[str, dict[str, float]]:
    """Final test accuracy and parameter count of maxout and its special cases, trained side by side.

    By default: two moons, 2 hidden layers of 16 units (maxout: k = 2 pieces per unit), He init, SGD
    with learning rate 0.1, 100 epochs, seed 0, identical data and batches.
    Returns {activation: {"test_accuracy": fraction in [0, 1], "parameters": weights + biases}}.
    """
    accuracy = final_test_accuracy(experiment)
    dataset = experiment.load_data()
    return {
        name: {"test_accuracy": accuracy[name],
               "parameters": parameter_count(experiment, name, dataset)}
        for name in experiment.activations
    }


def speed_ratios(
    activations: Sequence[str] = SPEED_ACTIVATIONS,
    size: int = SPEED_SIZE,
    repeats: int = SPEED_REPEATS,
) -> dict[str, dict[str, float]]:
    """Time of each activation relative to ReLU's, forward and backward, on this machine, now.

    Median of ``repeats`` timed calls (after a warm-up) over ``size`` float32 N(0, 1) inputs, from
    ``core.lab.speed.relative_costs``. Forward is f(x); backward is f′ (from the stored output where that is
    cheaper, as backprop does) times an upstream gradient. A ratio of 3 means three times ReLU's time.
    Timings depend on the machine and its load: read them as ratios, and expect them to vary.
    Returns {activation: {"forward": ratio, "backward": ratio, "forward_s": seconds, "backward_s": seconds}},
    with ReLU itself first (ratios 1.0), so its absolute time per call is there too.
    """
    names = list(dict.fromkeys(["relu", *activations]))
    costs = relative_costs(names, size=size, repeats=repeats).set_index("activation")
    return {name: {"forward": float(costs.loc[name, "forward_rel"]), "backward": float(costs.loc[name, "backward_rel"]),
                   "forward_s": float(costs.loc[name, "forward_s"]), "backward_s": float(costs.loc[name, "backward_s"])}
            for name in names}


def saturation_edges(threshold: float = SATURATION_THRESHOLD) -> dict[str, float]:
    """Where |f′(x)| drops below ``threshold`` for good on the right, for sigmoid and tanh (about 4.6 and 3.0 at
    0.01): symmetric, so ±edge. From the Explorer's own bisection (``saturation_intervals``)."""
    return {name: saturation_intervals(name, threshold, *SATURATION_WINDOW)[-1][0] for name in ("sigmoid", "tanh")}


def decades_per_added_layer(activations: Sequence[str] = VANISHING_ACTIVATIONS, max_depth: int = VANISHING_DEPTH,
                            width: int = VANISHING_WIDTH, seeds: int = VANISHING_SEEDS, rows: int = 250,
                            dataset=None) -> dict[str, float]:
    """The slope of log10(first/last gradient ratio) against depth 1..``max_depth`` at init, per activation:
    about −0.66 decades per layer for sigmoid, about 0 for tanh and ReLU. A ratio below 1 that does not fall with
    depth (ReLU's, about 0.3 already at depth 1, set by the 2-D input layer) is not vanishing."""
    if dataset is None:
        dataset = Experiment(dataset=VANISHING_DATASET).load_data()
    sweep = depth_sweep(dataset, activations, range(1, max_depth + 1), width, "auto", seeds, n_samples=rows)
    return decades_per_layer(sweep).to_dict()


def relu_is_no_cure(dataset=None) -> dict[str, float]:
    """Two measurements against "ReLU solves vanishing gradients": the log10 factor by which doubling the init std
    of a ``VANISHING_DEPTH``-layer ReLU network multiplies its first weight matrix's gradient (about 3, that is
    10³), and the share of ``NARROW_DEPTH``-layer, width-``NARROW_WIDTH`` ReLU networks whose output is constant at
    init (Lu et al. 2019, ``dying_at_init``)."""
    if dataset is None:
        dataset = Experiment(dataset=VANISHING_DATASET).load_data()
    growth = log10_growth(exploding(dataset, "relu", VANISHING_DEPTH, VANISHING_WIDTH, [1.0, EXPLODING_SCALE],
                                    n_samples=250))
    collapsed = dying_at_init((NARROW_WIDTH,), [NARROW_DEPTH], n_seeds=NARROW_NETWORKS)
    return {"log10_growth": float(growth.loc[EXPLODING_SCALE].iloc[0]),
            "collapsed_share": float(collapsed["share_collapsed"].iloc[0])}
# --- the new labs' lessons -------------------------------------------------------------------------------------
# Lesson 8: ReLU is piecewise linear. The Linear Regions page's default experiment, trained to its last epoch; the
# regions are counted on the page's own grid, so a learner who trains it there sees the same numbers.
REGIONS_LESSON = regions_experiment(REGIONS.defaults())

# Lesson 9: depth against width at 24 units, as the page's sweep shows by default.
DEPTH_UNITS, DEPTH_SEEDS, DEPTH_EPOCHS = REGIONS["sweep_units"].default, REGIONS["sweep_seeds"].default, \
    REGIONS["sweep_epochs"].default

# Lesson 10: the signal at init, as Gradient Flow's section shows it by default (digits, 30 layers of 100 units).
SIGNAL_LESSON = SIGNAL.defaults()

# Lesson 11: where sigmoid saturates, the first epochs of Neurons' section (its default settings).
SATURATION_LESSON_EPOCHS = 5  # one request stays within MAX_WORK; the page trains on, live, to show the recovery

# Lesson 12: speed of learning; the Arena preset: the three activations at the rate best for all three on moons.
LEARNING_SPEED_ARENA = Experiment(activations=("relu", "tanh", "sigmoid"), learning_rate=1.0, seeds=5, epochs=200)


def linear_regions_numbers(experiment: Experiment = REGIONS_LESSON) -> dict:
    """Regions of each kinked activation's network (first seed) on the Linear Regions page's grid at init and
    after ``experiment.epochs`` epochs, and for every activation the share of grid cells where the input-gradient
    equals its four neighbours' at the end (1 inside regions only; 0 for a smooth network).

    Returns {"epochs": E, activation: {"at_init": regions or None, "after": regions or None, "unchanged": share}}."""
    ds = experiment.load_data()
    trainer = train_many(ds, experiment.configs())
    runs = {name: experiment.first_run(name) for name in experiment.activations}
    next(trainer)  # epoch 0: the networks at init
    at_init = {name: plane(trainer.model(r), ds).regions for name, r in runs.items()}
    for _ in trainer:
        pass
    numbers: dict = {"epochs": experiment.epochs}
    for name, r in runs.items():
        after = plane(trainer.model(r), ds)
        numbers[name] = {"at_init": at_init[name], "after": after.regions, "unchanged": after.unchanged}
    return numbers


def depth_numbers(units: int = DEPTH_UNITS, seeds: int = DEPTH_SEEDS, epochs: int = DEPTH_EPOCHS) -> pd.DataFrame:
    """The Linear Regions page's default sweep on its default data: ReLU regions against depth at ``units`` units,
    at init and after ``epochs`` epochs, with the bounds (``sweep_summary`` of ``trained_region_sweep``)."""
    ds = REGIONS_LESSON.load_data()
    return sweep_summary(trained_region_sweep(ds, total_units=units, depths=SWEEP_DEPTHS, seeds=seeds,
                                              epochs=epochs))


def init_signal_numbers(settings: dict = SIGNAL_LESSON) -> pd.DataFrame:
    """The std of the first and the last hidden layer's outputs at init for every activation and init scheme, on the
    data Gradient Flow's section pushes through by default (``end_values`` of ``signal_frame``): one row per
    (activation, init), columns layer 1 and the last layer."""
    ds = load_dataset(settings["dataset"], seed=0)
    frame = signal_frame(ds, depth=settings["depth"], width=settings["width"], seeds=settings["seeds"])
    return end_values(frame, (1, settings["depth"]))


def saturation_numbers(epochs: int = SATURATION_LESSON_EPOCHS) -> dict:
    """The first ``epochs`` epochs of Neurons' section at its default settings: the top hidden layer's mean output
    per (activation, init) at each epoch, and the test accuracy at the last. Returns {"top": frame (epoch x
    (activation, init)), "accuracy": {(activation, init): fraction}}."""
    experiment = SaturationExperiment(epochs=epochs)
    frame = saturation_curves(experiment.load_data(), experiment.configs())
    last = frame[frame["epoch"] == epochs]
    accuracy = last.groupby(["activation", "init"])["test_accuracy"].first().to_dict()
    return {"top": top_layer(frame), "accuracy": accuracy}


def learning_speed_numbers(setup: SpeedSetup) -> pd.DataFrame:
    """``speed_ratios`` of ``setup``: each activation at its best rate against ReLU at its own."""
    return learning_speed(setup)[1]
