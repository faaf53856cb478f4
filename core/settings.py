"""The settings of an experiment, declared once, and the ``Experiment`` they make.

Each row of ``EXPERIMENT`` says what one setting is (its kind, its valid values, its default) and how people meet
it (its label and help, its widget, its URL key, its command-line flag). Everything else is derived from the table,
as TensorFlow Playground derives its URL from one table of properties (``state.ts``):

- ``Experiment``'s fields and their validation (``Setting.check``);
- the experiment JSON (``Experiment.to_dict``/``from_dict``, used by ``core.io.config``);
- URL and command-line text, both ways (``Setting.parse_text``/``to_text``; ``Schema.from_query``/``to_query``),
  which accept registry names (``relu``) and display labels (``ReLU``) alike;
- the pages' widgets (``pages.ui.settings_form`` draws each row's ``Widget``) and the lessons' presets (``to_query``);
- the command line's flags (``core.tools.cli``).

A row marked ``view`` is *view-only*: it changes how a run is drawn (test points on the decision surfaces, surfaces
by class or by probability), not what is trained. It has a widget, a URL key and a place in the experiment JSON
like any other, but ``Experiment`` leaves it out of its equality (so changing it never resets a live run), and the
command line, which draws nothing, has no flag for it.

A new setting is one row. Pages with settings of their own (Gradient Flow, the Explorer, Speed) declare them as a
``Schema`` of the same rows, so their widgets and links work the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, make_dataclass, replace

from core.engine.activations import ACTIVATIONS
from core.engine.data import DATASETS, PLANAR_DATASETS, load_dataset
from core.engine.features import FEATURES, RAW_FEATURES, feature_label
from core.engine.limits import (
    MAX_ABS_BIAS_INIT,
    MAX_ALPHA,
    MAX_BATCH_SIZE,
    MAX_DEPTH,
    MAX_EPOCHS,
    MAX_L1,
    MAX_L2,
    MAX_LEARNING_RATE,
    MAX_MAXOUT_PIECES,
    MAX_NOISE,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_SEEDS,
    MAX_TEST_SIZE,
    MAX_WIDTH,
    MIN_MAXOUT_PIECES,
    MIN_SAMPLES,
    MIN_TEST_SIZE,
    check,
    is_number,
    is_whole,
)
from core.engine.mlp import HIDDEN_CHOICES, LAYER_SEPARATOR, activation_label, parse_activation_key
from core.engine.training import DTYPES, INIT_CHOICES, TrainConfig

UPLOAD = "upload"  # the user's own table: the data comes with the run (LiveRun(..., dataset=...)), not from a name
UPLOAD_LABEL = "Your CSV…"
OPTIMIZER_CHOICES = {"sgd": ("sgd", 0.0), "momentum": ("sgd", 0.9), "adam": ("adam", 0.0)}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
INIT_LABELS = {"auto": "Auto (He or Xavier)", "he": "He", "xavier": "Xavier (Glorot)", "standard": "Standard U[±1/√n]",
               "small": "Small 0.01·N(0, 1)", "zero": "Zero (symmetric)"}
check(set(INIT_LABELS) == set(INIT_CHOICES), "Every init the engine knows needs a label here.")
DTYPE_LABELS = {"float32": "float32 (fast)", "float64": "float64 (exact)"}
# The values a select slider offers; a valid value from a link or a file that is not among them is added.
WIDTHS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0, 20.0, 100.0)
BATCH_SIZES = (1, 4, 8, 16, 32, 64, 128, 256, 512)
EPOCHS = (10, 20, 50, 100, 150, 200, 300, 500, 1000, 2000)
L2_CHOICES = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
L1_CHOICES = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
KINDS = ("int", "float", "choice", "choices", "ints", "floats", "bool")
LIST_KINDS = ("choices", "ints", "floats")
MAX_PROBE_X = 1e4  # the Explorer's x range: every activation is exact and warning-free for |x| <= 1e4
MAX_TEXT = 40  # characters of one URL or command-line value: no valid value is longer, and int("9" * 10**6) is slow
# ... of one composed value (a per-layer network: MAX_DEPTH names of up to 10 characters and their separators)
MAX_COMPOSED_TEXT = 11 * MAX_DEPTH


@dataclass(frozen=True)
class Widget:
    """How a page shows a setting (``pages.ui.controls`` draws it). Ranges and options are the convenient ones;
    a valid value outside them (from a link, a config file or a preset) widens them rather than being refused.

    kind: "select", "multiselect", "slider", "select_slider", "range", "number", "layers" or "toggle".
    ``factor`` and ``offset`` show a number in other units: widget = offset + factor × value (the test share 0.25
    as a training share of 75 %: factor -100, offset 100).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()
    format: str | None = None
    factor: float = 1.0
    offset: float = 0.0
    hide_unused: bool = False  # hidden when the setting does not apply; else shown disabled
    label: str | None = None  # the widget's own label and help, when it shows the value in other units
    help: str | None = None
    add_label: str | None = None  # a multiselect of a composing setting: the text box that adds a composed item
    add_help: str | None = None


