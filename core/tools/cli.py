"""The lab from a terminal: ``python -m core.tools.cli compare ...`` and ``python -m core.tools.cli sweep ...``.

``compare`` builds the same ``core.settings.Experiment`` the Training Arena builds from its
widgets and trains it with ``train_many``; ``sweep`` runs a grid of such experiments (depth x
width x learning rate, each cell one ``train_many`` over activations x seeds) through joblib, so
the grid can run on local processes or, with joblib's Dask or Ray backends, on a cluster
(``core.tools.scale_out`` sends the package to the workers).
Both write the tidy long CSV of ``core.io.history`` (``core.io.history_csv.history_csv``).

Bad arguments exit with status 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from core.engine.training import train_many
from core.io.config import config_json
from core.io.history import records_to_frame
from core.io.history_csv import history_csv
from core.lab.summary import column_help, display_table, epochs_column, summary, target_of
from core.settings import EXPERIMENT, UPLOAD, Experiment, Setting
from core.tools.scale_out import BACKENDS, CLUSTER_BACKENDS, parallel, portable

DEFAULTS = Experiment()
SWEEP_COLUMNS = ("depth", "width", "lr")

COMPARE_COMMAND = """\
  python -m core.tools.cli compare --dataset moons --activations relu,sigmoid,tanh --seeds 5 --epochs 200 \\
      --out runs.csv --config-out config.json"""
SWEEP_COMMAND = """\
  python -m core.tools.cli sweep --dataset moons --activations relu,tanh --depths 1,2,4 --widths 8,16 \\
      --lrs 0.01,0.1 --seeds 3 --epochs 50 --out sweep.csv --jobs 2"""
DASK_COMMANDS = """\
               dask scheduler --port 8786                                  # one machine
               dask worker tcp://HOST:8786 --nworkers 2 --nthreads 1       # each machine
               python -m core.tools.cli sweep --backend dask --scheduler tcp://HOST:8786 \\
                   --depths 1,2,4 --widths 8,16 --lrs 0.01,0.1 --out sweep.csv"""

MAIN_EPILOG = f"""\
examples:
{COMPARE_COMMAND}
{SWEEP_COMMAND}

Run 'python -m core.tools.cli compare --help' or 'python -m core.tools.cli sweep --help' for every option."""

COMPARE_EPILOG = f"""\
example:
{COMPARE_COMMAND}

The CSV is tidy and long (one row per epoch, run, layer and metric: epoch, run, activation, seed, layer,
metric, value, diverged); the config JSON loads back with core.io.config.experiment_from_json and is the
same experiment the Training Arena runs."""

SWEEP_EPILOG = f"""\
example:
{SWEEP_COMMAND}

Each grid cell (depth, width, lr) is one train_many call over activations x seeds, with hidden layers
(width,) * depth. The CSV adds the columns depth, width and lr; run numbers are unique over the whole
sweep (cell index * runs per cell + run within the cell).

backends (joblib):
  loky       local worker processes (the default)
  threading  threads in this process
  dask       a dask.distributed cluster: --scheduler ADDRESS connects to its scheduler, or, when calling
             core.tools.cli.main() from Python, the Client already made in this process is used:
               from dask.distributed import Client; Client(...)
             The package core is zipped and sent to every worker (Client.upload_file); the workers need the
             runtime dependencies (pip install -r requirements.txt) installed. For example:
{DASK_COMMANDS}
  ray        a Ray cluster: Ray connects to the cluster in RAY_ADDRESS (or starts a local one) and the CLI calls
             ray.util.joblib.register_ray() itself; core is sent to the workers with ray.init's
             runtime_env={{"py_modules": [...]}} (unless Ray was already started in this process).
