"""Lessons: a guided workshop, one claim per tab, each with the number the lab measured and a one-click preset."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core.lab import lessons
from core.lab.learning_speed import SETUPS
from core.lab.linear_regions import SWEEP_LEARNING_RATE
from core.settings import ARENA, EXPLORER, FLOW, NEURONS, REGIONS, SATURATION, SIGNAL, SIGNAL_SCHEMES, Experiment
from pages.ui.formats import percent, ratio, times
from pages.ui.learning_speed_view import ratio_metrics
from pages.ui.palette import label
from pages.ui.shared import background, learning_speed_task
from pages.ui.shell import page_header, page_shell

present = page_shell()

TAB_KEY = "lesson"  # bound to the URL: a link can open the workshop at any lesson


# --- presets: a target page and the URL query that sets its widgets -----------------------------------------


@dataclass(frozen=True)
class Preset:
    page: str  # a file registered in app.py
    title: str  # the page's name, for the button
    query: dict = field(default_factory=dict)
    fallback: Preset | None = None  # opened instead when ``page`` is not registered in this deployment


def arena(experiment: Experiment) -> Preset:
    return Preset("pages/arena.py", "Training Arena", ARENA.to_query(experiment.to_dict(), "arena", full=True))


EXPLORER_RELU = Preset("pages/explorer.py", "Activation Explorer",
                       EXPLORER.to_query({**EXPLORER.defaults(), "activations": ("relu",)}, "explorer", full=True))
NEURONS_DYING = Preset("pages/neurons.py", "Neurons", NEURONS.to_query(lessons.DYING.to_dict(), "neurons", full=True))
SPEED_PRESET = Preset("pages/speed.py", "Speed", fallback=Preset("pages/explorer.py", "Activation Explorer"))
REGIONS_PRESET = Preset("pages/regions.py", "Linear Regions",
                        REGIONS.to_query(REGIONS.defaults(), "regions", full=True))
SIGNAL_PRESET = Preset("pages/gradient_flow.py", "Gradient Flow",
                       {**FLOW.to_query(FLOW.defaults(), "flow", full=True),
                        **SIGNAL.to_query(lessons.SIGNAL_LESSON, "signal", full=True)})
SATURATION_PRESET = Preset("pages/neurons.py", "Neurons",
                           {**NEURONS.to_query(NEURONS.defaults(), "neurons", full=True),
                            **SATURATION.to_query(SATURATION.defaults(), "saturation", full=True)})


def open_preset(preset: Preset) -> None:
    """Switch to the preset's page with its settings in the URL (the next page in line if it is not registered)."""
    try:
        st.switch_page(preset.page, query_params=preset.query)
    except StreamlitPageNotFoundError:
        if preset.fallback is None:
            raise
        open_preset(preset.fallback)


# --- the measurements, cached: the same for every visitor, so st.cache_data shares them ---------------------


@st.cache_data(show_spinner="Training a linear and a ReLU network…")
def linear_numbers() -> dict:
    return {"circles": lessons.linear_vs_relu(lessons.LINEAR_CIRCLES),
            "moons": lessons.linear_vs_relu(lessons.LINEAR_MOONS)}


@st.cache_data(show_spinner=False)
def derivative_numbers() -> dict[float, float]:
    return lessons.relu_derivative_samples()


@st.cache_data(show_spinner="Measuring gradients at init…")
def vanishing_numbers() -> dict:
    return {"deep": lessons.vanishing_ratios(), "arena": lessons.gradient_ratios_at_init(),
            "inits": lessons.vanishing_inits(), "slopes": lessons.decades_per_added_layer()}


