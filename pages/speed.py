"""Speed: what each activation costs, alone and inside a whole network, measured on this server."""

import time

import pandas as pd
import streamlit as st

from core.engine.activations import ACTIVATIONS
from core.engine.mlp import HIDDEN_CHOICES, MAXOUT
from core.engine.training import TrainConfig
from core.lab.speed import CLOSE_TO_RELU, clearly_below, machine_info, network_epoch_costs, sweep_sizes, verdict
from core.settings import SPEED
from pages.ui import deep_charts as charts
from pages.ui.formats import ago, seconds
from pages.ui.notices import ignored_link_notice
from pages.ui.render import show
from pages.ui.session import cached_dataset
from pages.ui.settings_form import SettingsForm
from pages.ui.shared import shared_results
from pages.ui.shell import page_header, page_shell

present = page_shell()

BASE_SIZES = (1e3, 1e4, 1e5, 1e6)
LARGE_SIZE = 1e7
READING_SIZE = 10**6  # the size the text quotes
READING_DTYPE = "float32"
NETWORK_DATA = ("digits", 500, 0.0, 0.25, 0)  # a bundled set: 1,347 training rows of 64 features, 10 classes
NETWORK_DTYPE = "float32"  # as the live pages train
NETWORK_EPOCHS = 3
SHOWN_KEY = "speed.shown"  # the key of the measurement this session was last shown

MICRO_NAMES = list(ACTIVATIONS)
NETWORK_NAMES = list(HIDDEN_CHOICES)
MAXOUT_PIECES = TrainConfig(activation=MAXOUT).maxout_pieces
VERDICTS = {  # verdict (core.lab.speed.verdict) -> how the page names it
    "close": f"within {CLOSE_TO_RELU - 1:.0%} of ReLU (every repeat between {1 / CLOSE_TO_RELU:.2g}× and "
             f"{CLOSE_TO_RELU:g}×)",
    "costlier": f"costlier (every repeat over {CLOSE_TO_RELU:g}×)",
    "cheaper": f"cheaper (every repeat under {1 / CLOSE_TO_RELU:.2g}×)",
    "too close to call": f"too close to call (the repeats cross {1 / CLOSE_TO_RELU:.2g}× or {CLOSE_TO_RELU:g}×)",
}


def times(ratio: float) -> str:
    return f"{ratio:.3g}×"


def spread(row) -> str:
    """'1.31× (1.12–1.58)': the median ratio and, in brackets, the lowest and highest repeat's."""
    if row["low"] == row["high"]:
        return times(row["relative_to_relu"])
    return f"{times(row['relative_to_relu'])} ({row['low']:.3g}–{row['high']:.3g})"


def extreme(frame: pd.DataFrame, highest: bool):
    """The row with the lowest or highest median ratio among the rows other than ReLU."""
    others = frame[frame["activation"] != "relu"]
    return others.loc[others["relative_to_relu"].idxmax() if highest else others["relative_to_relu"].idxmin()]


def extremes(frame: pd.DataFrame) -> str:
    """'from 0.36× (0.33–0.40) for Linear (none) to 29.7× (…) for Softplus' over the rows other than ReLU."""
    low, high = extreme(frame, False), extreme(frame, True)
    return f"from {spread(low)} for {low['label']} to {spread(high)} for {high['label']}"


def bounds(row) -> tuple[float, float]:
    return row["low"], row["high"]


def measure(settings: tuple, report) -> dict:
    """Every measurement of the page; ``report(fraction, text)`` follows it."""
    repeats, include_large, width, batch_size = settings
    sizes = BASE_SIZES + ((LARGE_SIZE,) if include_large else ())
    micro_jobs = 2 * len(sizes) * repeats * len(MICRO_NAMES)  # ReLU is one of them: no extra reference
    total = micro_jobs + repeats * len(NETWORK_NAMES)
    micro = sweep_sizes(MICRO_NAMES, sizes, repeats=repeats,
                        progress=lambda done, _: report(done / total, "Timing each activation alone…"))
    network = network_epoch_costs(
        cached_dataset(*NETWORK_DATA), NETWORK_NAMES, (width, width), batch_size, epochs=NETWORK_EPOCHS,
        repeats=repeats, dtype=NETWORK_DTYPE,
        progress=lambda done, _: report((micro_jobs + done) / total, "Training a network per activation…"))
    return {"settings": settings, "micro": micro, "network": network}