@dataclass(frozen=True)
class Setting:
    """One setting: what it is, what values are valid, and how people see and type it.

    kind: "int", "float", "choice" (one of ``choices``), "choices" (a list of distinct ``choices``), "ints" and
    "floats" (lists of numbers), "bool". ``low``/``high`` bound numbers (and each number of a list), inclusive
    unless ``low_open``; ``min_items``/``max_items`` bound lists. ``labels`` names each choice for people (a
    mapping or a function), ``used_when`` says whether the setting matters given the others (the widget hides or
    greys out otherwise; the value is kept all the same).

    ``compose`` (kind "choices"): items may also combine choices; it turns such an item (or people's text for one)
    into its canonical form, or raises a ValueError that says why not. The Arena's activations take per-layer
    networks this way ("tanh>relu"). ``view``: a view-only setting (see the module's docstring).
    """

    name: str
    kind: str
    default: object
    label: str
    group: str = "training"
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple = ()
    labels: Mapping[str, str] | Callable[[str], str] | None = None
    min_items: int = 1
    max_items: int | None = None
    unique: bool = True
    used_when: Callable[[Mapping], bool] | None = None
    widget: Widget = field(default_factory=lambda: Widget("number"))
    url: str = ""
    cli: str = ""
    compose: Callable[[str], str] | None = None
    view: bool = False

    def __post_init__(self):
        check(self.kind in KINDS, f"Setting {self.name}: unknown kind {self.kind!r}.")
        object.__setattr__(self, "url", self.url or self.name)
        object.__setattr__(self, "cli", self.cli or "--" + self.name.replace("_", "-"))

    # -- validity ------------------------------------------------------------------------------------------------

    def expected(self) -> str:
        """What a valid value is, in words, for messages."""
        if self.kind in ("choice", "choices"):
            listed = ", ".join(map(str, self.choices))
            composed = f", or of several joined by {LAYER_SEPARATOR} (one per hidden layer)" if self.compose else ""
            return f"one of {listed}" if self.kind == "choice" else f"a list of {listed}{composed}"
        if self.kind == "bool":
            return "true or false"
        what = "whole number" if self.kind in ("int", "ints") else "number"
        bounds = self._bounds()
        return (f"a list of {what}s, each {bounds}" if self.kind in LIST_KINDS else f"a {what} {bounds}").strip()

    def _bounds(self) -> str:
        if self.low is None and self.high is None:
            return ""
        low = _number_text(self.low, grouped=True) if self.low is not None else "−∞"
        high = _number_text(self.high, grouped=True) if self.high is not None else "∞"
        return f"in ({low}, {high}]" if self.low_open else f"from {low} to {high}"

    def _number(self, value):
        whole = self.kind in ("int", "ints")
        if not (is_whole(value) if whole else is_number(value)):
            raise ValueError
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ValueError
        if self.high is not None and value > self.high:
            raise ValueError
        return int(value) if whole else float(value)

    def _choice(self, value):
        if not isinstance(value, str):
            raise ValueError
        if value in self.choices:
            return value
        if self.compose is not None and len(value) <= MAX_COMPOSED_TEXT:
            try:
                return self.compose(value)
            except ValueError as error:  # its own words say best what is wrong with a composed item
                raise _Explained(f"{self.name}: {error}") from None
        raise ValueError

    def check(self, value):
        """``value`` in its canonical type (tuples for lists, float for "float"), or a ValueError that says what a
        valid value is. Python objects and JSON values alike (a list for a tuple)."""
        try:
            if self.kind in ("int", "float"):
                return self._number(value)
            if self.kind == "choice":
                return self._choice(value)
            if self.kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError
                return value
            if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
                raise ValueError
            if self.max_items is not None and len(value) > self.max_items:  # before looking at every item
                raise ValueError
            item = self._choice if self.kind == "choices" else self._number
            items = tuple(item(v) for v in value)
        except _Explained:
            raise
        except (ValueError, TypeError):
            raise ValueError(f"{self.name} must be {self.expected()}; got {_shown(value)}.") from None
        if len(items) < self.min_items or (self.max_items is not None and len(items) > self.max_items):
            most = f" and at most {self.max_items}" if self.max_items is not None else ""
            raise ValueError(f"{self.name} needs at least {self.min_items} item(s){most}; got {len(items)}.")
        if self.unique and len(set(items)) != len(items):
            raise ValueError(f"{self.name}: each value may be chosen once; got {_shown(value)}.")
        return items

    # -- text: URLs and the command line ----------------------------------------------------------------------

    def display(self, value) -> str:
        """A value as people read it: a choice's label, numbers as they are."""
        if self.kind in ("choice", "choices"):
            names = [value] if self.kind == "choice" else list(value)
            return ", ".join(self.label_of(name) for name in names)
        if self.kind in LIST_KINDS:
            return ", ".join(f"{v:g}" for v in value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    def label_of(self, name) -> str:
        """One choice's (or number's) label for people: "ReLU" for relu, "×4" for an init scale of 4."""
        if callable(self.labels):
            return self.labels(name)
        return (self.labels or {}).get(name, _number_text(name) if is_number(name) else str(name))

    def to_text(self, value) -> list[str]:
        """The value as URL or command-line text (registry names, shortest exact numbers); one string per item."""
        items = list(value) if self.kind in LIST_KINDS else [value]
        return [repr(v) if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v) for v in items]

    def parse_text(self, texts: str | Sequence[str]):
        """A value from URL or command-line text: one string, or a repeated key's strings; a list may also be
        comma-separated. A choice is its registry name or its label, in any case. ValueError if not valid."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if self.kind in LIST_KINDS:
            texts = [part.strip() for text in texts for part in str(text).split(",")]
        texts = [str(t).strip() for t in texts]
        longest = MAX_COMPOSED_TEXT if self.compose is not None else MAX_TEXT
        if any(len(t) > longest for t in texts) or (self.kind not in LIST_KINDS and len(texts) != 1):
            raise ValueError(f"{self.name} must be {self.expected()}; got {_shown(','.join(texts))}.")
        values = [self._from_text(t) for t in texts]
        return self.check(values if self.kind in LIST_KINDS else values[0])

    def _from_text(self, text: str):
        try:
            if self.kind in ("int", "ints"):
                return int(text)
            if self.kind in ("float", "floats"):
                return float(text)
        except ValueError:  # a number as the page shows it ("×4"), or else check() says what is expected
            return next((v for v in self.widget.options if self.label_of(v) == text), text)
        if self.kind == "bool":
            return {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False,
                    "off": False}.get(text.lower(), text)
        wanted = text.casefold()
        for name in self.choices:
            if wanted in (str(name).casefold(), self.label_of(name).casefold()):
                return name
        return text


class _Explained(ValueError):
    """A refusal that already says what is wrong (``Setting.check`` passes it on as it is)."""


def _number_text(value, grouped: bool = False) -> str:
    """A number as people read it: 0.1, 1e-05, 4,294,967,295 (``grouped``: thousands separated)."""
    if isinstance(value, float):
        return f"{value:,g}" if grouped else f"{value:g}"
    return f"{value:,}" if grouped else str(value)


def _shown(value) -> str:
    """A value in a message, cut short: a link or a file may hold anything."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class Schema:
    """An ordered table of settings: what a page (or the Experiment) is made of."""

    def __init__(self, settings: Iterable[Setting]):
        settings = list(settings)
        self.settings = {s.name: s for s in settings}
        check(len(self.settings) == len(settings), "Setting names must be unique.")
        urls = [s.url for s in self.settings.values()]
        check(len(set(urls)) == len(urls), "URL keys must be unique.")

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.settings.values())

    def __getitem__(self, name: str) -> Setting:
        return self.settings[name]

    def __contains__(self, name: str) -> bool:
        return name in self.settings

    def replace(self, name: str, **changes) -> Schema:
        """This table with one row changed (e.g. a page's own default or widget range)."""
        return Schema(replace(s, **changes) if s.name == name else s for s in self)

    def defaults(self) -> dict:
        return {s.name: s.default for s in self}

    def group(self, group: str) -> list[Setting]:
        return [s for s in self if s.group == group]

    def check(self, values: Mapping) -> dict:
        """Every setting's value checked (``Setting.check``); a setting left out takes its default."""
        unknown = set(values) - set(self.settings)
        check(not unknown, f"Unknown setting(s): {', '.join(sorted(map(str, unknown)))}.")
        return {s.name: s.check(values.get(s.name, s.default)) for s in self}

    def used(self, setting: Setting, values: Mapping) -> bool:
        return setting.used_when is None or bool(setting.used_when(values))

    def from_query(self, query: Mapping[str, str | Sequence[str]], prefix: str) -> tuple[dict, list[str]]:
        """The settings a link's query gives (keys ``<prefix>.<url key>``; other keys are not this table's), with
        defaults for the rest, and the ``key=value`` texts that were not valid and were ignored, each with why."""
        values, ignored = self.defaults(), []
        by_url = {s.url: s for s in self}
        for key, texts in query.items():
            if not str(key).startswith(prefix + "."):
                continue
            name = str(key)[len(prefix) + 1:]
            shown = ",".join(texts) if isinstance(texts, list | tuple) else str(texts)
            if name not in by_url:
                ignored.append(f"{name}={shown} (no such setting)")
                continue
            try:
                values[by_url[name].name] = by_url[name].parse_text(texts)
            except ValueError as error:
                ignored.append(f"{name}={shown} ({str(error).rstrip('.')})")
        return values, ignored

    def to_query(self, values: Mapping, prefix: str, full: bool = False) -> dict[str, list[str]]:
        """The query that gives ``values``: every setting that differs from its default, so links stay short
        (``full``: every setting, so the link sets all of them, whatever the page showed before)."""
        canonical = self.check(values)
        return {f"{prefix}.{s.url}": s.to_text(canonical[s.name]) for s in self
                if full or canonical[s.name] != s.default}


