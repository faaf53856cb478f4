"""Gradient flow through depth (core.lab.gradient_flow): shapes, agreement with MLP's own gradients, and the
numbers the Gradient Flow page tells — measured with this engine on moons, not assumed."""


import numpy as np
import pytest

from core.engine.data import load_dataset
from core.engine.limits import (
    ELEMENTWISE_WORK,
    MAX_WORK,
    SMALL_BATCH_ROWS,
    STEP_WORK,
    check_work,
    dense_work,
    format_work,
)
from core.engine.mlp import HIDDEN_CHOICES, MLP
from core.engine.training import TrainConfig, training_work
from core.lab.gradient_flow import (
    at_init_work,
    check_heatmap,
    decades_per_layer,
    depth_sweep,
    exploding,
    first_over_last,
    gradient_profile,
    log10_growth,
    log10_ratio_by_epoch,
    log10_ratios,
    profile_frame,
    resolved_init,
    training_heatmap,
)


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons")


def direct_norms(ds, activation, depth, width, init, seed=0, bias_init=0.0, rows=None):
    net = MLP([ds.n_features, *[width] * depth, ds.n_classes], activation=activation, init=init, seed=seed,
              bias_init=bias_init)
    X, y = (ds.X_train, ds.y_train) if rows is None else (ds.X_train[:rows], ds.y_train[:rows])
    return [float(np.linalg.norm(g)) for g in net.loss_and_gradients(X, y)[1]]


@pytest.mark.parametrize(("activation", "init"), [("relu", "he"), ("sigmoid", "xavier"), ("tanh", "he"),
                                                  ("maxout", "xavier"), ("gelu", "he")])
def test_profile_is_the_norm_of_mlp_loss_and_gradients(moons, activation, init):
    got = gradient_profile(moons, activation, 3, 8, init, seed=3)
    assert len(got) == 4  # 3 hidden layers: 4 weight matrices, input side first
    np.testing.assert_allclose(got, direct_norms(moons, activation, 3, 8, init, seed=3), rtol=1e-12)


def test_profile_options_subset_and_bias(moons):
    np.testing.assert_allclose(gradient_profile(moons, "relu", 2, 8, "he", n_samples=50),
                               direct_norms(moons, "relu", 2, 8, "he", rows=50), rtol=1e-12)
    np.testing.assert_allclose(gradient_profile(moons, "relu", 2, 8, "he", bias_init=-1.0),
                               direct_norms(moons, "relu", 2, 8, "he", bias_init=-1.0), rtol=1e-12)


def test_auto_init_follows_train_config(moons):
    assert resolved_init("relu", "auto") == "he" and resolved_init("maxout", "auto") == "he"
    assert resolved_init("sigmoid", "auto") == "xavier" and resolved_init("tanh", "auto") == "xavier"
    assert resolved_init("sigmoid", "he") == "he"
    assert gradient_profile(moons, "sigmoid", 2, 8, "auto") == gradient_profile(moons, "sigmoid", 2, 8, "xavier")
    assert gradient_profile(moons, "relu", 2, 8, "auto") == gradient_profile(moons, "relu", 2, 8, "he")


def test_profile_frame_shape(moons):
    frame = profile_frame(moons, ["relu", "sigmoid"], 4, 8, "auto", 3)
    assert list(frame.columns) == ["activation", "label", "seed", "layer", "grad_norm"]
    assert len(frame) == 2 * 3 * 5
    assert list(frame["activation"].unique()) == ["relu", "sigmoid"]
    assert list(frame["label"].unique()) == ["ReLU", "Sigmoid"]
    assert sorted(frame["layer"].unique()) == [1, 2, 3, 4, 5]
    assert sorted(frame["seed"].unique()) == [0, 1, 2]
    assert (frame["grad_norm"] > 0).all()
    explicit = profile_frame(moons, ["relu"], 4, 8, "auto", [7])
    assert explicit["seed"].unique().tolist() == [7]