@st.cache_data(show_spinner="Measuring where sigmoid and tanh saturate, and deep ReLU networks at init…")
def lesson_facts() -> dict:
    """The measured numbers the lessons' own sentences quote (``Lesson`` texts are format strings)."""
    edges, no_cure = lessons.saturation_edges(), lessons.relu_is_no_cure()
    return {"sigmoid_edge": edges["sigmoid"], "tanh_edge": edges["tanh"], "depth": lessons.VANISHING_DEPTH,
            "growth": ratio(10 ** no_cure["log10_growth"]), "collapsed": no_cure["collapsed_share"],
            "narrow_depth": lessons.NARROW_DEPTH, "narrow_width": lessons.NARROW_WIDTH}


@st.cache_data(show_spinner=False)
def sparsity_numbers() -> dict[str, float]:
    return lessons.sparsity_at_init()


@st.cache_data(show_spinner="Training ReLU, Leaky ReLU and ELU from a bias of −3…")
def dying_numbers() -> dict:
    return {**lessons.dying_units(), "some_dead": lessons.dying_units(lessons.SOME_DEAD)["relu"]}


@st.cache_data(show_spinner="Training maxout beside ReLU and Leaky ReLU…")
def maxout_numbers() -> dict:
    return lessons.maxout_vs_relu()


@st.cache_data(show_spinner="Training the Linear Regions page's networks and counting their regions…")
def regions_numbers() -> dict:
    return lessons.linear_regions_numbers()


@st.cache_data(show_spinner="Counting regions at every depth, at init and after training…")
def depth_numbers():
    return lessons.depth_numbers()


@st.cache_data(show_spinner="Pushing data through 30-layer networks at init…")
def signal_numbers():
    return lessons.init_signal_numbers()


@st.cache_data(show_spinner="Training sigmoid and tanh networks on digits for 5 epochs…")
def saturation_numbers() -> dict:
    return lessons.saturation_numbers()


def learning_speed_numbers(setup: str):
    """Lesson 12's ratios on ``setup``: seconds of training, begun in the background by the server's first page
    (``pages.ui.shared.background``); a visitor who gets here sooner waits for that same work."""
    work, task = background(), learning_speed_task(setup)
    if work.done(task):
        return work.result(task)
    with st.spinner("Training every activation at every learning rate over 5 seeds (begun in the background when "
                    "this server's first page was opened)…"):
        return work.result(task)


@st.cache_data(show_spinner="Timing the activations on this server…", ttl=dt.timedelta(hours=1))
def speed_numbers() -> tuple[dict, dt.datetime]:
    # Timings change with the machine's load: re-measured at most hourly, and the page says when.
    return lessons.speed_ratios(), dt.datetime.now(dt.UTC)


# --- one lesson's frame -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lesson:
    """One claim for a workshop. Its texts may quote measured numbers as ``{name}`` fields (``lesson_facts``)."""

    tab: str
    title: str
    claim: str
    look_at: str
    misconception: str
    correction: str
    preset: Preset

    def filled(self, facts: dict) -> Lesson:
        return dataclasses.replace(self, **{name: getattr(self, name).format(**facts)
                                            for name in ("claim", "look_at", "misconception", "correction")})


