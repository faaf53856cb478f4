"""The settings table and the Experiment it makes: defaults, expansion into TrainConfigs, validation, and every
setting's round trip through links, config JSON, the command line and the lessons' presets."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.engine.data import load_dataset
from core.engine.limits import MAX_SEEDS
from core.engine.training import TrainConfig
from core.settings import EXPERIMENT, UPLOAD, Experiment


def test_default_is_the_workshop_default():
    e = Experiment()
    assert e.dataset == "moons"
    assert e.n_samples == 500
    assert e.noise == 0.2
    assert e.test_size == 0.25
    assert e.hidden_layers == (16, 16)
    assert e.activations == ("relu", "sigmoid", "tanh")
    assert e.optimizer == "sgd"
    assert e.learning_rate == 0.1
    assert e.batch_size == 32
    assert e.epochs == 200
    assert e.first_seed == 0
    assert e.seeds == 1
    assert e.seed_list == [0]


def test_default_configs_are_the_three_activations_with_shared_settings():
    expected = [
        TrainConfig(activation=name, hidden_layers=(16, 16), epochs=200, batch_size=32, learning_rate=0.1,
                    optimizer="sgd", momentum=0.0, l2=0.0, init="auto", bias_init=0.0, seed=0, maxout_pieces=2,
                    alpha=None, dtype="float32")  # the live pages train in float32, as deep-learning frameworks do
        for name in ("relu", "sigmoid", "tanh")
    ]
    assert Experiment().configs() == expected
    assert TrainConfig().dtype == "float64"  # the engine's contract default stays float64


def test_configs_are_activation_major_over_seeds():
    names = ("tanh", "relu", "leaky_relu")
    e = Experiment(activations=names, seeds=3, first_seed=5, hidden_layers=(4, 3, 2), epochs=7, batch_size=8,
                   learning_rate=0.02, l2=0.001, bias_init=-0.5, init="xavier")
    configs = e.configs()
    assert e.seed_list == [5, 6, 7]
    assert len(configs) == len(names) * 3
    for a, name in enumerate(names):
        for s, seed in enumerate((5, 6, 7)):
            cfg = configs[a * e.seeds + s]
            assert cfg.hidden_activations == (name, name, name)
            assert cfg.seed == seed
            assert cfg == e.config(name, seed)
    for cfg in configs:
        assert (cfg.hidden_layers, cfg.epochs, cfg.batch_size, cfg.learning_rate, cfg.l2, cfg.bias_init, cfg.init) == (
            (4, 3, 2), 7, 8, 0.02, 0.001, -0.5, "xavier")


def test_alpha_goes_to_leaky_relu_and_elu_only():
    names = ("relu", "leaky_relu", "elu", "sigmoid", "maxout", "gelu")
    e = Experiment(activations=names, leaky_alpha=0.2, elu_alpha=0.5, maxout_pieces=3)
    alphas = {cfg.hidden_activations[0]: cfg.alpha for cfg in e.configs()}
    assert alphas == {"relu": None, "leaky_relu": 0.2, "elu": 0.5, "sigmoid": None, "maxout": None, "gelu": None}
    assert all(cfg.maxout_pieces == 3 for cfg in e.configs())
    assert e.config("leaky_relu", 0).activation_params() == {"alpha": 0.2}
    assert e.config("relu", 0).activation_params() == {}


@pytest.mark.parametrize(("choice", "optimizer", "momentum"),
                         [("sgd", "sgd", 0.0), ("momentum", "sgd", 0.9), ("adam", "adam", 0.0)])
def test_optimizer_choices_map_to_train_configs(choice, optimizer, momentum):
    configs = Experiment(optimizer=choice, seeds=2).configs()
    assert [(c.optimizer, c.momentum) for c in configs] == [(optimizer, momentum)] * 6


def test_sequences_become_tuples_and_the_experiment_is_frozen_and_hashable():
    e = Experiment(activations=["relu", "tanh"], hidden_layers=[8, 4])
    assert e.activations == ("relu", "tanh")
    assert e.hidden_layers == (8, 4)
    assert hash(e) == hash(Experiment(activations=("relu", "tanh"), hidden_layers=(8, 4)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.epochs = 3


def test_to_dict_from_dict_round_trip_through_json():
    e = Experiment(dataset="circles", n_samples=321, noise=0.05, test_size=0.3, activations=("elu", "relu"),
                   hidden_layers=(12, 6, 3), init="he", bias_init=0.25, optimizer="adam", learning_rate=0.003,
                   batch_size=16, epochs=42, l2=0.01, seeds=4, first_seed=9, leaky_alpha=0.05, elu_alpha=0.7,
                   maxout_pieces=4)
    data = e.to_dict()
    assert data["activations"] == ["elu", "relu"]
    assert data["hidden_layers"] == [12, 6, 3]
    assert set(data) == {f.name for f in dataclasses.fields(Experiment)}
    restored = Experiment.from_dict(json.loads(json.dumps(data)))
    assert restored == e
    assert restored.configs() == e.configs()
    assert Experiment.from_dict(Experiment().to_dict()) == Experiment()


def test_from_dict_fills_missing_keys_with_defaults():
    assert Experiment.from_dict({}) == Experiment()
    partial = Experiment.from_dict({"epochs": 5, "activations": ["tanh"]})
    assert partial == Experiment(epochs=5, activations=("tanh",))


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="bogus"):
        Experiment.from_dict({"epochs": 5, "bogus": 1})


@pytest.mark.parametrize("changes", [
    {"activations": ()},
    {"activations": ("relu", "relu")},
    {"activations": ("relu", "swish")},
    {"seeds": 0},
    {"seeds": MAX_SEEDS + 1},
    {"seeds": 2.0},
    {"optimizer": "rmsprop"},
    {"learning_rate": 0},
    {"learning_rate": -0.1},
    {"learning_rate": 1e5},
    {"hidden_layers": ()},
    {"epochs": 0},
    {"batch_size": 0},
    {"init": "lecun"},
    {"l2": -1.0},
    {"first_seed": -1},
])
def test_invalid_settings_raise_value_error(changes):
    with pytest.raises(ValueError):
        Experiment(**changes)
    with pytest.raises(ValueError):
        Experiment.from_dict(changes)


def test_seed_count_bounds_are_inclusive():
    assert Experiment(seeds=1).seed_list == [0]
    assert Experiment(seeds=MAX_SEEDS, first_seed=3).seed_list == list(range(3, 3 + MAX_SEEDS))


@pytest.mark.parametrize(("name", "n_samples", "noise", "test_size", "first_seed"), [
    ("circles", 120, 0.1, 0.3, 3),
    ("moons", 80, 0.25, 0.25, 0),
    ("iris", 500, 0.2, 0.2, 7),
])
def test_load_data_equals_load_dataset(name, n_samples, noise, test_size, first_seed):
    ds = Experiment(dataset=name, n_samples=n_samples, noise=noise, test_size=test_size,
                    first_seed=first_seed).load_data()
    ref = load_dataset(name, n_samples=n_samples, noise=noise, test_size=test_size, seed=first_seed)
    assert (ds.name, ds.task, ds.n_classes) == (ref.name, ref.task, ref.n_classes)
    assert list(ds.class_names) == list(ref.class_names)
    assert list(ds.feature_names) == list(ref.feature_names)
    for attr in ("X_train", "X_test", "y_train", "y_test"):
        np.testing.assert_array_equal(getattr(ds, attr), getattr(ref, attr))


@pytest.mark.parametrize("changes", [
    {"dataset": "nope"}, {"n_samples": 3}, {"noise": -1.0}, {"test_size": 2.0}, {"seeds": True},
])
def test_bad_dataset_settings_fail_at_construction_not_at_load(changes):
    """A crafted link must be refused when the Experiment is built, before any data is touched."""
    with pytest.raises(ValueError):
        Experiment(**changes)


def test_a_single_activation_name_is_one_activation():
    assert Experiment(activations="relu").activations == ("relu",)


def test_a_links_invalid_settings_are_ignored_each_with_why_and_the_valid_ones_apply():
    """The link reader (for URLs and presets) takes registry names and labels, and refuses the rest one by one."""
    query = {"arena.epochs": "banana", "arena.seeds": "3", "arena.depth": "3", "arena.batch_size": "32",
             "arena.activations": ["ReLU", "Nope"], "arena.dataset": "Two moons", "arena.learning_rate": "100",
             "mode": "present"}
    values, ignored = EXPERIMENT.from_query(query, "arena")
    assert values == {**EXPERIMENT.defaults(), "seeds": 3, "learning_rate": 100.0}
    assert [text.split(" (")[0] for text in ignored] == ["epochs=banana", "depth=3", "activations=ReLU,Nope"]
    assert "a whole number from 1 to 5,000" in ignored[0] and "no such setting" in ignored[1]
    assert EXPERIMENT.from_query({}, "arena") == (EXPERIMENT.defaults(), [])


# --- one table: every setting round-trips through every way into the lab ---------------------------------------


def other_value(setting):
    """A valid value of ``setting`` that is not its default, made from the table alone (so a new row is covered)."""
    if setting.kind == "choice":
        return next(c for c in setting.choices if c not in (setting.default, UPLOAD))
    if setting.kind == "choices":
        return (setting.choices[-1],) if setting.default != (setting.choices[-1],) else (setting.choices[0],)
    if setting.kind in ("ints", "floats"):
        count = min(setting.min_items + 1, setting.max_items or setting.min_items + 1)
        return tuple(max(setting.low, 1) + 2 * i for i in range(count))
    if setting.kind == "bool":
        return not setting.default
    step = 1 if setting.kind == "int" else 0.5 * min(1.0, (setting.high - setting.low) / 4)
    value = setting.default + step if setting.default + step <= setting.high else setting.default - step
    return int(value) if setting.kind == "int" else round(float(value), 6)


EVERYTHING_CHANGED = Experiment(**{s.name: other_value(s) for s in EXPERIMENT})


def test_the_experiment_with_every_setting_changed_differs_from_the_default_in_each():
    assert all(getattr(EVERYTHING_CHANGED, s.name) != s.default for s in EXPERIMENT)


def test_every_setting_round_trips_through_the_url():
    query = EXPERIMENT.to_query(EVERYTHING_CHANGED.to_dict(), "arena")
    assert len(query) == len(list(EXPERIMENT))  # every setting differs, so every one is written
    values, ignored = EXPERIMENT.from_query(query, "arena")
    assert ignored == [] and Experiment(**values) == EVERYTHING_CHANGED
    assert Experiment(**values).to_dict() == EVERYTHING_CHANGED.to_dict()  # view-only settings too


def test_every_setting_round_trips_through_the_config_json():
    from core.io.config import config_json, experiment_from_json

    assert experiment_from_json(config_json(EVERYTHING_CHANGED)) == EVERYTHING_CHANGED
    assert experiment_from_json(config_json(EVERYTHING_CHANGED)).to_dict() == EVERYTHING_CHANGED.to_dict()


def test_every_setting_round_trips_through_the_command_line():
    from core.tools.cli import _experiment, build_parser

    trained = [s for s in EXPERIMENT if not s.view]  # the command line draws nothing: no flag for a view setting
    argv = [arg for s in trained for arg in (s.cli, ",".join(s.to_text(getattr(EVERYTHING_CHANGED, s.name))))]
    args = build_parser().parse_args(["compare", *argv, "--out", "x.csv"])
    assert _experiment(args) == EVERYTHING_CHANGED
    for setting in EXPERIMENT:
        if setting.view:
            with pytest.raises(SystemExit):
                build_parser().parse_args(["compare", setting.cli, "true", "--out", "x.csv"])


def test_labels_and_registry_names_both_work_in_links_and_on_the_command_line():
    for setting in EXPERIMENT:
        for choice in setting.choices if setting.kind in ("choice", "choices") else ():
            expected = (choice,) if setting.kind == "choices" else choice
            assert setting.parse_text(str(choice)) == expected
            assert setting.parse_text(setting.label_of(choice).upper()) == expected  # any case


@pytest.mark.parametrize("schema_name", ["ARENA", "NEURONS", "FLOW", "EXPLORER", "SPEED", "REGIONS", "SIGNAL",
                                         "SATURATION"])
def test_every_pages_table_round_trips_through_its_links(schema_name):
    import core.settings as settings

    schema = getattr(settings, schema_name)
    values = {s.name: other_value(s) for s in schema}
    for full in (False, True):
        query = schema.to_query(values, "p", full=full)
        assert schema.from_query(query, "p") == (schema.check(values), [])
    assert schema.to_query(schema.defaults(), "p") == {}  # a default page has a bare link


def test_every_lesson_preset_defines_its_experiment_completely():
    """A lesson's button opens its page with every setting in the link: whatever the page showed before, the
    experiment it then runs is exactly the lesson's."""
    from core.lab import lessons
    from core.settings import ARENA, NEURONS

    presets = {
        "arena": [lessons.LINEAR_CIRCLES, lessons.VANISHING_ARENA, lessons.SPARSITY, lessons.MAXOUT],
        "neurons": [lessons.DYING],
    }
    for prefix, experiments in presets.items():
        schema = {"arena": ARENA, "neurons": NEURONS}[prefix]
        for experiment in experiments:
            query = schema.to_query(experiment.to_dict(), prefix, full=True)
            assert {key.removeprefix(prefix + ".") for key in query} == {s.url for s in schema}
            values, ignored = schema.from_query(query, prefix)
            assert ignored == [] and Experiment(**values) == experiment