def test_vanishing_at_depth_10_sigmoid_xavier_against_relu_he(moons):
    """Depth 10, width 32, moons, seeds 0-4. Measured: sigmoid+Xavier first/last between 4e-7 and 7e-6
    (geometric mean 10^-6.0); ReLU+He between 0.087 and 0.50 (10^-0.66); tanh+Xavier between 0.45 and 1.6."""
    seeds = range(5)
    sigmoid = [first_over_last(gradient_profile(moons, "sigmoid", 10, 32, "xavier", s)) for s in seeds]
    relu = [first_over_last(gradient_profile(moons, "relu", 10, 32, "he", s)) for s in seeds]
    tanh = [first_over_last(gradient_profile(moons, "tanh", 10, 32, "xavier", s)) for s in seeds]
    assert max(sigmoid) < 1e-4
    assert all(0.05 < r < 2 for r in relu)
    assert all(0.2 < r < 5 for r in tanh)
    assert max(sigmoid) * 1e3 < min(relu)
    logs = log10_ratios(profile_frame(moons, ["sigmoid", "relu", "tanh"], 10, 32, "auto", 5))
    assert logs["sigmoid"] < -5
    assert -1 < logs["relu"] < 0
    assert -0.5 < logs["tanh"] < 0.5


def test_depth_sweep_sigmoid_falls_with_depth_relu_does_not(moons):
    sweep = depth_sweep(moons, ["sigmoid", "relu"], range(1, 11), 32, "auto", 3)
    assert list(sweep.columns) == ["activation", "label", "depth", "seed", "ratio"]
    assert len(sweep) == 2 * 10 * 3
    medians = sweep.groupby(["activation", "depth"])["ratio"].median()
    assert medians["sigmoid", 10] < medians["sigmoid", 5] < medians["sigmoid", 2]
    slopes = decades_per_layer(sweep)
    # measured: sigmoid -0.66 decades per layer (x0.22, near sigma' <= 0.25), ReLU +0.01
    assert slopes["sigmoid"] < -0.5
    assert abs(slopes["relu"]) < 0.1
    one = sweep[(sweep["activation"] == "relu") & (sweep["depth"] == 4) & (sweep["seed"] == 1)]["ratio"].item()
    assert one == pytest.approx(first_over_last(gradient_profile(moons, "relu", 4, 32, "he", 1)))


def test_exploding_grows_by_orders_of_magnitude_with_the_init_scale(moons):
    frame = exploding(moons, "relu", 10, 32, [0.5, 1.0, 2.0, 4.0])
    assert list(frame.columns) == ["activation", "label", "scale", "layer", "grad_norm"]
    wide = frame.pivot(index="scale", columns="layer", values="grad_norm")
    assert (wide.diff().iloc[1:] > 0).all().all(), "every matrix's gradient grows with every step in scale"
    # ReLU with zero biases is positively homogeneous: about 4^10 = 10^6.0 from x1 to x4 (measured 10^6.2)
    growth = np.log10(wide.loc[4.0] / wide.loc[1.0])
    assert ((growth > 5) & (growth < 7)).all()
    np.testing.assert_allclose(log10_growth(frame).loc[4.0] - log10_growth(frame).loc[1.0], growth)
    assert (log10_growth(frame).loc[0.5] == 0).all()
    np.testing.assert_allclose(wide.loc[1.0], gradient_profile(moons, "relu", 10, 32, "auto"), rtol=1e-12)
    with pytest.raises(ValueError, match="positive"):
        exploding(moons, "relu", 2, 8, [0.0])


def test_training_heatmap_starts_at_the_profile(moons):
    frame = training_heatmap(moons, ["relu", "sigmoid"], 3, 8, "auto", epochs=4, lr=0.1, seed=0)
    assert list(frame.columns) == ["activation", "label", "epoch", "layer", "grad_norm"]
    assert len(frame) == 2 * 5 * 4
    assert sorted(frame["epoch"].unique()) == [0, 1, 2, 3, 4]
    for name in ("relu", "sigmoid"):
        at_init = frame[(frame["activation"] == name) & (frame["epoch"] == 0)].sort_values("layer")["grad_norm"]
        np.testing.assert_allclose(at_init, gradient_profile(moons, name, 3, 8, "auto"), rtol=1e-9)
    assert frame["grad_norm"].notna().all()
    ratios = log10_ratio_by_epoch(frame)
    assert list(ratios.columns) == ["activation", "epoch", "log10_ratio"] and len(ratios) == 2 * 5
    relu0 = ratios[(ratios["activation"] == "relu") & (ratios["epoch"] == 0)]["log10_ratio"].item()
    assert relu0 == pytest.approx(np.log10(first_over_last(gradient_profile(moons, "relu", 3, 8, "auto"))))


