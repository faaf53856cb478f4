"""Every cap in one place, the one estimate of an engine call's work, and the checks every validator shares.

A shared deployment trains and reads files for strangers: each cap bounds the memory and time one request can
cost. Each size has its own cap; sizes multiply, so one computation's total work has a cap too (``MAX_WORK``),
estimated and checked before anything expensive starts. Readers of user files check their caps before they
decompress, parse or build arrays.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from numbers import Integral, Real

# --- networks and training (TrainConfig, Experiment) -------------------------------------------------------
MAX_DEPTH = 32  # hidden layers
MAX_WIDTH = 512  # units per hidden layer
MAX_HIDDEN_UNITS = 4096  # hidden units in all (depth x width)
MAX_EPOCHS = 5000
MAX_BATCH_SIZE = 100_000
MAX_LEARNING_RATE = 1e4
MAX_L2 = 10.0
MAX_L1 = 10.0  # as MAX_L2; l1 * sign(w) moves every weight lr * l1 a step, whatever its size
MAX_ABS_BIAS_INIT = 100.0
MAX_ALPHA = 10.0  # Leaky ReLU's slope for x < 0, ELU's alpha
MIN_MAXOUT_PIECES, MAX_MAXOUT_PIECES = 2, 8
MAX_SEED = 2**32 - 1  # numpy's and scikit-learn's random_state limit
MAX_SEEDS = 10  # seeds per activation in one experiment
MAX_RUNS = 120  # configs in one train_many call (activations x seeds)

# --- datasets -----------------------------------------------------------------------------------------------
MIN_SAMPLES, MAX_SAMPLES = 20, 100_000  # generated sets
MAX_NOISE = 5.0
MIN_TEST_SIZE, MAX_TEST_SIZE = 0.05, 0.9
MIN_ROWS = 10  # a user's table
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_FEATURES = 1_000  # after one-hot encoding
MAX_ABS_VALUE = 1e12  # beyond this, float64 training loses all precision: the data is almost surely wrong
MAX_ONE_HOT_LEVELS = 10  # a text column with more distinct values is refused, not one-hot encoded
MAX_CLASSES = 512  # classes of a classifier (or regression targets): its output layer's width

# --- decision surfaces --------------------------------------------------------------------------------------
MAX_GRID = 200  # grid points per axis; a surface has MAX_GRID**2 cells at most

# --- the network diagram ------------------------------------------------------------------------------------
# A diagram is read unit by unit: beyond 8 units a column of thumbnails no longer fits a screen's height, and beyond
# 6 hidden layers its width. The units and layers left out are counted on the diagram ("+N more").
MAX_DIAGRAM_UNITS = 8  # units drawn per layer (inputs and outputs too)
MAX_DIAGRAM_LAYERS = 6  # hidden layers drawn

# --- files a user sends -------------------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 10 * 2**20  # a CSV; matches server.maxUploadSize = 10 (MB) in .streamlit/config.toml
MAX_CONFIG_CHARS = 100_000  # an experiment JSON is a few hundred characters
MAX_CONFIG_BYTES = 4 * MAX_CONFIG_CHARS  # an opened config file, before it is decoded: UTF-8 is 1-4 bytes a character
MAX_HISTORY_CSV_CHARS = 200_000_000  # a long run of many seeds is tens of MB; beyond this it is not ours
# The history's 8 columns, a sweep's 3 and room for a few of the user's own: every extra column is inferred value by
# value, and a header of a million names would have pandas build a million columns before anything else is checked.
MAX_HISTORY_COLUMNS = 64
# Reading a CSV, the delimiter is guessed from the first records within this many characters: enough for a header of
# MAX_COLUMNS long names and a few rows; the guess costs the same however large the file.
DELIMITER_SAMPLE_CHARS = 64 * 1024
DELIMITER_SAMPLE_RECORDS = 20
# The largest network training accepts (1000 inputs, 8 maxout layers of 512 units x 8 pieces) has about 19
# million parameters; 20 million admits every one of them and nothing much bigger.
MAX_PARAMETERS = 20_000_000
MAX_NPZ_BYTES = 8 * MAX_PARAMETERS + 1_000_000  # float64 uncompressed plus headers and meta
MAX_NPZ_MEMBERS = 2 * (MAX_DEPTH + 1) + 1  # W0..Wn, b0..bn, meta
# A weights file's meta: its settings, and (version 2) the names and scaler of up to MAX_FEATURES inputs and
# MAX_CLASSES classes, a few hundred thousand characters at the most for a table's long column names.
MAX_META_CHARS = 1_000_000
# JSON weights are the readable format for teaching-sized networks; 50 MB of text is about 2 million numbers,
# and parsing it into Python lists costs several times that in memory. Bigger: use .npz.
MAX_WEIGHTS_JSON_CHARS = 50_000_000

# --- work: the one estimate and check every heavy engine call uses ------------------------------------------
# The caps above bound each size alone; the cost of one computation is their product (networks x rows x depth x
# width² x epochs), so it has a cap of its own. Work is counted in multiply-adds of the matrix products (forward
# and backward), with the engine's other costs counted as their equivalent: the elementwise steps on a layer's
# outputs (ELEMENTWISE_WORK per value), a mini-batch smaller than SMALL_BATCH_ROWS rows (it costs about as much as
# one of that many rows) and the Python overhead of a mini-batch step (STEP_WORK per layer and activation).
# Measured on a 2-core server (one BLAS thread; 55 kinds of training epoch: widths 16-256, depths 2-8, batches 1 to
# full, 1 to 30 runs, every activation; and dying_at_init, snapshot and the gradients at init near the cap): the
# engine does 7e9 (GELU, softplus) to 2.5e10 (wide ReLU) of it a second, median 1.7e10, so MAX_WORK is 0.8 to 2.8 s
# of one engine call: a page rerun makes at most three such calls, and the defaults and lessons of the lab need at
# most half of it. (Other values of the three constants below fit those measurements no better: none narrows the
# spread of that rate below 3.3x.)
MAX_WORK = 2e10  # per engine call: a measurement at init, a press of Train, one epoch of a live run
ELEMENTWISE_WORK = 20
SMALL_BATCH_ROWS = 16
STEP_WORK = 1e5

_LARGEST_FLOAT_INT = int(sys.float_info.max)


# --- the checks every validator shares ------------------------------------------------------------------------


def check(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition``."""
    if not condition:
        raise ValueError(message)


