"""The settings table and the Experiment it makes: defaults, expansion into TrainConfigs, validation, and every
setting's round trip through links, config JSON, the command line and the lessons' presets."""

from __future__ import annotations

import dataclasses
import json

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


def test_every_setting_round_trips_through_the_config_json():
    from core.io.config import config_json, experiment_from_json

    assert experiment_from_json(config_json(EVERYTHING_CHANGED)) == EVERYTHING_CHANGED


def test_every_setting_round_trips_through_the_command_line():
    from core.tools.cli import _experiment, build_parser

    argv = [arg for s in EXPERIMENT for arg in (s.cli, ",".join(s.to_text(getattr(EVERYTHING_CHANGED, s.name))))]
    args = build_parser().parse_args(["compare", *argv, "--out", "x.csv"])
    assert _experiment(args) == EVERYTHING_CHANGED


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
        else:
            low = s.low if not s.low_open else s.low + 1e-6
            values[s.name] = data.draw(st.floats(low, min(s.high, 100.0), allow_nan=False))
    experiment = Experiment(**values)
    query = EXPERIMENT.to_query(experiment.to_dict(), "arena")
    assert Experiment(**EXPERIMENT.from_query(query, "arena")[0]) == experiment
    assert experiment_from_json(config_json(experiment)) == experiment


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