@settings(max_examples=60)
@given(st.data())
def test_random_valid_experiments_round_trip_through_url_and_json(data):
    from core.io.config import config_json, experiment_from_json

    values = {}
    for s in EXPERIMENT:
        if s.kind == "choice":
            values[s.name] = data.draw(st.sampled_from(s.choices))
        elif s.kind == "choices":
            values[s.name] = tuple(data.draw(st.lists(st.sampled_from(s.choices), min_size=1, max_size=4,
                                                      unique=True)))
        elif s.kind == "ints":
            values[s.name] = tuple(data.draw(st.lists(st.integers(1, 64), min_size=1, max_size=4)))
        elif s.kind == "int":
            values[s.name] = data.draw(st.integers(int(s.low), int(min(s.high, s.low + 1000))))
        elif s.kind == "bool":
            values[s.name] = data.draw(st.booleans())
        else:
            low = s.low if not s.low_open else s.low + 1e-6
            values[s.name] = data.draw(st.floats(low, min(s.high, 100.0), allow_nan=False))
    experiment = Experiment(**values)
    query = EXPERIMENT.to_query(experiment.to_dict(), "arena")
    assert Experiment(**EXPERIMENT.from_query(query, "arena")[0]).to_dict() == experiment.to_dict()
    assert experiment_from_json(config_json(experiment)).to_dict() == experiment.to_dict()