LESSONS = [
    Lesson(
        "1 · Linear", "No activation: any depth is a linear model",
        "Without an activation every layer is affine, and affine maps compose into one affine map: a network of any "
        "depth is a linear model, and its boundary between two classes is a straight line. ReLU is piecewise linear, "
        "not linear, and its kinks let the network bend that boundary.",
        "Press **Play**, then compare the two **decision boundaries**: Linear's is a straight line at every epoch.",
        "“ReLU is *the* output activation of a classifier.”",
        "ReLU can go in any hidden layer; a classifier's output layer is softmax (or sigmoids: one for a yes/no "
        "output, one per label for a multi-label one) and a regression's is the identity. Every classifier here, "
        "Linear included, ends in softmax.",
        arena(lessons.LINEAR_CIRCLES),
    ),
    Lesson(
        "2 · ReLU′", "ReLU and its derivative",
        "ReLU is f(x) = max(0, x). Its derivative is 1 for x > 0 and 0 for x < 0; at x = 0 it is undefined, and "
        "the lab uses f′(0) = 0, as PyTorch and TensorFlow do.",
        "The **f′(x)** chart: a step from 0 to 1 at x = 0. Then the **Formulas** card and the f′(0) note in "
        "**Properties**.",
        "“ReLU is differentiable everywhere.”",
        "Not at 0: its slope is 0 on the left and 1 on the right. Backprop needs a number there, so it uses a "
        "convention, f′(0) = 0; any value in [0, 1] is a valid subgradient.",
        EXPLORER_RELU,
    ),
    Lesson(
        "3 · Vanishing", "Sigmoid and tanh saturate: gradients can vanish",
        "Sigmoid maps onto (0, 1) and tanh onto (−1, 1). Both saturate softly: |f′| < 0.01 only beyond about "
        "±{sigmoid_edge:.1f} for sigmoid and ±{tanh_edge:.1f} for tanh, since σ(x) = (1 + tanh(x/2))/2 saturates at "
        "twice the input. Backprop multiplies one derivative per layer: σ′ ≤ 0.25 compounds, so sigmoid's gradient "
        "shrinks layer by layer, while tanh′(0) = 1, so tanh loses gradient only where its units saturate. ReLU "
        "with He init keeps it alive.",
        "At epoch 0, **Gradient norm by layer, now**: sigmoid's line falls by orders of magnitude towards matrix 1 "
        "(the input side). ReLU's first matrix sits below the others already at depth 1 (set by the 2-D inputs), "
        "but it does not fall further with depth. The Arena goes up to 8 hidden layers.",
        "“ReLU solves vanishing gradients.”",
        "Not by itself: init scale and depth still matter. Doubling the init std of a {depth}-layer ReLU network "
        "multiplies its gradients by about {growth} (measured), and deep, narrow ReLU networks can be dead "
        "at init: {collapsed:.0%} of {narrow_depth}-layer networks of width {narrow_width} output the same value "
        "for every input (Lu et al. 2019).",
        arena(lessons.VANISHING_ARENA),
    ),
    Lesson(
        "4 · Sparsity", "ReLU outputs exact zeros: sparsity",
        "ReLU outputs exactly 0 for every negative input. With zero biases and any zero-mean symmetric init (He's "
        "normal here; Glorot, Bordes & Bengio 2011 used a uniform one), each pre-activation is as likely to be "
        "negative as positive, so about half of a layer's outputs are exact zeros: sparse activity.",
        "**Sparsity: share of exact zeros** at epoch 0: ReLU's layers start near 50%, Tanh's at 0. Press **Play** "
        "to see how it moves as the network learns.",
        "“Sparse means dead.”",
        "A sparse unit is 0 for some inputs and active, and learning, on the others. A dead unit is 0 for every "
        "input (lesson 5).",
        arena(lessons.SPARSITY),
    ),
    Lesson(
        "5 · Dying ReLU", "Dying ReLU, and the Leaky fix",
        "A ReLU unit whose input is negative for every example outputs 0 and gets no gradient: it is dead, and "
        "under plain SGD it stays dead unless an earlier layer changes (momentum and Adam can keep moving it for a "
        "while). A large negative bias or an excessive learning rate can cause it. Leaky ReLU (slope 0.01 below 0) "
        "keeps a gradient everywhere, so its units cannot die; ELU cannot die exactly either, but far to the left "
        "its gradient αeˣ vanishes too.",
        "The **dead units** at epoch 0, then **Train**: ReLU's stay dead; Leaky ReLU and ELU have none and learn. "
        "Leaky ReLU's gradient below 0 is 100× smaller, hence the learning rate of 1.0.",
        "“Dead units come back by themselves.”",
        "No gradient reaches a dead unit's weights or bias, so plain SGD never changes them; only a change in an "
        "earlier layer could revive it (the first layer's inputs never change).",
        NEURONS_DYING,
    ),
    Lesson(
        "6 · Maxout", "Maxout generalises ReLU and Leaky ReLU",
        "A maxout unit outputs the largest of k affine functions of its input, each with its own weights "
        "(Goodfellow et al. 2013). With k = 2 it contains ReLU, max(z, 0), and Leaky ReLU, max(z, 0.01 z), as "
        "special cases, and pays with k times the hidden weights.",
        "The **Accuracy** chart and the three **decision boundaries**; after training, the **Summary** table's "
        "ms / epoch.",
        "“Maxout is elementwise, like ReLU.”",
        "It is not: each unit takes the max over a group of k affine pre-activations, each computed from the whole "
        "previous layer with its own weights, so it cannot be applied to one pre-activation the way ReLU is. It is "
        "a new kind of activation function, as Goodfellow et al. call it, but not an elementwise one.",
        arena(lessons.MAXOUT),
    ),
    Lesson(
        "7 · Speed", "ReLU is cheap to compute",
        "ReLU's forward pass is one comparison per element, and its backward pass multiplies by a 0/1 mask; "
        "sigmoid and tanh are built from exponentials. How much that saves depends on the library and the "
        "machine, so the lab measures it.",
        "Each activation alone, forward and backward, then **Inside a whole network**: how much of the gap is "
        "left in a training epoch.",
        "“A cheaper activation makes training that much faster.”",
        "In a whole network the matrix products, the loss, the optimiser's update and the work per batch cost the "
        "same for every activation, so an activation's own cost is diluted: the Speed page measures by how much.",
        SPEED_PRESET,
    ),
    Lesson(
        "8 · Regions", "ReLU is piecewise linear, not linear",
        "Fix which ReLU units are on and which are off, and every layer is affine: the network is one affine "
        "function on each linear region of its input, and its gradient jumps where a unit switches. Many regions "
        "with different slopes make a function that is linear nowhere as a whole.",
        "The **region maps**: one colour per region, the black decision boundary straight inside each region and "
        "bending only on their edges. Tanh's and sigmoid's maps have no white cell: their gradient changes everywhere.",
        "“ReLU is linear, so a ReLU network is a linear model.”",
        "ReLU is linear on each side of 0 only. A network of ReLUs is linear only within each region; across "
        "regions its slope changes, which is what lets its decision boundary bend.",
        REGIONS_PRESET,
    ),
    Lesson(
        "9 · Depth", "Depth raises the most regions a network can have, not the number it has",
        "At a fixed number of units, the most linear regions a ReLU network can have grows exponentially with depth "
        "(Montúfar et al. 2014; Serra et al. 2018 bound it). A network at init is far below that maximum, and how "
        "many regions it has depends on its weights (Hanin & Rolnick 2019).",
        "**Depth against width**: the measured counts against the two bounds, on a log scale; then **Train every "
        "shape** for the counts after training.",
        "“More layers only add parameters.”",
        "Depth changes which functions a network can compute: stacked layers can fold the input space, so the same "
        "number of units can make far more regions. That is a statement about the maximum; a random network's count "
        "has to be measured.",
        REGIONS_PRESET,
    ),
    Lesson(
        "10 · Init scale", "The init's scale decides how far the signal gets",
        "Each layer multiplies the spread of its outputs by about √(fan_in · Var(w)) times what its activation "
        "keeps of it. Too small, and the signal (and the gradient that depends on it) fades layer by layer; too "
        "large, and it grows or saturates. Xavier suits tanh; He's factor 2 suits ReLU (Glorot & Bengio 2010; He "
        "et al. 2015).",
        "**At init, forward**: the standard deviation of each layer's outputs, one panel per init, and the histograms "
        "of 0.01·N(0, 1) collapsing onto 0.",
        "“Any small random init works.”",
        "Small is not a safe default: a scale that shrinks the signal by a constant factor per layer shrinks it "
        "exponentially with depth. The scale has to match the activation and the fan-in.",
        SIGNAL_PRESET,
    ),
    Lesson(
        "11 · Saturation", "Sigmoid's top layer is driven to 0 early in training",
        "Glorot & Bengio (2010) watched deep sigmoid networks with the then-standard init U[−1/√n, 1/√n] learn: the "
        "top hidden layer was pushed to 0, sigmoid's saturated side, where its gradient vanishes too, and came back "
        "only slowly; tanh, and their normalised init, fared better.",
        "**Where sigmoid saturates** at the bottom of Neurons: press **Train** and watch the top layer (full colour) "
        "fall, then how long each network takes to come back.",
        "“Sigmoid is slow only because σ′ ≤ 0.25.”",
        "Its outputs are not centred on 0 either: the top layer's units can settle at 0, where σ′ is near 0 as well, "
        "and the network learns nothing until they come back. Tanh is centred; the init matters too.",
        SATURATION_PRESET,
    ),
    Lesson(
        "12 · 6× faster?", "How much faster does ReLU learn? Measure it",
        "Krizhevsky et al. (2012) reported that a four-layer convolutional network with ReLUs reached 25% training "
        "error on CIFAR-10 six times faster than the same network with tanh, each at the learning rate that "
        "trained it fastest. Here the same measurement: epochs to one fixed training error, 5 seeds, "
        "each activation at its own best learning rate.",
        "In the Arena, after training, the **Summary** table: epochs to the fixed target for each activation, over 5 "
        "seeds.",
        "“ReLU trains 6× faster.”",
        "Six times was one network, one dataset and one init. The ratio depends on all three, so the lab measures "
        "it on its own data, with its spread over seeds.",
        arena(lessons.LEARNING_SPEED_ARENA),
    ),
]
TABS = [lesson.tab for lesson in LESSONS]


