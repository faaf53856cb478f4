"""Speed: what each activation costs, alone and inside a whole network, measured on this server."""

import pandas as pd
import streamlit as st

from core.engine.activations import ACTIVATIONS
from core.engine.mlp import HIDDEN_CHOICES, MAXOUT
from core.lab.speed import machine_info, network_epoch_costs, sweep_sizes
from core.settings import SPEED
from pages.ui import deep_charts as charts
from pages.ui.palette import label
from pages.ui.render import show
from pages.ui.session import cached_dataset
from pages.ui.settings_form import SettingsForm
from pages.ui.shell import page_header, page_shell

present = page_shell()

BASE_SIZES = (1e3, 1e4, 1e5, 1e6)
LARGE_SIZE = 1e7
READING_SIZE = 10**6  # the size the text quotes
READING_DTYPE = "float32"
NETWORK_DATA = ("digits", 500, 0.0, 0.25, 0)  # a bundled set: 1,347 training rows of 64 features, 10 classes
NETWORK_EPOCHS = 2
MAX_NETWORK_REPEATS = 2
CLOSE_TO_RELU = 1.25  # "about as fast as ReLU" in a network: within 25 %
RESULTS_KEY = "speed.results"

MICRO_NAMES = list(ACTIVATIONS)
NETWORK_NAMES = list(HIDDEN_CHOICES)


def times(ratio: float) -> str:
    return f"{ratio:.2f}×"


def extremes(frame: pd.DataFrame, column: str = "relative_to_relu") -> str:
    """'from 0.36× (Linear (none)) to 29.7× (Softplus)' over the rows other than ReLU."""
    others = frame[frame["activation"] != "relu"]
    low, high = others.loc[others[column].idxmin()], others.loc[others[column].idxmax()]
    return f"from {times(low[column])} ({low['label']}) to {times(high[column])} ({high['label']})"


def measure(settings: tuple) -> dict:
    """Every measurement of the page, with a progress bar; returns what the page keeps in session state."""
    repeats, include_large, width, batch_size = settings
    sizes = BASE_SIZES + ((LARGE_SIZE,) if include_large else ())
    network_repeats = min(repeats, MAX_NETWORK_REPEATS)
    micro_jobs = 2 * len(sizes) * len(MICRO_NAMES)
    total = micro_jobs + network_repeats * len(NETWORK_NAMES)
    bar = st.progress(0.0, text="Timing each activation alone…")
    micro = sweep_sizes(MICRO_NAMES, sizes, repeats=repeats,
                        progress=lambda done, _: bar.progress(done / total, text="Timing each activation alone…"))
    network = network_epoch_costs(
        cached_dataset(*NETWORK_DATA), NETWORK_NAMES, (width, width), batch_size, epochs=NETWORK_EPOCHS,
        repeats=network_repeats,
        progress=lambda done, _: bar.progress((micro_jobs + done) / total, text="Training a network per activation…"))
    bar.empty()
    return {"settings": settings, "micro": micro, "network": network, "network_repeats": network_repeats}


page_header(
    "Speed",
    "ReLU is cheap to compute: max(0, x) forward, a comparison backward. How cheap, next to the "
    "others — and how much of that survives inside a whole network? Everything below is timed on this "
    "server, now.",
    present,
)

machine = machine_info()
blas = (f"{machine['blas']} {machine['blas_version']} ({machine['blas_threads']} threads)" if machine["blas"]
        else "BLAS not detected")
st.markdown(f":material/memory: **This server:** {machine['cores']} CPU cores · numpy {machine['numpy']} · {blas}")

form = SettingsForm("speed", SPEED)
form.panels(st.sidebar, {"Measurement": "measurement"})
values = form.finish()
repeats, include_large, width, batch_size = (values[name] for name in ("repeats", "include_large", "width",
                                                                        "batch_size"))
settings = (repeats, include_large, width, batch_size)

remeasure = st.button("Re-measure", icon=":material/timer:", key="speed.measure",
                      help="Timings vary with the machine's load; measure again to see how much.")
if remeasure or RESULTS_KEY not in st.session_state:
    st.session_state[RESULTS_KEY] = measure(settings)
results = st.session_state[RESULTS_KEY]
if results["settings"] != settings:
    st.info("The settings changed since this measurement. Press **Re-measure** to apply them.")
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
small_max, large_max = smallest["relative_to_relu"].max(), at_size["relative_to_relu"].max()
reading = (f"On $10^6$ {READING_DTYPE} elements, forward passes cost {extremes(forward)} ReLU's time; backward "
           f"passes {extremes(backward)}. On {int(smallest['size'].iloc[0]):,} elements the largest ratio is "
           f"{times(small_max)}")
if small_max < large_max:
    reading += ": on small arrays numpy's fixed cost per call is a large part of every function's time"
st.markdown(reading + ".")

# Inside a whole network
st.subheader("Inside a whole network")
n_layers = f"64 inputs → {width} → {width} → 10 classes"
network_names = [n for n in NETWORK_NAMES if n in set(network["activation"])]
show(st, charts.network_cost_chart(
    network, network_names,
    f"Digits ({n_layers}), SGD, batch {results['settings'][3]}; median over {NETWORK_EPOCHS} epochs × "
    f"{results['network_repeats']} fresh networks."), width="stretch")
by_name = network.set_index("activation")["relative_to_relu"]
elementwise = network[network["activation"] != MAXOUT]
close = [label(a) for a, r in by_name.items() if a != "relu" and r <= CLOSE_TO_RELU]
costly = [f"{label(a)} ({times(r)})" for a, r in by_name.items() if r > CLOSE_TO_RELU]
alone = at_size.groupby("activation")["relative_to_relu"].mean()
lines = [
    f"A whole training epoch costs {extremes(elementwise)} ReLU's. The network with no activation at all "
    f"(Linear) takes {times(by_name['linear'])} ReLU's time: that part — matrix products, loss, the "
    "optimiser's update and Python's work per batch — is the same for every activation.",
    f"Within {CLOSE_TO_RELU - 1:.0%} of ReLU here: {', '.join(close) if close else 'none'}. "
    f"Costlier: {', '.join(costly) if costly else 'none'}.",
]
if MAXOUT in by_name:
    lines.append("Maxout is not elementwise: each unit takes the max of k = 2 linear pieces, so its hidden "
                 "matrix products are twice as wide.")
widest_alone, widest_network = alone.max(), elementwise["relative_to_relu"].max()
if widest_network < widest_alone:
    lines.append(f"So the network dilutes the activation's cost: the widest gap alone, {times(widest_alone)} "
                 f"(forward and backward averaged), becomes {times(widest_network)} per epoch. Elementwise functions "
                 "that need exp, log or erf still show: numpy runs each elementwise step as its own pass over "
                 "memory.")
st.markdown("\n".join(f"- {line}" for line in lines))

with st.expander("Absolute times"):
    table = micro[micro["size"] == micro["size"].max()].pivot_table(
        index="label", columns=["dtype", "pass"], values="seconds", sort=False) * 1e6
    st.dataframe(table.style.format("{:,.1f} µs"), width="stretch")
    st.caption(f"Median time for one pass over {int(micro['size'].max()):,} elements. Backward is f′ (computed from "
               "the forward output where that is cheaper, as backprop does) times the upstream gradient.")