# --- the experiment's settings ---------------------------------------------------------------------------------


def _dataset_label(name: str) -> str:
    return UPLOAD_LABEL if name == UPLOAD else DATASETS[name].label


def _generated(values: Mapping) -> bool:
    info = DATASETS.get(values.get("dataset"))
    return info is not None and info.uses_n_samples


def _uses(activation: str) -> Callable[[Mapping], bool]:
    """Whether any compared network has a layer of ``activation`` (a per-layer network's too)."""
    return lambda values: any(activation in str(key).split(LAYER_SEPARATOR) for key in values.get("activations", ()))


def _planar(values: Mapping) -> bool:
    """The data may be 2-D points: a generated 2-D set, or the user's table (known once uploaded)."""
    return values.get("dataset") in PLANAR_DATASETS or values.get("dataset") == UPLOAD


def _surfaces(values: Mapping) -> bool:
    """Decision surfaces may be drawn: 2-D classification (a user's table, once uploaded, may be one)."""
    name = values.get("dataset")
    return _planar(values) and (name == UPLOAD or DATASETS[name].task == "classification")


def _per_layer_key(text: str) -> str:
    """An item of the activations that is a per-layer network ("tanh>relu"); a plain name is not composed."""
    key = parse_activation_key(text)
    if LAYER_SEPARATOR not in key:
        raise ValueError(f"{text!r} is {activation_label(key)} in every layer: choose {activation_label(key)} itself.")
    return key