# --- the numbers of each lesson -----------------------------------------------------------------------------


def linear_measured() -> None:
    numbers = linear_numbers()
    circles, moons = numbers["circles"], numbers["moons"]
    left, right = st.columns(2)
    left.metric("Linear (none): test accuracy", percent(circles["linear"]), border=True)
    right.metric("ReLU: test accuracy", percent(circles["relu"]), border=True)
    experiment = lessons.LINEAR_CIRCLES
    st.caption(f"Circles (noise {experiment.noise:g}), 2 hidden layers × 16 units, {experiment.epochs} epochs of "
               f"SGD, seed 0; chance is 50%. On two moons the same pair scores {percent(moons['linear'])} and "
               f"{percent(moons['relu'])}: a straight line gets many moon points right, but no line separates them.")


def derivative_measured() -> None:
    samples = derivative_numbers()
    notes = {-1.0: "x < 0", 0.0: "by convention", 1.0: "x > 0"}
    for column, (x, value) in zip(st.columns(len(samples)), samples.items(), strict=True):
        column.metric(f"f′({x:g})".replace("-", "−"), f"{value:g}", border=True, help=notes.get(x))
    st.caption("Read from the lab's activation registry: the same derivative backprop multiplies by.")


def vanishing_measured() -> None:
    numbers = vanishing_numbers()
    deep, inits = numbers["deep"], numbers["inits"]
    for column, name in zip(st.columns(len(deep)), deep, strict=True):
        column.metric(f"{label(name)} ({inits[name].replace('he', 'He').replace('xavier', 'Xavier')})",
                      ratio(deep[name]), border=True)
    st.caption(f"‖∂L/∂W₁‖ ÷ ‖∂L/∂W_last‖: the first weight matrix's gradient over the last one's, at init, "
               f"{lessons.VANISHING_DEPTH} hidden layers × {lessons.VANISHING_WIDTH} units, two moons, geometric "
               f"mean over {lessons.VANISHING_SEEDS} seeds. 1 means both ends are told to change equally.")
    slopes = numbers["slopes"]
    st.caption(f"Through depth (1 to {lessons.VANISHING_DEPTH} hidden layers, least-squares fit): each added layer "
               "multiplies the ratio by " + ", ".join(f"{ratio(10 ** slope)} for {label(name)}"
                                                     for name, slope in slopes.items())
               + ". Only a ratio that keeps falling with depth is vanishing: tanh′(0) = 1 and Xavier init start "
               "tanh's units outside saturation, and ReLU's ratio below 1 is set by the input layer, not by depth.")
    in_arena = numbers["arena"]
    st.caption("In the Arena preset (8 layers × 16 units, seed 0): "
               + ", ".join(f"{label(name)} {ratio(value)}" for name, value in in_arena.items()) + ".")