def measured(key: tuple, since: float | None = None):
    """The measurement for ``key``, shared by every visitor (``SharedResults``): stored, or measured now with a
    progress bar, here or in another visitor's session (then this one waits for it and shows its progress)."""
    store = shared_results("speed")
    waiting = store.busy(key)
    bar = st.progress(0.0, text="Another visitor's measurement is under way; it will be shown here too…"
                      if waiting else "Timing each activation alone…")
    entry = store.get(key, lambda report: measure(key[1], report), since=since,
                      progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
    bar.empty()
    return entry


page_header(
    "Speed",
    "ReLU is cheap to compute: max(0, x) forward, a comparison backward. How cheap, next to the others — and how "
    "much of that survives inside a whole network? Everything below is timed on this server, once, and shared by "
    "every visitor until someone measures again.",
    present,
)

machine = machine_info()
blas = (f"{machine['blas']} {machine['blas_version']} ({machine['blas_threads']} threads)" if machine["blas"]
        else "BLAS not detected")
st.markdown(f":material/memory: **This server:** {machine['cores']} CPU cores · numpy {machine['numpy']} · {blas}")

form = SettingsForm("speed", SPEED)
form.panels(st.sidebar, {"Measurement": "measurement"})
values = form.finish()
ignored_link_notice(form.ignored)
settings = tuple(values[name] for name in ("repeats", "include_large", "width", "batch_size"))
key = (tuple(sorted(machine.items())), settings)

button_col, when_col = st.columns([1, 4], vertical_alignment="center")
again = button_col.button("Measure again", icon=":material/timer:", key="speed.measure", width="stretch",
                          help="Timings vary with the machine's load. This measures again, with these settings, "
                               "for every visitor.")
store = shared_results("speed")
shown = st.session_state.get(SHOWN_KEY)
if again:
    entry = measured(key, since=time.time())
elif store.latest(key) is None and shown is not None and store.latest(shown) is not None:
    entry = store.latest(shown)  # new settings: no surprise measurement; the button applies them
    key = shown
else:
    entry = measured(key)  # stored already, or the first visit: measure once for everyone
st.session_state[SHOWN_KEY] = key
results = entry.value
when_col.caption(f"Measured {ago(time.time() - entry.finished_at)} on this server, in "
                 f"{seconds(entry.seconds)}; every visitor sees these figures.")
st.caption(f"Each ratio below is the median over {entry.value['settings'][0]} repeats; in brackets, and as bars on "
           "the charts, the lowest and highest repeat's ratio: a wide bracket is a noisy figure.")
if results["settings"] != settings:
    st.info("The settings changed since this measurement. Press **Measure again** to measure with them.")
micro, network = results["micro"], results["network"]
measured_repeats = results["settings"][0]

# Each activation alone
st.subheader("Each activation alone")
left, right = st.columns(2)
show(left, charts.micro_chart(micro, MICRO_NAMES, "forward", measured_repeats), width="stretch")
show(right, charts.micro_chart(micro, MICRO_NAMES, "backward", measured_repeats), width="stretch")
at_size = micro[(micro["size"] == READING_SIZE) & (micro["dtype"] == READING_DTYPE)]
forward, backward = at_size[at_size["pass"] == "forward"], at_size[at_size["pass"] == "backward"]
smallest = micro[(micro["size"] == micro["size"].min()) & (micro["dtype"] == READING_DTYPE)]
small_top, large_top = extreme(smallest, True), extreme(at_size, True)
reading = (f"On $10^6$ {READING_DTYPE} elements, forward passes cost {extremes(forward)}, in ReLU's time; backward "
           f"passes {extremes(backward)}. On {int(smallest['size'].iloc[0]):,} elements the largest ratio is "
           f"{spread(small_top)} ({small_top['label']}'s {small_top['pass']} pass)")
if clearly_below(bounds(small_top), bounds(large_top)):
    reading += (f", below every repeat of the largest on $10^6$, {spread(large_top)}: on small arrays numpy's fixed "
                "cost per call is a large part of every function's time")
elif clearly_below(bounds(large_top), bounds(small_top)):
    reading += f", above every repeat of the largest on $10^6$, {spread(large_top)}"
else:
    reading += (f"; against the largest on $10^6$, {spread(large_top)}, the repeats overlap: which is larger is too "
                "close to call")
st.markdown(reading + ".")

# Inside a whole network
st.subheader("Inside a whole network")
n_layers = f"64 inputs → {results['settings'][2]} → {results['settings'][2]} → 10 classes"
network_names = [n for n in NETWORK_NAMES if n in set(network["activation"])]
show(st, charts.network_cost_chart(
    network, network_names, CLOSE_TO_RELU,
    f"Digits ({n_layers}), SGD in {NETWORK_DTYPE}, batch {results['settings'][3]}; {NETWORK_EPOCHS} epochs × "
    f"{measured_repeats} fresh networks. Bars: lowest to highest repeat."), width="stretch")
rows = network.set_index("activation")
elementwise = network[network["activation"] != MAXOUT]
with_activation = elementwise[elementwise["activation"] != "linear"]
groups: dict[str, list[str]] = {name: [] for name in VERDICTS}
for name, row in rows.iterrows():
    if name != "relu":
        groups[verdict(row["low"], row["high"])].append(f"{row['label']} {spread(row)}")
lines = [
    f"With an elementwise activation, a whole training epoch costs {extremes(with_activation)}, in ReLU's time. "
    f"The network with no activation at all (Linear) takes {spread(rows.loc['linear'])}: that part — matrix "
    "products, loss, the optimiser's update and Python's work per batch — is the same for every activation.",
    "Judged by every repeat, not by the median alone — " + "; ".join(
        f"{VERDICTS[group]}: {', '.join(members) or 'none'}" for group, members in groups.items()
        if members or group == "close") + ".",
]
if MAXOUT in rows.index:
    lines.append(f"Maxout is not elementwise: each unit takes the max of k = {MAXOUT_PIECES} affine pieces, so its "
                 f"hidden layers' matrix products are {MAXOUT_PIECES} times as wide.")
widest_alone, widest_network = extreme(at_size, True), extreme(elementwise, True)
if clearly_below(bounds(widest_network), bounds(widest_alone)):
    lines.append(f"So the network dilutes the activation's cost: the widest gap alone, {spread(widest_alone)} "
                 f"({widest_alone['label']}'s {widest_alone['pass']} pass), becomes {spread(widest_network)} per "
                 f"epoch ({widest_network['label']}): every repeat of the second is below every repeat of the first.")
else:
    lines.append(f"The widest gap alone, {spread(widest_alone)} ({widest_alone['label']}), and per epoch, "
                 f"{spread(widest_network)} ({widest_network['label']}), overlap in their repeats: whether the "
                 "network dilutes it here is too close to call.")
if any(verdict(row["low"], row["high"]) == "costlier" for _, row in with_activation.iterrows()):
    lines.append("The costlier elementwise ones still show because f and f′ run as numpy elementwise functions, "
                 "each a separate pass over a layer's values, on every mini-batch and in every per-epoch "
                 "measurement: the matrix products do not hide them.")
st.markdown("\n".join(f"- {line}" for line in lines))

with st.expander("Absolute times"):
    table = micro[micro["size"] == micro["size"].max()].pivot_table(
        index="label", columns=["dtype", "pass"], values="seconds", sort=False) * 1e6
    st.dataframe(table.style.format("{:,.1f} µs"), width="stretch")
    st.caption(f"Median time for one pass over {int(micro['size'].max()):,} elements. Backward is f′ (computed from "
               "the forward output where that is cheaper, as backprop does) times the upstream gradient.")
