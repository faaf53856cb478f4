"""Fuzz every page headless: random and extreme widget values, and crafted shared links, never raise.

Each page gets a few rounds with a fixed random seed: every slider, select slider, selectbox,
multiselect, number input, radio and toggle at its minimum, then at its maximum (every option of a
multiselect; none in the first round), then at random values. After each round the page must run
without an exception. Option widgets are driven by their display labels, as the browser sends them.
"""

from __future__ import annotations

import random
import re

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import TESTING_KEY

from tests.support.apptest import APP, ROOT, page_path

PAGES = ["home", "lessons", "arena", "gradient_flow", "neurons", "explorer", "speed"]
ROUNDS = {"speed": ("min",)}  # Speed re-measures on its own settings: once, at the smallest
DEFAULT_ROUNDS = ("min", "max", "random", "random")
UNBOUNDED = [-1e300, -1e6, -5.0, 0.0, 5.0, 1e6, 1e300]
NO_TOGGLE = {"speed.include_large"}  # 10^7 elements per activation: the slow path, not a robustness case
# The key the Lessons page binds its tabs to, read from the page, so a crafted link always reaches it.
LESSON_KEY = re.search(r'^TAB_KEY = "(\w+)"', (ROOT / "pages" / "lessons.py").read_text(), flags=re.M).group(1)


def open_page(name: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params or {})
    if name != "home":
        at.switch_page(page_path(name))
    at.run()
    return at


def errors(at: AppTest) -> list[str]:
    return [e.message for e in at.exception]


def by_label(widget) -> None:
    """Let the test set an option widget by its display label (what the frontend sends)."""
    widget.root.session_state[TESTING_KEY][widget.id] = lambda v: v


def _number(widget, value: float):
    return int(round(value)) if isinstance(widget.value, int) and not isinstance(widget.value, bool) else value


def enabled(widgets) -> list:
    """The widgets a visitor can change (a disabled one cannot be set, as in a browser)."""
    return [w for w in widgets if not getattr(w.proto, "disabled", False)]


def fuzz_round(at: AppTest, rng: random.Random, mode: str) -> None:
    """Set every supported widget of the page for one round (``mode``: min, max or random)."""
    pick = {"min": lambda seq: seq[0], "max": lambda seq: seq[-1], "random": rng.choice}[mode]
    for w in enabled(at.slider):
        lo, hi, step = w.min, w.max, w.step or 1
        n = int(round((hi - lo) / step))
        value = _number(w, lo + step * pick(range(n + 1)))
        if isinstance(w.value, list | tuple):
            other = _number(w, lo + step * rng.randint(0, n))
            w.set_range(*sorted((value, other)))
        else:
            w.set_value(value)
    for w in enabled(at.select_slider):
        by_label(w)
        if isinstance(w.value, list | tuple):
            w.set_range(w.options[0], pick(w.options))
        else:
            w.set_value(pick(w.options))
    for w in enabled((*at.selectbox, *at.radio)):
        if w.options:
            by_label(w)
            w.set_value(pick(w.options))
    for w in enabled(at.multiselect):
        by_label(w)
        limit = w.max_selections or len(w.options)
        if mode == "min":
            w.set_value([])
        elif mode == "max":
            w.set_value(list(w.options)[-limit:])
        else:
            w.set_value(rng.sample(list(w.options), rng.randint(0, limit)))
    for w in enabled(at.number_input):
        proto = w.proto
        lo = proto.min if proto.has_min else None
        hi = proto.max if proto.has_max else None
        if lo is not None and hi is not None:
            values = [lo, hi, rng.uniform(lo, hi)]
        else:
            values = [v for v in UNBOUNDED if (lo is None or v >= lo) and (hi is None or v <= hi)]
        w.set_value(_number(w, pick(values)))
    for w in enabled((*at.toggle, *at.checkbox)):
        if w.key not in NO_TOGGLE:
            w.set_value({"min": False, "max": True, "random": rng.random() < 0.5}[mode])


@pytest.mark.parametrize("name", PAGES)
def test_random_and_extreme_widget_values_never_raise(name):
    rng = random.Random(f"relu-lab-{name}")
    at = open_page(name)
    assert not at.exception, errors(at)
    for round_no, mode in enumerate(ROUNDS.get(name, DEFAULT_ROUNDS)):
        fuzz_round(at, rng, mode)
        at.run()
        assert not at.exception, (name, round_no, mode, errors(at))


CRAFTED = {
    "arena.epochs": ["-5", "0", "1e99", "nan", "banana", ""],
    "arena.learning_rate": ["1e99", "-1", "inf", "0"],
    "arena.activations": ["<script>alert(1)</script>", "ReLU", "ReLU", "relu", ""],
    "arena.dataset": ["../../etc/passwd", "Upload a CSV", "XOR"],
    "arena.layers": ["999999", "-1", "2.5", ",".join(["512"] * 40), "16,,16"],
    "arena.n_samples": ["100000000", "-100"],
    "arena.first_seed": ["-1", "1e308", "99999999999999999999"],
    "arena.seeds": ["0", "11", "10"],
    "arena.test_size": ["0", "1", "0.5.5"],
    "arena.batch_size": ["0", "-32"],
    "arena.noise": ["-1", "nan"],
    "arena.bias_init": ["-1e9", "inf"],
    "flow.depth": ["1000", "-3"],
    "flow.scales": ["×1e9", "×0"],
    "explorer.x_min": ["-1e308", "nan", "1e4"],
    "explorer.x_max": ["1e308", "-inf"],
    "explorer.sigma": ["0", "1e9"],
    "neurons.mc_seeds": ["100000000"],
    "neurons.epochs": ["2000", "-5"],
    "mode": ["present", "<b>x</b>", ""],
    LESSON_KEY: ["9999", "<script>", "", "-1"],
    "unknown.key": ["x"],
    "": ["empty-key"],
    "%00": ["\x00"],
}


@pytest.mark.parametrize("name", ["arena", "gradient_flow", "neurons", "lessons", "explorer", "home"])
def test_crafted_query_params_never_raise(name):
    rng = random.Random(f"links-{name}")
    # One link with every crafted key at once, then a few random single-key and multi-value links.
    links = [{key: values[-1] for key, values in CRAFTED.items()}]
    for _ in range(3):
        keys = rng.sample(sorted(CRAFTED), 4)
        links.append({key: rng.sample(CRAFTED[key], rng.randint(1, len(CRAFTED[key]))) for key in keys})
    links.append({"arena.epochs": "-5", "arena.learning_rate": "1e99", "arena.activations": "<script>",
                  "mode": "present", "nonsense": "1"})
    for params in links:
        at = open_page(name, params)
        assert not at.exception, (name, params, errors(at))
        if name == "lessons":
            assert LESSON_KEY in at.session_state  # the key is the page's own: the crafted value reached it
        assert not any("<script>" in m.value for m in at.markdown if getattr(m.proto, "allow_html", False))
