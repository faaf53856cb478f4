"""core.lab.neurons against the engine: the numbers the Neurons page shows, measured, not typed in."""


import numpy as np
import pandas as pd
import pytest

from core.engine.data import load_dataset
from core.engine.limits import MAX_WORK, format_work
from core.engine.live import LiveRun
from core.engine.mlp import MLP
from core.engine.training import TrainConfig, network_for, train, training_work
from core.lab.neurons import (
    NEAR_ZERO,
    SCENARIOS,
    activation_histograms,
    check_experiment,
    dead_map,
    dying_at_init,
    histograms_before_after,
    mean_activation,
    snapshot,
    zero_counts,
)
from core.settings import Experiment


def finished(experiment: Experiment) -> LiveRun:
    run = LiveRun(experiment)
    while not run.done:
        run.advance(seconds=10.0)
    return run


def per_run(run: LiveRun, metric: str):
    """{activation name: DataFrame of that metric per epoch (rows) and layer (columns)} for seed 0."""
    history = run.history()
    out = {}
    for r, cfg in enumerate(run.configs):
        rows = history[(history["run"] == r) & (history["metric"] == metric)]
        out[cfg.activation] = rows.pivot(index="epoch", columns="layer", values="value")
    return out


def diverged_runs(run: LiveRun) -> dict[str, bool]:
    history = run.history()
    return {cfg.activation: bool(history.loc[history["run"] == r, "diverged"].any())
            for r, cfg in enumerate(run.configs)}


def accuracy(run: LiveRun) -> dict[str, float]:
    return {name: frame.iloc[-1, 0] for name, frame in per_run(run, "test_accuracy").items()}


@pytest.fixture(scope="module")
def bias_run() -> LiveRun:
    return finished(SCENARIOS["Large negative bias"])


@pytest.fixture(scope="module")
def lr_run() -> LiveRun:
    return finished(SCENARIOS["Excessive learning rate"])


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=300, seed=0)


# --- the scenarios -----------------------------------------------------------------------------------


def test_scenarios_compare_relu_leaky_and_elu_on_identical_settings():
    assert set(SCENARIOS) == {"Large negative bias", "Excessive learning rate"}
    for experiment in SCENARIOS.values():
        assert experiment.activations == ("relu", "leaky_relu", "elu")
        assert experiment.dataset == "moons" and experiment.seeds == 1
    assert SCENARIOS["Large negative bias"].bias_init == -3.0
    assert SCENARIOS["Excessive learning rate"].learning_rate == 3.0


def test_negative_bias_kills_relu_units_and_they_stay_dead(bias_run):
    dead = per_run(bias_run, "dead_fraction")
    relu = dead["relu"]
    # at init: 13 of 16 first-layer units and all 16 second-layer units output 0 for every input
    assert relu.loc[0].tolist() == pytest.approx([13 / 16, 1.0])
    assert relu.iloc[-1].mean() > 0.3
    assert (relu == relu.loc[0]).all().all(), "no dead ReLU unit comes back in 200 epochs"
    # Leaky ReLU and ELU never have a dead unit, and they learn; the dead ReLU net predicts one class
    assert (dead["leaky_relu"] == 0).all().all() and (dead["elu"] == 0).all().all()
    assert not any(diverged_runs(bias_run).values())
    acc = accuracy(bias_run)
    assert acc["relu"] < 0.55 and acc["leaky_relu"] > 0.85 and acc["elu"] > 0.95


def test_excessive_learning_rate_kills_relu_units_while_leaky_keeps_learning(lr_run):
    """lr 3 on moons (30x the default): ReLU units die for good; Leaky ReLU keeps all of its units and learns;
    ELU diverges in its first epoch (flagged, not hidden)."""
    dead = per_run(lr_run, "dead_fraction")
    diverged = diverged_runs(lr_run)
    assert dead["relu"].loc[0].tolist() == [0.0, 0.0]
    assert dead["relu"].iloc[-1].mean() > 0.3
    assert not diverged["relu"] and not diverged["leaky_relu"]
    assert (dead["leaky_relu"] == 0).all().all()
    assert diverged["elu"] and dead["elu"].index.max() == 1
    # Leaky ReLU learns; ReLU, with most of its units dead, does not (here the dead units cost accuracy)
    assert accuracy(lr_run)["leaky_relu"] > 0.8
    assert accuracy(lr_run)["relu"] < accuracy(lr_run)["leaky_relu"] - 0.2