EXPERIMENT = Schema([
    Setting("dataset", "choice", "moons", "Dataset", group="data", choices=(*DATASETS, UPLOAD), labels=_dataset_label,
            widget=Widget("select")),
    Setting("n_samples", "int", 500, "Samples", group="data", low=MIN_SAMPLES, high=MAX_SAMPLES,
            help="Points to generate (the generated 2-D sets and the sine curve; a bundled table has a fixed size).",
            used_when=_generated, widget=Widget("slider", 100, 3000, 50)),
    Setting("noise", "float", 0.2, "Noise", group="data", low=0.0, high=MAX_NOISE, used_when=_generated,
            help="Gaussian jitter of the generated sets (for blobs it widens the clusters).",
            widget=Widget("slider", 0.0, 1.0, 0.05)),
    Setting("test_size", "float", 0.25, "Test share", group="data", low=MIN_TEST_SIZE, high=MAX_TEST_SIZE,
            help="The share of rows held out for testing; the rest trains.",
            widget=Widget("slider", 50, 90, 5, format="%d%%", factor=-100, offset=100, label="Training share",
                          help="The rest is the test set.")),
    Setting("features", "choices", RAW_FEATURES, "Input features", group="data", choices=FEATURES,
            labels=feature_label, max_items=len(FEATURES), used_when=_planar,
            help="What the network reads of each 2-D point (TensorFlow Playground's inputs), computed from the "
                 "standardised x₁ and x₂. With x₁² and x₂², even a network with linear units separates the "
                 "circles. The points and the surfaces stay in the x₁, x₂ plane.",
            widget=Widget("multiselect")),
    Setting("activations", "choices", ("relu", "sigmoid", "tanh"), "Activations to compare", group="network",
            choices=HIDDEN_CHOICES, labels=activation_label, max_items=len(HIDDEN_CHOICES) + 1,
            compose=_per_layer_key,
            help="Each is trained on identical data, initial draws and batches.",
            widget=Widget("multiselect", add_label="Per-layer network",
                          add_help="Adds one network with its own activation in each hidden layer, input side "
                                   "first, separated by commas (e.g. tanh, relu for two hidden layers): one per "
                                   "hidden layer. Press Enter to add it to the comparison.")),
    Setting("hidden_layers", "ints", (16, 16), "Hidden layers", group="network", low=1, high=MAX_WIDTH,
            max_items=MAX_DEPTH, unique=False, url="layers", cli="--hidden",
            help="Units in each hidden layer, input side first.", widget=Widget("layers", 1, 8, options=WIDTHS)),
    Setting("leaky_alpha", "float", 0.01, "Leaky ReLU α", group="network", low=0.0, high=MAX_ALPHA,
            help="Leaky ReLU's slope for x < 0.", used_when=_uses("leaky_relu"),
            widget=Widget("slider", 0.0, 0.5, 0.01, hide_unused=True)),
    Setting("elu_alpha", "float", 1.0, "ELU α", group="network", low=0.0, high=MAX_ALPHA,
            help="ELU tends to −α as x → −∞.", used_when=_uses("elu"),
            widget=Widget("slider", 0.1, 3.0, 0.1, hide_unused=True)),
    Setting("maxout_pieces", "int", 2, "Maxout pieces k", group="network", low=MIN_MAXOUT_PIECES,
            high=MAX_MAXOUT_PIECES, help="Affine pieces per maxout unit.", used_when=_uses("maxout"),
            widget=Widget("slider", 2, 5, 1, hide_unused=True)),
    Setting("init", "choice", "auto", "Weight init", group="network", choices=tuple(INIT_LABELS), labels=INIT_LABELS,
            help="Auto picks He for the ReLU family and maxout, Xavier for sigmoid, tanh and linear. Standard is "
                 "Glorot & Bengio's (2010) uniform init; Small and Zero show what goes wrong.",
            widget=Widget("select")),
    Setting("bias_init", "float", 0.0, "Hidden bias init", group="network", low=-MAX_ABS_BIAS_INIT,
            high=MAX_ABS_BIAS_INIT, widget=Widget("slider", -5.0, 5.0, 0.5),
            help="Every hidden bias starts here. A large negative bias switches most ReLU units off for every "
                 "input (dead from the start)."),
    Setting("optimizer", "choice", "sgd", "Optimiser", choices=tuple(OPTIMIZER_CHOICES), labels=OPTIMIZER_LABELS,
            widget=Widget("select")),
    Setting("learning_rate", "float", 0.1, "Learning rate", low=0.0, low_open=True, high=MAX_LEARNING_RATE,
            cli="--lr", widget=Widget("select_slider", options=LEARNING_RATES)),
    Setting("batch_size", "int", 32, "Batch size", low=1, high=MAX_BATCH_SIZE,
            widget=Widget("select_slider", options=BATCH_SIZES)),
    Setting("epochs", "int", 200, "Epochs", low=1, high=MAX_EPOCHS, widget=Widget("select_slider", options=EPOCHS)),
    Setting("l2", "float", 0.0, "L2 penalty", low=0.0, high=MAX_L2, help="Adds ½·l2·Σw² to the loss (not biases).",
            widget=Widget("select_slider", options=L2_CHOICES)),
    Setting("l1", "float", 0.0, "L1 penalty", low=0.0, high=MAX_L1, widget=Widget("select_slider", options=L1_CHOICES),
            help="Adds l1·Σ|w| to the loss (not biases). Its gradient l1·sign(w) pulls every weight towards 0 by "
                 "the same amount whatever its size (none at exactly 0); under SGD a weight with nothing else "
                 "pulling it ends up hovering within learning rate × l1 of 0, not at exactly 0."),
    Setting("seeds", "int", 1, "Seeds", low=1, high=MAX_SEEDS, widget=Widget("slider", 1, MAX_SEEDS, 1),
            help="Several seeds draw a mean line with a min–max band."),
    Setting("first_seed", "int", 0, "First seed", low=0, high=MAX_SEED, widget=Widget("number", 0, MAX_SEED, 1),
            help="It also seeds the dataset and its split."),
    Setting("precision", "choice", "float32", "Precision", choices=DTYPES, labels=DTYPE_LABELS,
            help="float32 trains about twice as fast, as deep-learning frameworks do; float64 is exact to more "
                 "digits. The lab's teaching numbers are the same in both.", widget=Widget("select")),
    Setting("show_test", "bool", True, "Show test data", group="view", view=True, used_when=_surfaces,
            help="Draw the test points (triangles) on the decision surfaces beside the training points (circles).",
            widget=Widget("toggle")),
    Setting("discretize", "bool", False, "Discretize output", group="view", view=True, used_when=_surfaces,
            help="Colour each decision surface by its predicted class at full strength, instead of shading it by "
                 "the predicted probability.", widget=Widget("toggle")),
])