# --- input features, L1, per-layer networks and view-only settings ----------------------------------------------


def test_input_features_round_trip_through_links_json_and_the_command_line_and_reach_every_config():
    from core.io.config import config_json, experiment_from_json
    from core.tools.cli import _experiment, build_parser

    experiment = Experiment(dataset="circles", features=("x1_squared", "x2_squared", "sin_x1"), l1=1e-3)
    query = EXPERIMENT.to_query(experiment.to_dict(), "arena")
    assert query["arena.features"] == ["x1_squared", "x2_squared", "sin_x1"] and query["arena.l1"] == ["0.001"]
    assert Experiment(**EXPERIMENT.from_query(query, "arena")[0]) == experiment
    assert EXPERIMENT.from_query({"arena.features": "x₁², X₂², sin x₁"}, "arena")[0]["features"] == (
        "x1_squared", "x2_squared", "sin_x1")  # labels, in any case
    assert experiment_from_json(config_json(experiment)) == experiment
    args = build_parser().parse_args(["compare", "--dataset", "circles", "--features", "x1_squared,x2_squared,sin_x1",
                                      "--l1", "0.001", "--out", "x.csv"])
    assert _experiment(args) == experiment
    assert {(c.features, c.l1) for c in experiment.configs()} == {(("x1_squared", "x2_squared", "sin_x1"), 1e-3)}