def sparsity_measured() -> None:
    numbers = sparsity_numbers()
    for column, (name, value) in zip(st.columns(len(numbers)), numbers.items(), strict=True):
        column.metric(f"{label(name)}: exact zeros", f"{value:.0%}", border=True)
    st.caption("Share of hidden outputs exactly 0 over the training set at init: two moons, 2 hidden layers × 16 "
               "units, He init for ReLU and Xavier for tanh, zero biases, seed 0, averaged over the layers.")


def dying_measured() -> None:
    numbers = dict(dying_numbers())
    some_dead = numbers.pop("some_dead")
    experiment = lessons.DYING
    for column, (name, n) in zip(st.columns(len(numbers)), numbers.items(), strict=True):
        with column:
            st.metric(f"{label(name)}: dead units", f"{n['dead_after']} of {n['units']}", border=True)
            st.caption(f"{n['dead_at_init']} at init · test accuracy {percent(n['test_accuracy'])}")
    relu = numbers.get("relu")
    chance = (" ReLU ends at chance level: 50% for two balanced classes."
              if relu and relu["test_accuracy"] < 0.6 else "")
    bias = f"{experiment.bias_init:g}".replace("-", "−")
    st.caption(f"Every hidden bias starts at {bias}; two moons, 2 hidden layers × 16 units, He init, SGD with "
               f"learning rate {experiment.learning_rate:.1f}, {experiment.epochs} epochs, seed 0. "
               f"Dead: outputs exactly 0 for every training sample.{chance}")
    if some_dead["dead_after"] and some_dead["test_accuracy"] >= 0.9:
        st.caption(f"Dead units do not always cost accuracy on easy data: at learning rate "
                   f"{lessons.SOME_DEAD.learning_rate:g} (zero biases), ReLU lost {some_dead['dead_after']} of "
                   f"{some_dead['units']} units and still scored {percent(some_dead['test_accuracy'])}: the "
                   "survivors carry the task.")