class _ExperimentMethods:
    """What an experiment does with its settings. The fields themselves come from ``EXPERIMENT``."""

    schema = EXPERIMENT

    def __post_init__(self):
        for setting in self.schema:
            value = getattr(self, setting.name)
            if setting.kind == "choices" and isinstance(value, str):  # Python's shorthand for one: activations="tanh"
                value = (value,)
            object.__setattr__(self, setting.name, setting.check(value))
        self._check_per_layer()
        self.configs()  # every TrainConfig validates itself (hidden units in all, and the like)

    def _check_per_layer(self) -> None:
        """At most one per-layer network (the charts have one colour for one), with one activation per hidden
        layer."""
        composed = [key for key in self.activations if LAYER_SEPARATOR in key]
        check(len(composed) <= 1, "Compare one per-layer network at a time (the charts have one colour for it); got "
                                  f"{' and '.join(map(activation_label, composed))}.")
        for key in composed:
            names, depth = key.split(LAYER_SEPARATOR), len(self.hidden_layers)
            check(len(names) == depth,
                  f"The per-layer network {activation_label(key)} names {len(names)} activations, but the network has "
                  f"{depth} hidden layer{'s' if depth > 1 else ''}: give one activation per hidden layer, or set "
                  f"{len(names)} hidden layers.")

    @property
    def input_features(self) -> tuple[str, ...] | None:
        """The input features the networks read (``TrainConfig.features``), or None for the data's own inputs: when
        the features chosen are x1, x2 themselves, or when the data are not 2-D points (the setting does not
        apply)."""
        if self.features == RAW_FEATURES or not _planar({"dataset": self.dataset}):
            return None
        return self.features

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def config(self, activation: str, seed: int) -> TrainConfig:
        """The run of one compared activation key (a name, or a per-layer network "tanh>relu") and seed."""
        optimizer, momentum = OPTIMIZER_CHOICES[self.optimizer]
        names = activation.split(LAYER_SEPARATOR)
        alphas = {alpha for name, alpha in (("leaky_relu", self.leaky_alpha), ("elu", self.elu_alpha)) if name in names}
        check(len(alphas) <= 1, f"{activation_label(activation)} has Leaky ReLU and ELU layers, and the engine gives "
                                "one network one α: set Leaky ReLU α and ELU α equal, or drop one of them.")
        return TrainConfig(
            activation=activation if len(names) == 1 else tuple(names), hidden_layers=self.hidden_layers,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate, optimizer=optimizer,
            momentum=momentum, l2=self.l2, l1=self.l1, init=self.init, bias_init=self.bias_init, seed=seed,
            maxout_pieces=self.maxout_pieces, alpha=alphas.pop() if alphas else None, dtype=self.precision,
            features=self.input_features,
        )

    def configs(self) -> list[TrainConfig]:
        """One config per (activation, seed), activation-major: run index = a * seeds + s."""
        return [self.config(a, s) for a in self.activations for s in self.seed_list]

    def first_run(self, activation: str) -> int:
        """The run index of an activation's first seed (runs are activation-major)."""
        return self.activations.index(activation) * self.seeds

    def load_data(self):
        if self.dataset == UPLOAD:
            raise ValueError("An uploaded dataset cannot be reloaded; upload it again.")
        return load_dataset(self.dataset, n_samples=self.n_samples, noise=self.noise, test_size=self.test_size,
                            seed=self.first_seed)

    def replace(self, **changes):
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON data: lists for the tuples."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping):
        """From plain data (JSON, a link's values); unknown keys raise, missing keys take their defaults. Every
        error is a ValueError that says what is wrong."""
        check(isinstance(data, Mapping), "An experiment must be a mapping of settings.")
        return cls(**cls.schema.check(data))