def test_input_features_apply_to_2d_points_only_and_x1_x2_are_the_data_itself():
    assert Experiment(dataset="moons").configs()[0].features is None  # x1, x2: the points themselves
    assert Experiment(dataset="moons", features=("x2", "x1")).configs()[0].features == ("x2", "x1")
    # a table is not a set of 2-D points: the setting does not apply (its widget greys out), the value is kept
    iris = Experiment(dataset="iris", features=("x1_squared",))
    assert iris.features == ("x1_squared",) and iris.configs()[0].features is None
    assert not EXPERIMENT.used(EXPERIMENT["features"], {"dataset": "iris"})
    assert EXPERIMENT.used(EXPERIMENT["features"], {"dataset": "spiral"})
    _, ignored = EXPERIMENT.from_query({"arena.features": "x1,x3"}, "arena")
    assert ignored == ["features=x1,x3 (features must be a list of x1, x2, x1_squared, x2_squared, x1_x2, sin_x1, "
                       "sin_x2; got ['x1', 'x3'])"]


def test_a_per_layer_network_is_one_more_compared_activation_in_links_json_and_on_the_command_line():
    from core.io.config import config_json, experiment_from_json
    from core.tools.cli import _experiment, build_parser

    experiment = Experiment(activations=("relu", "tanh>relu"), seeds=2)
    assert [c.hidden_activations for c in experiment.configs()] == [("relu", "relu")] * 2 + [("tanh", "relu")] * 2
    assert [c.activation_key for c in experiment.configs()] == ["relu", "relu", "tanh>relu", "tanh>relu"]
    assert experiment.first_run("tanh>relu") == 2
    query = EXPERIMENT.to_query(experiment.to_dict(), "arena")
    assert query["arena.activations"] == ["relu", "tanh>relu"]
    assert Experiment(**EXPERIMENT.from_query(query, "arena")[0]) == experiment
    for text in ("relu,Tanh → ReLU", "ReLU,tanh > relu"):  # labels and spaces as people type them
        assert EXPERIMENT.from_query({"arena.activations": text}, "arena")[0]["activations"] == ("relu", "tanh>relu")
    assert experiment_from_json(config_json(experiment)) == experiment
    args = build_parser().parse_args(["compare", "--activations", "relu,tanh>relu", "--seeds", "2", "--out", "x.csv"])
    assert _experiment(args) == experiment
    # its layers' parameters apply: Leaky ReLU's alpha reaches a per-layer network with a Leaky ReLU layer
    leaky = Experiment(activations=("tanh>leaky_relu",), leaky_alpha=0.2)
    assert leaky.configs()[0].alpha == 0.2 and EXPERIMENT.used(EXPERIMENT["leaky_alpha"], leaky.to_dict())