def is_whole(value) -> bool:
    """A whole number (Python or numpy integer), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite real number (integers included), not a bool. An integer too large for a float is not one: it
    cannot be converted, and no setting of the lab is anywhere near it."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    if isinstance(value, Integral):
        return abs(int(value)) <= _LARGEST_FLOAT_INT
    return math.isfinite(value)


def format_work(work: float) -> str:
    """A work figure as the messages print it: 3.1e11, 5e9."""
    mantissa, exponent = f"{work:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def check_work(work: float, what: str, advice: str, cap: float = MAX_WORK) -> float:
    """``work`` when it is within ``cap``; otherwise a ValueError saying what would cost how much, and what to
    change: "<what> would need about 3.1e11 multiply-adds, over the cap of 5e9 per request: <advice>."."""
    if not work <= cap:  # NaN is over the cap too
        raise ValueError(f"{what} would need about {format_work(work)} multiply-adds, over the cap of "
                         f"{format_work(cap)} per request (MAX_WORK): {advice}.")
    return work


def dense_work(sizes: Sequence[int], pieces: int | Sequence[int] = 1) -> int:
    """Work of one row's forward pass through dense layers of ``sizes`` (inputs, hidden..., outputs): the
    multiply-adds of the matrix products and ELEMENTWISE_WORK per hidden value. ``pieces`` (one for all hidden
    layers, or one per layer): a maxout layer of k pieces computes k values per unit."""
    sizes = [int(s) for s in sizes]
    n_hidden = len(sizes) - 2
    pieces = [int(pieces)] * n_hidden if is_whole(pieces) else [int(p) for p in pieces]
    check(len(pieces) == n_hidden, f"Got {len(pieces)} piece counts for {n_hidden} hidden layers.")
    hidden = sum(width * k for width, k in zip(sizes[1:-1], pieces, strict=True))
    products = sum(a * b * k for a, b, k in zip(sizes[:-1], sizes[1:], [*pieces, 1], strict=True))
    return products + ELEMENTWISE_WORK * hidden