_EXPERIMENT_DOC = """An experiment: a dataset, the activations to compare and the training settings they share.

The Arena's widgets fill one; the CLI, shared links, lessons and config files build the same object, so every way
into the lab runs the same configs. ``configs()`` expands it into one ``TrainConfig`` per (activation, seed): all
of them see identical data, identical initial draws per seed and identical batches per seed. Its fields are the
rows of ``EXPERIMENT``; constructing one checks every value. Two experiments that differ only in view-only
settings compare equal: they train the same runs."""

Experiment = make_dataclass(
    "Experiment", [(s.name, object, field(default=s.default, compare=not s.view)) for s in EXPERIMENT],
    bases=(_ExperimentMethods,),
    frozen=True, namespace={"__module__": __name__, "__doc__": _EXPERIMENT_DOC})


# --- the pages' own tables -------------------------------------------------------------------------------------
# Each live page keeps its experiment's settings in the URL under its own prefix (arena., neurons., ...).

ARENA = EXPERIMENT
# Neurons: the dying-ReLU trio side by side, a shorter run, at most 6 hidden layers on the page.
NEURONS = (EXPERIMENT.replace("activations", default=("relu", "leaky_relu", "elu"))
           .replace("epochs", default=100)
           .replace("hidden_layers", widget=Widget("layers", 1, 6, options=WIDTHS)))
SCALE_CHOICES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
FLOW_MAX_SEEDS = 5

FLOW = Schema([  # (its networks read the data's own inputs, and compare one activation in every layer)
    *(replace(s, choices=tuple(DATASETS)) if s.name == "dataset" else s for s in EXPERIMENT.group("data")
      if s.name != "features"),
    Setting("depth", "int", 10, "Hidden layers (depth)", group="network", low=1, high=MAX_DEPTH,
            widget=Widget("slider", 1, 30, 1)),
    Setting("width", "int", 32, "Units per layer", group="network", low=1, high=MAX_WIDTH,
            widget=Widget("select_slider", options=WIDTHS)),
    EXPERIMENT["init"],
    replace(EXPERIMENT["activations"], compose=None, max_items=len(HIDDEN_CHOICES), widget=Widget("multiselect")),
    Setting("seeds", "int", 3, "Seeds", group="network", low=1, high=FLOW_MAX_SEEDS,
            widget=Widget("slider", 1, FLOW_MAX_SEEDS, 1),
            help="Initial draws 0, 1, …: a line per activation is their geometric mean, the band their min–max."),
    EXPERIMENT["learning_rate"],
    Setting("explode_activation", "choice", "relu", "Activation", group="exploding", choices=HIDDEN_CHOICES,
            labels=activation_label, widget=Widget("select")),
    Setting("scales", "floats", (1.0, 4.0), "Init std multiplied by", group="exploding", low=0.0, low_open=True,
            labels=lambda factor: f"×{factor:g}",
            high=max(SCALE_CHOICES), min_items=2, max_items=2, unique=False,
            widget=Widget("range", options=SCALE_CHOICES),
            help="Every weight matrix's initial draws are multiplied by each factor in range."),
])