def maxout_measured() -> None:
    numbers = maxout_numbers()
    for column, (name, n) in zip(st.columns(len(numbers)), numbers.items(), strict=True):
        with column:
            st.metric(f"{label(name)}: test accuracy", percent(n["test_accuracy"]), border=True)
            st.caption(f"{n['parameters']:,} parameters")
    relu, maxout = numbers["relu"]["test_accuracy"], numbers["maxout"]["test_accuracy"]
    if abs(maxout - relu) <= 0.02:
        verdict = "about the same accuracy: more general is not automatically more accurate"
    elif maxout > relu:
        verdict = f"maxout {100 * (maxout - relu):.0f} points ahead of ReLU"
    else:
        verdict = f"maxout {100 * (relu - maxout):.0f} points behind ReLU"
    experiment = lessons.MAXOUT
    st.caption(f"Two moons, 2 hidden layers × 16 units (maxout: k = {experiment.maxout_pieces} pieces each), "
               f"{experiment.epochs} epochs of SGD, seed 0, identical data and batches: {verdict}.")


def speed_measured() -> None:
    numbers, when = speed_numbers()
    relu = numbers["relu"]
    others = [name for name in numbers if name != "relu"]
    columns = st.columns(len(others) + 1)
    columns[0].metric("ReLU forward", f"{relu['forward_s'] * 1e6:,.0f} µs", border=True,
                      help=f"One call over {lessons.SPEED_SIZE:,} float32 values")
    for column, name in zip(columns[1:], others, strict=True):
        with column:
            column.metric(f"{label(name)} forward", f"{times(numbers[name]['forward'])} ReLU", border=True)
            st.caption(f"backward {times(numbers[name]['backward'])} ReLU's")
    st.caption(f"Median of {lessons.SPEED_REPEATS} numpy calls on {lessons.SPEED_SIZE:,} float32 values, measured "
               f"on this server at {when:%H:%M} UTC. Timings vary with the machine and its load.")
    faster = [label(name) for name in others if numbers[name]["forward"] < 1]
    if faster:
        st.caption(f"{' and '.join(faster)} ran faster than ReLU here: numpy's vectorised routines differ in how "
                   "well they are tuned, so cheap in principle is not always fastest in a given library.")