--jobs defaults to 1 on loky and threading, and to -1 (every worker thread of the cluster) on dask and ray.
Neither dask nor ray is a dependency of ReLU Lab; a backend joblib cannot use exits with a message."""


class ProgressBar:
    """A one-line text progress bar on stderr (no dependency): ``label [#####.....] 12/200``.

    It redraws only when the bar grows, so a redirected stderr gets a few dozen updates, not thousands.
    """

    def __init__(self, total: int, label: str, stream=None, width: int = 30, enabled: bool = True):
        self.total, self.label, self.width, self.enabled = max(total, 1), label, width, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._drawn: int | None = None  # filled characters last drawn

    def update(self, done: int) -> None:
        self.done = min(done, self.total)
        filled = round(self.width * self.done / self.total)
        if self.enabled and (filled != self._drawn or self.done == self.total):
            self._drawn = filled
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# --- argument parsing -----------------------------------------------------------------------------


def _list_of(convert: Callable, what: str) -> Callable[[str], tuple]:
    """An argparse type for comma-separated values, each converted; duplicates and blanks refused."""

    def parse(text: str) -> tuple:
        items = [item.strip() for item in text.split(",")]
        if not text.strip() or any(not item for item in items):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}, got {text!r}")
        try:
            values = tuple(convert(item) for item in items)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}, got {text!r}") from None
        if len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"each value may appear once, got {text!r}")
        return values

    return parse


def _positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or not value > 0:
        raise ValueError(text)
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"--jobs must be a whole number >= 1, or -1 for every CPU; got {text!r}")
    return value


_floats = _list_of(_positive_float, "positive numbers")


GROUPS = {"data": "data", "network": "model", "training": "training"}
GRID_SETTINGS = ("hidden_layers", "learning_rate")  # a sweep sets these per grid cell (--depths, --widths, --lrs)


def _setting_type(setting: Setting) -> Callable[[str], object]:
    """An argparse type that reads a setting's text as links do (registry names or labels, comma lists)."""

    def parse(text: str):
        try:
            return setting.parse_text(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = setting.name  # argparse names the type in its messages
    return parse


def _add_experiment_arguments(parser: argparse.ArgumentParser, *, grid: bool) -> argparse._ArgumentGroup:
    """One flag per row of core.settings.EXPERIMENT (the same table the pages' widgets and links come from);
    ``grid`` leaves hidden layers and learning rate to the sweep's grid flags."""
    groups = {group: parser.add_argument_group(title) for group, title in GROUPS.items()}
    for setting in EXPERIMENT:
        if setting.view or (grid and setting.name in GRID_SETTINGS):  # the command line draws nothing
            continue
        default = ",".join(setting.to_text(setting.default))
        groups[setting.group].add_argument(
            setting.cli, dest=setting.name, type=_setting_type(setting), default=setting.default,
            metavar=setting.name.upper(), help=f"{setting.help or setting.label} [{setting.expected()}; default "
                                               f"{default}]".replace("%", "%%"))
    out = parser.add_argument_group("output")
    out.add_argument("--out", required=True, type=Path, metavar="CSV", help="where to write the tidy history CSV")
    out.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.tools.cli",
        description="ReLU Lab from the terminal: train activations side by side (compare) or over a grid (sweep).",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{compare,sweep}")
    formatter = argparse.RawDescriptionHelpFormatter
    compare = commands.add_parser(
        "compare", help="train several activations side by side and summarise them",
        description="Train several activations side by side on identical data, initial draws and batches (the "
                    "Training Arena's experiment), print a summary over seeds and write the tidy history CSV.",
        epilog=COMPARE_EPILOG, formatter_class=formatter)
    compare.set_defaults(handler=run_compare, parser=compare)  # the subparser, so errors name the command
    _add_experiment_arguments(compare, grid=False).add_argument(
        "--config-out", type=Path, metavar="JSON",
        help="also write the experiment as JSON (core.io.config.config_json)")
    sweep = commands.add_parser(
        "sweep", help="train activations over a grid of depths, widths and learning rates",
        description="Train activations x seeds over a grid of depth x width x learning rate with joblib and write "
                    "one tidy CSV with the extra columns depth, width and lr.",
        epilog=SWEEP_EPILOG, formatter_class=formatter)
    sweep.set_defaults(handler=run_sweep, parser=sweep)
    _add_experiment_arguments(sweep, grid=True)
    grid = sweep.add_argument_group("grid")
    grid.add_argument("--depths", type=_list_of(int, "depths"), default=(len(DEFAULTS.hidden_layers),),
                      metavar="D1,D2,...", help="numbers of hidden layers (default 2)")
    grid.add_argument("--widths", type=_list_of(int, "widths"), default=(DEFAULTS.hidden_layers[0],),
                      metavar="W1,W2,...", help="units per hidden layer (default 16)")
    grid.add_argument("--lrs", type=_floats, default=(DEFAULTS.learning_rate,), metavar="LR1,LR2,...",
                      help=f"learning rates (default {DEFAULTS.learning_rate})")
    grid.add_argument("--jobs", type=_jobs, default=None,
                      help="grid cells run at once; -1 for every CPU or worker thread "
                           "(default 1 on loky and threading, -1 on dask and ray)")
    grid.add_argument("--backend", default="loky", choices=BACKENDS, help="joblib backend (default loky; see below)")
    grid.add_argument("--scheduler", metavar="ADDRESS",
                      help="dask only: connect a dask.distributed Client to this scheduler address first")
    return parser


def _experiment(args: argparse.Namespace, **changes) -> Experiment:
    """The Experiment these arguments describe (with ``changes``, e.g. a sweep's grid cell); ValueError, with the
    table's own message, when the combination is not valid."""
    experiment = Experiment(**{**{s.name: getattr(args, s.name) for s in EXPERIMENT if hasattr(args, s.name)},
                               **changes})
    if experiment.dataset == UPLOAD:
        raise ValueError("--dataset upload is the Arena's own table; the command line trains a named dataset")
    return experiment


def _check_writable(parser: argparse.ArgumentParser, *paths: Path | None) -> None:
    """Fail before training, not after: every output's folder must exist."""
    for path in paths:
        if path is not None and (path.is_dir() or not path.resolve().parent.is_dir()):
            parser.error(f"cannot write {str(path)!r}: its folder does not exist or it is a folder")


# --- running --------------------------------------------------------------------------------------


def run_experiment(experiment: Experiment, progress: ProgressBar | None = None, dataset=None) -> pd.DataFrame:
    """Train every config of ``experiment`` with ``train_many`` (on ``dataset``, by default its own data); the
    tidy history frame."""
    trainer = train_many(experiment.load_data() if dataset is None else dataset, experiment.configs())
    records = []
    for epoch_records in trainer:
        records.extend(epoch_records)
        if progress is not None:
            progress.update(trainer.epoch + 1)
    return records_to_frame(records)


def sweep_cells(base: Experiment, depths: Sequence[int], widths: Sequence[int],
                learning_rates: Sequence[float]) -> list[tuple[tuple[int, int, float], Experiment]]:
    """((depth, width, lr), Experiment) for every grid cell, depth-major; ValueError for an invalid cell."""
    return [((depth, width, lr), replace(base, hidden_layers=(width,) * depth, learning_rate=lr))
            for depth, width, lr in itertools.product(depths, widths, learning_rates)]


def _sweep_cell(index: int, cell: tuple[int, int, float], settings: dict) -> pd.DataFrame:
    """One grid cell (runs in a joblib worker): its history with unique run numbers and the grid columns.
    ``settings`` is the cell's ``Experiment.to_dict()``: plain data, which a Dask scheduler can unpickle without
    importing ``core`` (it unpickles every task it schedules)."""
    experiment = Experiment.from_dict(settings)
    frame = run_experiment(experiment)
    frame["run"] += index * len(experiment.configs())
    for name, value in zip(SWEEP_COLUMNS, cell, strict=True):
        frame[name] = value
    return frame.astype({"depth": "int64", "width": "int64", "lr": "float64"})


def _print_table(table: pd.DataFrame, definitions: dict[str, str] | None = None) -> None:
    """A summary as the pages show it (labels, percentages, "not reached", no NaN), then what each column means."""
    print(table.to_string(index=False))
    for column, text in (definitions or {}).items():
        print(f"  {column}: {text}")


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def run_compare(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        experiment = _experiment(args)
    except ValueError as err:
        parser.error(str(err))
    _check_writable(parser, args.out, args.config_out)
    progress = ProgressBar(experiment.epochs + 1, "epochs", enabled=not args.quiet)
    dataset = experiment.load_data()
    frame = run_experiment(experiment, progress, dataset)
    progress.close()
    table = summary(frame, dataset)
    _print_table(display_table(table), column_help(display_table(table)))
    _write(args.out, history_csv(frame))
    if args.config_out is not None:
        _write(args.config_out, config_json(experiment))
    return 0


def run_sweep(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from joblib import delayed

    jobs = args.jobs if args.jobs is not None else -1 if args.backend in CLUSTER_BACKENDS else 1
    with contextlib.ExitStack() as stack:
        try:
            base = _experiment(args, hidden_layers=(args.widths[0],) * args.depths[0], learning_rate=args.lrs[0])
            cells = sweep_cells(base, args.depths, args.widths, args.lrs)
            _check_writable(parser, args.out)
            run = stack.enter_context(parallel(jobs, args.backend, args.scheduler))
        except ValueError as err:
            parser.error(str(err))
        progress = ProgressBar(len(cells), "grid cells", enabled=not args.quiet)
        frames, summaries = [], []
        task = portable(_sweep_cell)
        tasks = (delayed(task)(i, cell, experiment.to_dict()) for i, (cell, experiment) in enumerate(cells))
        for done, frame in enumerate(run(tasks), start=1):
            frames.append(frame)
            table = summary(frame)
            shown = display_table(table).rename(columns={epochs_column(target_of(table)): "epochs to target"})
            # each cell's own target, from its own runs, named beside the epochs it took
            shown.insert(list(shown.columns).index("epochs to target"), "target", target_of(table).text)
            for position, name in enumerate(SWEEP_COLUMNS):
                shown.insert(position, name, frame[name].iloc[0])
            summaries.append(shown)
            progress.update(done)
        progress.close()
    _print_table(pd.concat(summaries, ignore_index=True))
    _write(args.out, history_csv(pd.concat(frames, ignore_index=True)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (argparse exits with 2 on bad arguments)."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, args.parser)
    except OSError as err:  # e.g. the disk filled up while writing
        print(f"python -m core.tools.cli {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\npython -m core.tools.cli {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