EXPLORER = Schema([
    Setting("activations", "choices", ("relu", "sigmoid", "tanh"), "Activations", group="curves",
            choices=tuple(ACTIVATIONS), labels=activation_label, max_items=len(ACTIVATIONS),
            widget=Widget("multiselect")),
    Setting("x_min", "float", -10.0, "x from", group="curves", low=-MAX_PROBE_X, high=MAX_PROBE_X,
            widget=Widget("number", -MAX_PROBE_X, MAX_PROBE_X, 1.0)),
    Setting("x_max", "float", 10.0, "x to", group="curves", low=-MAX_PROBE_X, high=MAX_PROBE_X,
            widget=Widget("number", -MAX_PROBE_X, MAX_PROBE_X, 1.0)),
    Setting("leaky_alpha", "float", 0.01, "Leaky ReLU α (slope for x < 0)", group="curves", low=0.0, high=MAX_ALPHA,
            used_when=_uses("leaky_relu"), widget=Widget("slider", 0.0, 0.5, 0.01, hide_unused=True)),
    Setting("elu_alpha", "float", 1.0, "ELU α (limit −α as x → −∞)", group="curves", low=0.0, high=MAX_ALPHA,
            used_when=_uses("elu"), widget=Widget("slider", 0.1, 3.0, 0.1, hide_unused=True)),
    Setting("shade", "bool", True, "Shade where saturating activations have |f′(x)| < 0.01", group="curves",
            widget=Widget("toggle")),
    Setting("sigma", "float", 1.0, "σ of the pre-activations x ~ N(0, σ²)", group="batch", low=0.1, high=10.0,
            widget=Widget("slider", 0.1, 10.0, 0.1)),
])

SPEED = Schema([
    Setting("repeats", "int", 5, "Repeats (the median is shown)", group="measurement", low=3, high=15,
            help="Each ratio is shown with its lowest and highest repeat; three or more make that spread mean "
                 "something.", widget=Widget("slider", 3, 15, 1)),
    Setting("include_large", "bool", False, "Include 10⁷ elements", group="measurement",
            help="Ten times more work per activation: adds about 15 s at 5 repeats on a 2-core server.",
            widget=Widget("toggle")),
    Setting("width", "int", 64, "Network: units per hidden layer", group="measurement", choices=(32, 64, 128, 256),
            low=32, high=256, widget=Widget("select_slider", options=(32, 64, 128, 256))),
    Setting("batch_size", "int", 32, "Network: batch size", group="measurement", low=16, high=128,
            widget=Widget("select_slider", options=(16, 32, 64, 128))),
])

# --- sections of the deep-dive pages and the Linear Regions page ----------------------------------------------
# Signal at init (a section of Gradient Flow, core.lab.init_signal) and where sigmoid saturates (a section of
# Neurons, core.lab.saturation): each keeps its own settings in the URL under its own prefix (signal., saturation.).

SIGNAL_ACTIVATIONS = ("tanh", "relu", "sigmoid")
SIGNAL_SCHEMES = {"small": "0.01 · N(0, 1)", "xavier": "Xavier", "he": "He", "he_x2": "2 × He", "zero": "Zero"}
SIGNAL_WIDTHS = (32, 64, 100, 128, 256)

SIGNAL = Schema([
    Setting("dataset", "choice", "digits", "Data pushed through", group="signal",
            choices=tuple(name for name in DATASETS if name != "sine"), labels=_dataset_label,
            help="Its first 256 standardised training rows go through each network at init.", widget=Widget("select")),
    Setting("depth", "int", 30, "Hidden layers", group="signal", low=1, high=MAX_DEPTH,
            widget=Widget("slider", 1, 30, 1)),
    Setting("width", "int", 100, "Units per layer", group="signal", low=1, high=MAX_WIDTH,
            widget=Widget("select_slider", options=SIGNAL_WIDTHS)),
    Setting("seeds", "int", 2, "Seeds", group="signal", low=1, high=3, widget=Widget("slider", 1, 3, 1),
            help="Initial draws 0, 1, …: a line is their mean, its band their min–max."),
    Setting("histogram_activation", "choice", "tanh", "Histograms of", group="histograms",
            choices=SIGNAL_ACTIVATIONS, labels=activation_label, widget=Widget("select")),
    Setting("histogram_init", "choice", "small", "with init", group="histograms", choices=tuple(SIGNAL_SCHEMES),
            labels=SIGNAL_SCHEMES, widget=Widget("select")),
    Setting("symmetry_activation", "choice", "sigmoid", "Zero init trained with", group="symmetry",
            choices=SIGNAL_ACTIVATIONS, labels=activation_label, widget=Widget("select"),
            help="Sigmoid's f(0) = 0.5 lets its weights move (in lockstep); tanh's and ReLU's f(0) = 0 leaves every "
                 "hidden weight without a gradient."),
    Setting("symmetry_epochs", "int", 20, "Epochs", group="symmetry", low=1, high=100,
            widget=Widget("select_slider", options=(5, 10, 20, 50, 100))),
])