def test_a_high_but_finite_learning_rate_kills_relu_units_while_leaky_keeps_all_of_its_own():
    run = finished(Experiment(dataset="moons", activations=("relu", "leaky_relu"), hidden_layers=(16, 16),
                              init="he", learning_rate=3.0, epochs=100, seeds=1, first_seed=0))
    dead = per_run(run, "dead_fraction")
    assert not any(diverged_runs(run).values())
    assert dead["relu"].iloc[-1].mean() > 0.3
    assert (dead["leaky_relu"] == 0).all().all()


# --- histograms, zeros, dead map, means against the training records -----------------------------------


def test_histogram_counts_add_up_to_samples_times_units(bias_run):
    X = bias_run.dataset.X_train
    for r in range(3):
        model = bias_run.model(r)
        hist = activation_histograms(model, X, bins=25)
        assert list(hist.columns) == ["layer", "bin_start", "bin_end", "count", "share"]
        assert sorted(hist["layer"].unique()) == [1, 2]
        for _, rows in hist.groupby("layer"):
            assert len(rows) == 25
            assert rows["count"].sum() == len(X) * 16
            assert rows["share"].sum() == pytest.approx(1.0)
            assert (rows["bin_end"] > rows["bin_start"]).all()
        pair = histograms_before_after(network_for(bias_run.configs[r], bias_run.dataset), model, X)
        totals = pair.groupby(["when", "layer"])["count"].sum()
        assert (totals == len(X) * 16).all()
        # shared bins: at init and now use the same edges, layer by layer
        for _, rows in pair.groupby("layer"):
            init, now = rows[rows["when"] == "at init"], rows[rows["when"] == "now"]
            assert init["bin_start"].tolist() == now["bin_start"].tolist()


def test_snapshot_equals_the_separate_functions(lr_run):
    """One trace per network gives the same frames as the public functions (on a blown-up ELU too)."""
    X = lr_run.dataset.X_train
    for r in (0, 2):
        initial, current = network_for(lr_run.configs[r], lr_run.dataset), lr_run.model(r)
        frames = snapshot(initial, current, X, histogram_layers=[2])
        pd.testing.assert_frame_equal(frames["histograms"], histograms_before_after(initial, current, X, layers=[2]))
        assert set(frames["histograms"]["layer"]) == {2}
        pd.testing.assert_frame_equal(frames["units"], dead_map(current, X))
        pd.testing.assert_frame_equal(frames["units_init"], dead_map(initial, X))
        now = frames["zeros"][frames["zeros"]["when"] == "now"].drop(columns="when").reset_index(drop=True)
        pd.testing.assert_frame_equal(now, zero_counts(current, X))
        init = frames["means"][frames["means"]["when"] == "at init"].drop(columns="when").reset_index(drop=True)
        pd.testing.assert_frame_equal(init, mean_activation(initial, X))


def test_zero_counts_keep_exact_zeros_apart_from_near_zeros(moons):
    relu = MLP([2, 16, 16, 2], activation="relu", seed=0)
    leaky = MLP([2, 16, 16, 2], activation="leaky_relu", seed=0)
    X = moons.X_train
    for model in (relu, leaky):
        zeros = zero_counts(model, X)
        for (_, row), h in zip(zeros.iterrows(), model.hidden_outputs(X), strict=True):
            assert row["exact_zeros"] == (h == 0).sum()
            assert row["near_zeros"] == ((h != 0) & (np.abs(h) < NEAR_ZERO)).sum()
            assert row["total"] == h.size
    # ReLU: about half exact zeros at He init; Leaky ReLU: none, though some outputs are close to 0
    relu_zeros, leaky_zeros = zero_counts(relu, X), zero_counts(leaky, X)
    assert 0.3 < relu_zeros["exact_zeros"].sum() / relu_zeros["total"].sum() < 0.7
    assert leaky_zeros["exact_zeros"].sum() == 0 and leaky_zeros["near_zeros"].sum() > 0