def regions_measured() -> None:
    numbers = regions_numbers()
    relu, tanh = numbers["relu"], numbers["tanh"]
    columns = st.columns(4)
    columns[0].metric("ReLU: regions at init", f"{relu['at_init']:,}", border=True)
    columns[1].metric(f"ReLU: after {numbers['epochs']} epochs", f"{relu['after']:,}", border=True)
    columns[2].metric("ReLU: gradient constant", f"{relu['unchanged']:.0%} of cells", border=True)
    columns[3].metric("Tanh: gradient constant", f"{tanh['unchanged']:.0%} of cells", border=True)
    experiment = lessons.REGIONS_LESSON
    st.caption(f"The Linear Regions page's default experiment: two moons, {len(experiment.hidden_layers)} hidden "
               f"layers × {experiment.hidden_layers[0]} units, SGD with learning rate {experiment.learning_rate:g}, "
               "seed 0. Regions: distinct on/off patterns over the page's grid. Gradient constant: the share of grid "
               "cells whose input-gradient equals all four neighbours'.")


def depth_measured() -> None:
    summary = depth_numbers()
    at = summary.set_index(["stage", "depth"])
    shallow, deep = int(summary["depth"].min()), int(summary["depth"].max())
    width = summary.set_index("depth")["width"].groupby(level=0).first()
    shape = {d: f"{d} × {width[d]}" for d in (shallow, deep)}
    columns = st.columns(4)
    for column, (stage, depth, what) in zip(columns, [("init", shallow, "at init"), ("init", deep, "at init"),
                                                      ("trained", shallow, "trained"), ("trained", deep, "trained")],
                                            strict=True):
        column.metric(f"{shape[depth]}, {what}", f"{at.loc[(stage, depth), 'mean']:.0f}", border=True,
                      help=f"Mean over {int(at.loc[(stage, depth), 'seeds'])} seeds; min–max "
                           f"{at.loc[(stage, depth), 'low']:.0f}–{at.loc[(stage, depth), 'high']:.0f}")
    first, last = at.loc[("init", shallow)], at.loc[("init", deep)]
    direction = "falls" if last["mean"] < first["mean"] else "rises"
    st.caption(f"ReLU regions on the page's grid over two moons, {int(first['units'])} hidden units in all, He init, "
               f"trained {lessons.DEPTH_EPOCHS} epochs with SGD at {SWEEP_LEARNING_RATE:g}. At init the count "
               f"{direction} with depth. "
               f"The most one layer of {int(first['units'])} units can make in 2-D is {int(first['shallow_max']):,}; "
               f"Serra et al.'s (2018) bound for {shape[deep]} is {int(last['upper_bound']):,}.")