@pytest.mark.parametrize(("changes", "message"), [
    ({"activations": ("relu", "tanh>relu>relu")},
     "The per-layer network Tanh → ReLU → ReLU names 3 activations, but the network has 2 hidden layers: give one "
     "activation per hidden layer, or set 3 hidden layers."),
    ({"activations": ("tanh>relu",), "hidden_layers": (8,)},
     "The per-layer network Tanh → ReLU names 2 activations, but the network has 1 hidden layer"),
    ({"activations": ("tanh>relu", "relu>tanh")}, "Compare one per-layer network at a time"),
    ({"activations": ("relu>foo",)}, "activations: Unknown activation 'foo' in 'relu>foo'"),
    ({"activations": ("relu>relu",)}, "'relu>relu' is ReLU in every layer: choose ReLU itself."),
    ({"activations": ("leaky_relu>elu",)}, "Leaky ReLU → ELU has Leaky ReLU and ELU layers, and the engine gives one "
                                           "network one α: set Leaky ReLU α and ELU α equal"),
])
def test_a_bad_per_layer_network_is_refused_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Experiment(**changes)


def test_a_crafted_per_layer_link_is_ignored_with_why():
    _, ignored = EXPERIMENT.from_query({"arena.activations": "relu,tanh>nope"}, "arena")
    assert ignored[0].startswith("activations=relu,tanh>nope (activations: Unknown activation 'nope'")
    _, ignored = EXPERIMENT.from_query({"arena.activations": "relu>" * 200}, "arena")  # far too long to be one
    assert ignored[0].startswith("activations=") and "must be a list of" in ignored[0]