def test_dead_map_and_means_match_the_training_records(bias_run):
    X = bias_run.dataset.X_train
    history = bias_run.history()
    last = history[history["epoch"] == bias_run.epoch]
    for r in range(3):
        units = dead_map(bias_run.model(r), X)
        record = last[last["run"] == r]
        dead = record[record["metric"] == "dead_fraction"].sort_values("layer")["value"].tolist()
        assert units.groupby("layer")["dead"].mean().tolist() == dead
        means = record[record["metric"] == "mean_activation"].sort_values("layer")["value"].tolist()
        assert mean_activation(bias_run.model(r), X)["mean"].tolist() == pytest.approx(means, rel=1e-9, abs=1e-12)
        assert (units.loc[units["dead"], "active_share"] == 0).all()
        assert (units.loc[~units["dead"], "active_share"] > 0).all()


def test_dead_map_agrees_with_train_records_for_a_plain_config(moons):
    cfg = TrainConfig(activation="relu", hidden_layers=(8, 8), epochs=5, bias_init=-1.0, seed=3)
    records = list(train(moons, cfg))
    model = network_for(cfg, moons)
    units = dead_map(model, moons.X_train)
    assert units.groupby("layer")["dead"].mean().tolist() == list(records[0].dead_fraction)
    # for ReLU, dead and no gradient are the same thing (relu'(0) = 0)
    assert (units["dead"] == units["no_gradient"]).all()


def test_relu_means_are_positive_and_tanh_means_near_zero_at_init(moons):
    X = moons.X_train
    relu = mean_activation(MLP([2, 32, 32, 2], activation="relu", seed=0), X)["mean"]
    tanh = mean_activation(MLP([2, 32, 32, 2], activation="tanh", init="xavier", seed=0), X)["mean"]
    assert (relu > 0.2).all()
    assert (tanh.abs() < 0.1).all()


def test_initial_model_is_the_trainers_epoch_zero(bias_run):
    fresh = LiveRun(SCENARIOS["Large negative bias"], dataset=bias_run.dataset)
    for r, cfg in enumerate(fresh.configs):
        expected, got = fresh.model(r), network_for(cfg, fresh.dataset)
        for a, b in zip(expected.weights + expected.biases, got.weights + got.biases, strict=True):
            np.testing.assert_array_equal(a, b)


# --- dying at init -----------------------------------------------------------------------------------


def test_dying_at_init_rises_with_depth_towards_one():
    shares = dying_at_init()
    assert list(shares.columns) == ["width", "depth", "share_collapsed", "n_seeds"]
    table = shares.pivot(index="depth", columns="width", values="share_collapsed")
    assert list(table.columns) == [2, 3, 4] and list(table.index) == list(range(1, 31))
    assert (table.diff().dropna() >= 0).all().all()  # a collapsed network stays collapsed deeper down
    assert (table.loc[1] == 0).all()  # one layer on inputs spread around 0 is never entirely dead
    assert table.loc[30, 2] > table.loc[3, 2] + 0.5
    assert table.loc[30, 2] >= 0.99
    # wider is safer at every depth that has started collapsing
    assert table.loc[10, 2] > table.loc[10, 3] > table.loc[10, 4]


def test_dying_at_init_reports_progress_up_to_every_layer_of_every_width():
    calls = []
    shares = dying_at_init((2, 8), range(1, 11), n_seeds=50, progress=lambda done, total: calls.append((done, total)))
    assert {total for _, total in calls} == {20}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 20 and len(set(done)) == len(done)
    assert shares.equals(dying_at_init((2, 8), range(1, 11), n_seeds=50))


def test_dying_at_init_matches_networks_built_by_the_engine():
    """The vectorised Monte Carlo against MLPs built one by one (He init, zero bias): same share, within noise."""
    rng = np.random.default_rng(123)
    X = rng.standard_normal((200, 2))
    width, depth, n = 2, 6, 400
    collapsed = 0
    for seed in range(n):
        net = MLP([2, *([width] * depth), 2], activation="relu", init="he", bias_init=0.0, seed=seed)
        last = net.hidden_outputs(X)[-1]
        collapsed += bool((last == last[:1]).all())
    estimate = dying_at_init(widths=(width,), depths=(depth,), n_seeds=4000)["share_collapsed"].iloc[0]
    assert collapsed / n == pytest.approx(estimate, abs=0.08)


def test_dying_at_init_rejects_bad_arguments():
    with pytest.raises(ValueError):
        dying_at_init(depths=(0, 1))
    with pytest.raises(ValueError):
        dying_at_init(n_seeds=0)
    with pytest.raises(ValueError, match="widths"):
        dying_at_init(widths=(2, 0))