def signal_measured() -> None:
    ends = signal_numbers()
    settings = lessons.SIGNAL_LESSON
    depth = settings["depth"]
    shown = [("tanh", "small"), ("tanh", "xavier"), ("relu", "xavier"), ("relu", "he")]
    stds = {key: (ratio(ends.loc[key, 1]), ratio(ends.loc[key, depth])) for key in shown}
    for column, ((name, scheme), (first, last)) in zip(st.columns(len(shown)), stds.items(), strict=True):
        column.metric(f"{label(name)}, {SIGNAL_SCHEMES[scheme]}", last, border=True, help=f"Layer 1: {first}")
    st.caption(f"Standard deviation of layer {depth}'s outputs at init: digits (its first 256 standardised training "
               f"rows), {depth} hidden layers × {settings['width']} units, zero biases, mean over "
               f"{settings['seeds']} seeds.")


def saturation_measured() -> None:
    numbers = saturation_numbers()
    top, accuracy = numbers["top"], numbers["accuracy"]
    last = int(top.index.max())
    names = {"standard": "standard init", "xavier": "normalised init"}
    for column, (name, init) in zip(st.columns(3), [("sigmoid", "standard"), ("sigmoid", "xavier"),
                                                   ("tanh", "standard")], strict=True):
        with column:
            st.metric(f"{label(name)}, {names[init]}: top layer", f"{top.loc[0, (name, init)]:.2f} → "
                      f"{top.loc[last, (name, init)]:.2f}", border=True)
            st.caption(f"test accuracy after epoch {last}: {percent(accuracy[(name, init)])}")
    st.caption(f"Mean output of the top (4th) hidden layer over 300 digits, at init → after {last} epochs: 100 units "
               "per layer, plain SGD on batches of 10 at learning rate 0.3, seed 0. Ten classes: chance is about 10%. "
               "The recovery takes longer: train on in the Neurons section.")


def learning_speed_measured() -> None:
    for name, setup in SETUPS.items():
        ratio_metrics(learning_speed_numbers(name), setup, "Two moons" if name == "moons" else "Digits")


MEASURED = [linear_measured, derivative_measured, vanishing_measured, sparsity_measured, dying_measured,
            maxout_measured, speed_measured, regions_measured, depth_measured, signal_measured, saturation_measured,
            learning_speed_measured]


# --- page ---------------------------------------------------------------------------------------------------


def go_to(tab: str) -> None:
    st.session_state[TAB_KEY] = tab


def show(index: int, lesson: Lesson) -> None:
    lesson = lesson.filled(lesson_facts())
    with st.container(border=True):
        title, action = st.columns([3, 1.3], vertical_alignment="center")
        title.subheader(f"{index + 1}. {lesson.title}")
        if action.button(f"Open in {lesson.preset.title}", key=f"lessons.open.{index + 1}", type="primary",
                         icon=":material/open_in_new:", width="stretch",
                         help="Opens the page with this lesson's settings already applied"):
            open_preset(lesson.preset)
        st.markdown(f"#### {lesson.claim}")
        st.markdown("**What the lab measured**")
        MEASURED[index]()
        look, misconception = st.columns([2, 3], gap="large")
        look.markdown(f"**Look at:** {lesson.look_at}")
        misconception.warning(f"**Misconception:** {lesson.misconception} {lesson.correction}",
                              icon=":material/lightbulb:")
    if index + 1 < len(LESSONS):
        st.button(f"Next: {LESSONS[index + 1].tab}", key=f"lessons.next.{index + 1}", type="tertiary",
                  icon=":material/arrow_forward:", icon_position="right", on_click=go_to,
                  args=(LESSONS[index + 1].tab,))


page_header(
    "Lessons",
    f"{len(LESSONS)} claims for a workshop, in order. Each shows the number the lab's engine measured "
    f"for it and a button that opens the experiment with its settings applied.",
    present,
)

tabs = st.tabs(TABS, key=TAB_KEY, bind="query-params")
for index, (tab, lesson) in enumerate(zip(tabs, LESSONS, strict=True)):
    if tab.open:  # only the open lesson runs its measurement
        with tab:
            show(index, lesson)
