"""Where sigmoid saturates (core.lab.saturation): statistics recomputed by hand, the stacked stream held against each
run trained alone, and the direction of Glorot & Bengio's (2010) Figure 2, measured with this engine on digits."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.mlp import MLP
from core.engine.training import MultiTrainer
from core.lab.saturation import (
    COLUMNS,
    SaturationExperiment,
    SaturationRun,
    layer_statistics,
    saturation_configs,
    saturation_curves,
    saturation_stream,
    top_layer,
)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_layer_statistics_by_hand():
    X = np.random.default_rng(0).normal(0, 3, size=(200, 5))
    net = MLP([5, 7, 6, 2], activation="sigmoid", init="standard", seed=1, bias_init=0.5)
    frame = layer_statistics(net, X)
    h = X
    for layer, (W, b) in enumerate(zip(net.weights[:-1], net.biases[:-1], strict=True), start=1):
        h = 1 / (1 + np.exp(-(h @ W + b)))
        row = frame[frame["layer"] == layer].iloc[0]
        np.testing.assert_allclose([row["mean"], row["std"], row["low"], row["high"]],
                                   [h.mean(), h.std(), np.percentile(h, 2), np.percentile(h, 98)], rtol=1e-12)
        assert row["saturated"] == (h * (1 - h) < 0.01).mean()  # sigmoid' = h (1 - h)


def test_configs_are_seed_major():
    configs = saturation_configs(seeds=[3, 4])
    assert [(c.seed, c.activation, c.init) for c in configs] == [
        (3, "sigmoid", "standard"), (3, "tanh", "standard"), (3, "sigmoid", "xavier"),
        (4, "sigmoid", "standard"), (4, "tanh", "standard"), (4, "sigmoid", "xavier")]
    assert all(c.batch_size == 10 and c.optimizer == "sgd" and c.hidden_layers == (100,) * 4 for c in configs)


def test_stream_matches_each_run_trained_alone(digits):
    configs = saturation_configs(depth=3, width=16, epochs=2, seeds=[0, 1])
    frame = saturation_curves(digits, configs, n_sample=100)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(configs) * 3 * 3  # runs x epochs 0..2 x layers
    X = digits.X_train[:100]
    for cfg in configs:
        alone = MultiTrainer(digits, [cfg])
        for records in alone:
            expected = layer_statistics(alone.model(0), X)
            got = frame[(frame["activation"] == cfg.activation) & (frame["init"] == cfg.init)
                        & (frame["seed"] == cfg.seed) & (frame["epoch"] == records[0].epoch)]
            np.testing.assert_allclose(got[["mean", "std", "low", "high"]].to_numpy(),
                                       expected[["mean", "std", "low", "high"]].to_numpy(), rtol=1e-9, atol=1e-12)
            assert (got["test_accuracy"] == records[0].test_accuracy).all()


def test_top_sigmoid_layer_is_driven_towards_zero_and_tanh_is_not(digits):
    """Glorot & Bengio (2010), Fig. 2, the first epochs: 4 sigmoid layers, batches of 10, learning rate 0.3. Measured
    here (width 32, seeds 0 and 1): the top layer's mean falls from 0.50 to about 0.21 in 3 epochs under both the
    standard and the normalised init, while the layers below stay near 0.5 and tanh's top layer stays near 0."""
    frame = saturation_curves(digits, saturation_configs(width=32, epochs=3, seeds=[0, 1]), n_sample=200)
    top = top_layer(frame)
    for init in ("standard", "xavier"):
        sigmoid = top[("sigmoid", init)]
        assert abs(sigmoid[0] - 0.5) < 0.02
        assert (np.diff(sigmoid.to_numpy()) < 0).all() and sigmoid[3] < 0.3
    assert top[("tanh", "standard")].abs().max() < 0.05
    lower = frame[(frame["activation"] == "sigmoid") & (frame["layer"] < 4) & (frame["epoch"] == 3)]
    assert (lower["mean"] - 0.5).abs().max() < 0.1


def test_stream_yields_epoch_zero_first_and_checks_each_epoch(digits):
    stream = saturation_stream(digits, saturation_configs(width=8, depth=2, epochs=1), n_sample=20)
    first = next(stream)
    assert (first["epoch"] == 0).all() and len(first) == 3 * 2
    assert (next(stream)["epoch"] == 1).all()
    with pytest.raises(StopIteration):
        next(stream)
    with pytest.raises(ValueError, match="MAX_WORK"):
        next(saturation_stream(digits, saturation_configs(width=512, depth=8, batch_size=1, seeds=5)))


def test_the_live_run_measures_what_the_stream_measures(digits):
    experiment = SaturationExperiment(depth=2, width=8, epochs=3, seed=1)
    assert experiment.configs() == saturation_configs(depth=2, width=8, epochs=3, seeds=[1])
    run = SaturationRun(experiment, dataset=digits, n_sample=50)
    assert (run.statistics()["epoch"] == 0).all()
    run.advance(seconds=1e9)
    assert run.done
    live = run.statistics()
    streamed = saturation_curves(digits, experiment.configs(), n_sample=50)
    assert list(live.columns) == COLUMNS
    np.testing.assert_allclose(live[["epoch", "layer", "mean", "std", "low", "high"]].to_numpy(),
                               streamed[["epoch", "layer", "mean", "std", "low", "high"]].to_numpy(), rtol=1e-9)
    assert live["activation"].tolist() == streamed["activation"].tolist()


def test_the_live_experiment_loads_its_data_like_an_experiment():
    experiment = SaturationExperiment()
    ds = experiment.load_data()
    assert ds.name == "digits" and len(ds.X_train) + len(ds.X_test) == 1797
    assert experiment.epochs == 100 and len(experiment.configs()) == 3