SATURATION = Schema([
    Setting("depth", "int", 4, "Hidden layers", group="saturation", low=4, high=5, choices=(4, 5),
            widget=Widget("select_slider", options=(4, 5)),
            help="Glorot & Bengio (2010) trained 4 and 5 hidden layers; 100 sigmoid or tanh units each."),
    Setting("learning_rate", "float", 0.3, "Learning rate", group="saturation", low=0.0, low_open=True,
            high=MAX_LEARNING_RATE, widget=Widget("select_slider", options=(0.1, 0.3, 1.0)),
            help="Plain SGD on batches of 10, as in the paper's spirit."),
    Setting("epochs", "int", 100, "Epochs", group="saturation", low=1, high=300,
            widget=Widget("select_slider", options=(50, 100, 150, 200))),
    Setting("seed", "int", 0, "Seed", group="saturation", low=0, high=MAX_SEED, widget=Widget("number", 0, 9, 1)),
])

# Linear Regions: a live run of the kinked activations (with tanh and sigmoid for contrast) on a 2-D dataset, plus
# the depth-against-width sweep and the 1-D fit; the experiment's rows are EXPERIMENT's, with the page's defaults.
REGION_DATASETS = tuple(name for name, info in DATASETS.items()
                        if info.uses_n_samples and info.task == "classification")
REGION_ACTIVATIONS = ("relu", "leaky_relu", "maxout", "tanh", "sigmoid")
REGION_KINKED = ("relu", "leaky_relu", "maxout")
SWEEP_UNITS = (12, 24, 36, 48)
REGION_EXPERIMENT_ROWS = ("dataset", "n_samples", "noise", "test_size", "activations", "hidden_layers", "leaky_alpha",
                          "maxout_pieces", "init", "bias_init", "optimizer", "learning_rate", "batch_size", "epochs",
                          "l2", "first_seed", "precision")

REGIONS = Schema([
    replace(EXPERIMENT["dataset"], choices=REGION_DATASETS),
    *(EXPERIMENT[name] for name in ("n_samples", "noise", "test_size")),
    replace(EXPERIMENT["activations"], default=REGION_ACTIVATIONS, choices=REGION_ACTIVATIONS,
            max_items=len(REGION_ACTIVATIONS), label="Activations",
            help="ReLU, Leaky ReLU and maxout cut the plane into linear regions; tanh and sigmoid are smooth and have "
                 "none (their maps show how fast the gradient changes). All train on identical data, initial draws "
                 "and batches."),
    replace(EXPERIMENT["hidden_layers"], default=(8, 8), widget=Widget("layers", 1, 6, options=WIDTHS)),
    *(EXPERIMENT[name] for name in ("leaky_alpha", "maxout_pieces", "init", "bias_init", "optimizer",
                                    "learning_rate", "batch_size", "epochs", "l2", "first_seed", "precision")),
    Setting("sweep_units", "int", 24, "Hidden units in all", group="sweep", low=1, high=max(SWEEP_UNITS),
            widget=Widget("select_slider", options=SWEEP_UNITS),
            help="Shared out over 1, 2, 3, 4 or 6 equal layers (each depth that divides it)."),
    Setting("sweep_activation", "choice", "relu", "Activation", group="sweep", choices=REGION_KINKED,
            labels=activation_label, widget=Widget("select")),
    Setting("sweep_seeds", "int", 3, "Seeds", group="sweep", low=1, high=5, widget=Widget("slider", 1, 5, 1)),
    Setting("sweep_epochs", "int", 100, "Training epochs", group="sweep", low=1, high=300,
            widget=Widget("select_slider", options=(20, 50, 100)),
            help="Plain SGD with learning rate 0.1, batch 32, on the sidebar's dataset."),
    Setting("line_layers", "ints", (8, 8), "Hidden layers", group="line", low=1, high=64, max_items=3, unique=False,
            widget=Widget("layers", 1, 3, options=(2, 4, 8, 16, 32, 64))),
    Setting("line_epochs", "int", 500, "Epochs", group="line", low=1, high=2000,
            widget=Widget("select_slider", options=(50, 100, 200, 500, 1000, 2000))),
])


def regions_experiment(values: Mapping) -> Experiment:
    """The Linear Regions page's live experiment from its settings: one seed, EXPERIMENT's defaults elsewhere."""
    return Experiment(**{name: values[name] for name in REGION_EXPERIMENT_ROWS})