def test_training_heatmap_reports_every_epoch_and_its_result_does_not_depend_on_it(moons):
    calls = []
    frame = training_heatmap(moons, ["relu", "tanh"], 2, 8, "auto", epochs=5, lr=0.1, seed=0,
                             progress=lambda done, total: calls.append((done, total)))
    assert calls == [(epoch, 5) for epoch in range(6)]  # epoch 0 (at init) first
    assert frame.equals(training_heatmap(moons, ["relu", "tanh"], 2, 8, "auto", epochs=5, lr=0.1, seed=0))


def test_a_diverging_run_stops_and_keeps_only_finite_ratios(moons):
    frame = training_heatmap(moons, ["relu", "sigmoid"], 12, 64, "auto", epochs=5, lr=3.0, seed=0)
    relu = frame[frame["activation"] == "relu"]
    assert relu["epoch"].max() < 5, "ReLU at depth 12 and learning rate 3 diverges (measured: at epoch 1)"
    assert frame[frame["activation"] == "sigmoid"]["epoch"].max() == 5
    assert np.isfinite(log10_ratio_by_epoch(frame)["log10_ratio"]).all()


# --- the work cap (core.engine.limits.MAX_WORK), shared by every heavy engine call ----------------------


def test_dense_work_counts_products_and_elementwise_steps():
    # 2 -> 4 -> 4 -> 2: 8 + 16 + 8 multiply-adds per row, and 8 hidden values
    assert dense_work([2, 4, 4, 2]) == 32 + 8 * ELEMENTWISE_WORK
    # maxout with 3 pieces: each hidden layer computes 3 values per unit, the next layer reads one per unit
    assert dense_work([2, 4, 4, 2], pieces=3) == 2 * 12 + 4 * 12 + 4 * 2 + 24 * ELEMENTWISE_WORK
    assert dense_work([2, 4, 4, 2], pieces=[1, 3]) == 8 + 4 * 12 + 8 + 16 * ELEMENTWISE_WORK
    with pytest.raises(ValueError, match="piece counts"):
        dense_work([2, 4, 4, 2], pieces=[1])


def test_training_work_counts_training_and_measurement(moons):
    n, n_test = len(moons.X_train), len(moons.X_test)
    per_row = dense_work([2, 4, 4, 2])
    one = TrainConfig(hidden_layers=(4, 4), epochs=1, batch_size=1000)  # one mini-batch per epoch
    # epoch 0: forward + backward (3 products a layer) over the training set and a forward over the test set
    assert training_work(moons, [one], epochs=0) == (3 * n + n_test) * per_row
    # an epoch adds the training pass and its measurement, and one step's overhead for each of 3 weight matrices
    epoch = 3 * n * per_row + (3 * n + n_test) * per_row + 3 * STEP_WORK
    assert training_work(moons, [one], epochs=1, at_init=False) == epoch
    assert training_work(moons, [one]) == (3 * n + n_test) * per_row + epoch
    # batch 1: n steps, each costing at least SMALL_BATCH_ROWS rows of products
    single = one.replace(batch_size=1)
    assert training_work(moons, [single], 1, at_init=False) == (
        3 * n * SMALL_BATCH_ROWS * per_row + (3 * n + n_test) * per_row + n * 3 * STEP_WORK)
    # runs of one stack share the step overhead per activation; epochs multiply
    three = [one.replace(seed=s) for s in range(3)]
    assert training_work(moons, three, 1, at_init=False) == 3 * (epoch - 3 * STEP_WORK) + 3 * STEP_WORK
    mixed = [one, one.replace(activation="tanh")]
    assert training_work(moons, mixed, 1, at_init=False) == 2 * epoch
    assert training_work(moons, [one.replace(epochs=10)], at_init=False) == 10 * epoch