def test_view_only_settings_do_not_change_what_is_trained():
    """Showing the test points or discretising the surfaces is a way of looking at the same runs: the experiment
    compares equal (so a live run is kept), while links and files still carry the view."""
    base = Experiment(dataset="circles")
    viewed = base.replace(show_test=False, discretize=True)
    assert viewed == base and hash(viewed) == hash(base) and viewed.configs() == base.configs()
    assert viewed.to_dict() != base.to_dict()
    assert {s.name for s in EXPERIMENT if s.view} == {"show_test", "discretize"}
    assert base.replace(l1=1e-4) != base and base.replace(features=("x1_x2",)) != base
    assert EXPERIMENT.to_query(viewed.to_dict(), "arena") == {"arena.dataset": ["circles"],
                                                               "arena.show_test": ["false"],
                                                               "arena.discretize": ["true"]}
    assert not EXPERIMENT.used(EXPERIMENT["discretize"], {"dataset": "sine"})
    assert EXPERIMENT.used(EXPERIMENT["discretize"], {"dataset": "xor"})


def test_the_regions_page_runs_an_experiment_of_its_own_rows_with_one_seed():
    from core.settings import REGION_DATASETS, REGION_EXPERIMENT_ROWS, REGIONS, regions_experiment

    values = {s.name: other_value(s) for s in REGIONS}
    experiment = regions_experiment(REGIONS.check(values))
    assert experiment.seeds == 1
    assert all(getattr(experiment, name) == values[name] for name in REGION_EXPERIMENT_ROWS)
    assert all(REGIONS[name].check(values[name]) == values[name] for name in REGION_EXPERIMENT_ROWS)
    for name in REGION_DATASETS:
        ds = Experiment(dataset=name, n_samples=60).load_data()
        assert ds.n_features == 2 and ds.task == "classification"


def test_the_signal_table_offers_exactly_the_engines_inits_and_activations():
    from core.lab import init_signal
    from core.settings import SIGNAL, SIGNAL_SCHEMES

    assert SIGNAL_SCHEMES == init_signal.SCHEME_LABELS and tuple(SIGNAL_SCHEMES) == tuple(init_signal.SCHEMES)
    assert set(SIGNAL["histogram_activation"].choices) == set(init_signal.ACTIVATIONS)


def test_the_new_lessons_presets_define_their_experiments_completely():
    """Lessons 8-12: every setting of the target page's tables is in the link, and reading it back gives exactly
    the experiment the lesson measured."""
    from core.lab import lessons
    from core.settings import ARENA, FLOW, NEURONS, REGIONS, SATURATION, SIGNAL, regions_experiment

    for schema, prefix, values in ((REGIONS, "regions", REGIONS.defaults()), (SIGNAL, "signal", lessons.SIGNAL_LESSON),
                                   (SATURATION, "saturation", SATURATION.defaults()), (FLOW, "flow", FLOW.defaults()),
                                   (NEURONS, "neurons", NEURONS.defaults())):
        query = schema.to_query(values, prefix, full=True)
        assert {key.removeprefix(prefix + ".") for key in query} == {s.url for s in schema}
        assert schema.from_query(query, prefix) == (schema.check(values), [])
    assert regions_experiment(REGIONS.defaults()) == lessons.REGIONS_LESSON
    query = ARENA.to_query(lessons.LEARNING_SPEED_ARENA.to_dict(), "arena", full=True)
    assert Experiment(**ARENA.from_query(query, "arena")[0]) == lessons.LEARNING_SPEED_ARENA