# --- the work cap (core.engine.limits.MAX_WORK) ---------------------------------------------------------

CAP = f"over the cap of {format_work(MAX_WORK)}"


def refused(call, *args, **kwargs) -> str:
    """The message of the ValueError ``call`` raises (the check runs before any computing)."""
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_dying_at_init_refuses_work_over_the_cap():
    message = refused(dying_at_init, n_seeds=20_000)
    assert message.startswith("Drawing 20,000 networks of up to 30 layers for 3 widths on 200 inputs would need "
                              "about 2.5e10 multiply-adds") and CAP in message and "choose fewer networks" in message
    assert CAP in refused(dying_at_init, widths=(256,), depths=(30,), n_seeds=500)
    assert CAP in refused(dying_at_init, widths=(2,), depths=(1,), n_seeds=1, n_samples=10**9)


def test_dying_at_init_runs_the_pages_largest_setting():
    """The page's widget goes up to 5,000 networks per width and depth (default 2,000): within the cap."""
    shares = dying_at_init(n_seeds=5000)
    assert (shares["n_seeds"] == 5000).all() and len(shares) == 3 * 30


def test_snapshot_refuses_work_over_the_cap():
    wide = MLP([2, *[512] * 8, 2], seed=0)
    X = np.zeros((10_000, 2))  # 3,000 rows (1.2e10) fitted under the cap once the faster engine raised it to 2e10
    message = refused(snapshot, wide, wide, X)
    assert message.startswith("Tracing two networks of 8 hidden layers over 10,000 rows") and CAP in message
    small = MLP([2, 16, 16, 2], seed=0)
    assert set(snapshot(small, small, X)) == {"histograms", "zeros", "means", "units", "units_init"}


def test_check_experiment_refuses_an_epoch_over_the_cap():
    """The Neurons page at its maxima: every activation, 10 seeds, 6 x 128, 3000 samples, batch 1."""
    heavy = Experiment(activations=("relu", "leaky_relu", "sigmoid", "tanh", "linear", "elu", "gelu", "silu",
                                    "softplus", "maxout"), seeds=10, hidden_layers=(128,) * 6, n_samples=3000,
                       test_size=0.1, batch_size=1, maxout_pieces=5)
    ds = heavy.load_data()
    message = refused(check_experiment, heavy, ds)
    assert message.startswith("One epoch of training 100 networks of 6 × 128 units on 2,700 samples would need "
                              "about 1.9e12 multiply-adds") and CAP in message
    assert "a larger batch" in message and "fewer activations or seeds" in message
    # the same settings with one activation, one seed, 2 x 16 and batch 32: within the cap, and what it returns
    light = Experiment(activations=("relu",), hidden_layers=(16, 16), n_samples=3000, test_size=0.1)
    assert check_experiment(light, ds) == training_work(ds, light.configs(), 1, at_init=False)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_scenarios_and_page_defaults_are_well_within_the_cap(name):
    experiment = SCENARIOS[name]
    assert check_experiment(experiment, experiment.load_data()) < MAX_WORK / 10
    defaults = Experiment(activations=("relu", "leaky_relu", "elu"), hidden_layers=(16, 16), learning_rate=0.1,
                          epochs=100)
    assert check_experiment(defaults, defaults.load_data()) < MAX_WORK / 10


def test_the_dead_units_verdict_says_whether_they_cost_accuracy():
    from core.lab.neurons import dead_units_verdict

    assert dead_units_verdict("ReLU", 3, 3, 0.5, "ELU", 0.98) is None  # none lost in training: nothing to say
    assert dead_units_verdict("ReLU", 10, 0, 0.968, "Leaky ReLU", 0.976) == (
        "ReLU lost 10 units in training and still scores 96.8%: dead units do not always cost accuracy; on easy "
        "data the units left can be enough.")
    assert dead_units_verdict("ReLU", 27, 0, 0.496, "Leaky ReLU", 0.904).startswith(
        "ReLU lost 27 units in training and scores 49.6%, against Leaky ReLU's 90.4% on the same data, draws and "
        "batches: here the dead units cost it")
    assert dead_units_verdict("ReLU", 1, 0, 0.9, "ReLU", 0.9).startswith("ReLU lost 1 unit in training and still")