def test_check_work_names_the_cost_the_cap_and_what_to_do():
    assert check_work(MAX_WORK, "x", "y") == MAX_WORK
    assert format_work(MAX_WORK) == "2e10" and format_work(3.14e11) == "3.1e11"
    with pytest.raises(ValueError) as raised:
        check_work(3.1e11, "This depth sweep", "choose fewer seeds")
    assert str(raised.value) == ("This depth sweep would need about 3.1e11 multiply-adds, over the cap of 2e10 per "
                                 "request (MAX_WORK): choose fewer seeds.")
    with pytest.raises(ValueError, match="over the cap of 2e3"):
        check_work(2001, "x", "y", cap=2000)
    with pytest.raises(ValueError):
        check_work(float("nan"), "x", "y")


@pytest.fixture(scope="module")
def big_moons():
    """The Gradient Flow page's largest generated dataset: 3000 samples, 90% for training."""
    return load_dataset("moons", n_samples=3000, test_size=0.1)


CAP = f"over the cap of {format_work(MAX_WORK)}"


def refused(call, *args, **kwargs) -> str:
    """The message of the ValueError ``call`` raises (the check runs before any computing)."""
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_every_measurement_refuses_work_over_the_cap(big_moons):
    # The Gradient Flow page at its maxima (every activation, 30 x 128, 5 seeds, first 500 rows): 4.6e10
    message = refused(profile_frame, big_moons, HIDDEN_CHOICES, 30, 128, "auto", 5, n_samples=500)
    assert message.startswith("Measuring the gradients at init of 50 networks of 30 × 128 units would need about "
                              "4.6e10 multiply-adds") and CAP in message and "choose fewer activations" in message
    message = refused(depth_sweep, big_moons, HIDDEN_CHOICES, [1, 5, 9, 13, 18, 22, 26, 30], 128, "auto", 3,
                      n_samples=250)
    assert message.startswith("This depth sweep (10 activations × 8 depths × 3 seeds, width 128)") and CAP in message
    assert "fewer depths" in message
    message = refused(exploding, big_moons, "maxout", 30, 512, [0.5, 1, 2, 4], n_samples=500)
    assert "4 init scales" in message and CAP in message
    message = refused(training_heatmap, big_moons, ["relu", "sigmoid", "tanh"], 30, 128, "auto", 30, 0.1)
    assert message.startswith("Training 3 networks of 30 × 128 units for 30 epochs") and CAP in message
    assert message == refused(check_heatmap, big_moons, ["relu", "sigmoid", "tanh"], 30, 128, 30)
    message = refused(gradient_profile, big_moons, "relu", 30, 512, "he")
    assert message.startswith("Measuring the gradients of a network of 30 × 512 units") and CAP in message


def test_the_estimate_is_what_the_check_compares(big_moons):
    # just under and just over the cap decide; the work is the sum over activations and depths
    work = at_init_work(big_moons, ["relu", "maxout"], [4, 8], 64, 3, n_samples=500)
    relu = 3 * 3 * 500 * (dense_work([2, 64, 64, 64, 64, 2]) + dense_work([2, *[64] * 8, 2]))
    maxout = 3 * 3 * 500 * (dense_work([2, 64, 64, 64, 64, 2], 2) + dense_work([2, *[64] * 8, 2], 2))
    assert work == relu + maxout
    assert at_init_work(big_moons, ["relu"], [10], 32, 1, n_samples=None) == (
        3 * len(big_moons.X_train) * dense_work([2, *[32] * 10, 2]))


def test_the_pages_defaults_and_lessons_need_at_most_half_the_cap(moons):
    """Gradient Flow's defaults (moons, 500 samples, depth 10 x 32, ReLU/sigmoid/tanh, 3 seeds) and the lesson
    "depth 10 x 32 on moons over 5 seeds" run unchanged, well within the cap."""
    names = ["relu", "sigmoid", "tanh"]
    assert at_init_work(moons, names, [10], 32, 5, n_samples=500) < MAX_WORK / 10
    assert at_init_work(moons, names, range(1, 11), 32, 3, n_samples=250) < MAX_WORK / 10
    assert check_heatmap(moons, names, 10, 32, 30) < MAX_WORK / 2
    assert 6 * at_init_work(moons, ["relu"], [10], 32, 1, n_samples=500) < MAX_WORK / 10
