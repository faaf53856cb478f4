"""Reports for people, never read back: Markdown (title, settings, summary table, PNG charts) and HTML (the same,
with the run's charts drawn in as SVG images, so the file shows everything offline).

Both speak as the app does: activations, optimizers, inits and datasets by their display labels (ReLU, Adam), the
summary's numbers in the Arena's formats (73.3%, not 0.7333; a dash for no value).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.io.strict import fail
from core.lab.summary import display_table
from core.settings import EXPERIMENT, UPLOAD, Experiment

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- reports: what the Markdown and HTML reports share --------------------------------------------
NO_VALUE = "–"  # what the Arena's summary shows for a missing value (no seed finished, a diverged run)
UPLOADED_TITLE = "your own table (CSV)"  # a report's title names the data; an upload has no registry name


def _setting_text(name: str, value) -> str:
    """One setting as the Arena shows it, from the settings table itself: labels for names (ReLU, Adam), numbers
    as written (0.1, 1e-05), lists joined."""
    if name in EXPERIMENT:
        return EXPERIMENT[name].display(EXPERIMENT[name].check(value))
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def dataset_title(experiment: Experiment) -> str:
    """The experiment's data as the app names it: the dataset's label, or an upload by what it is."""
    return UPLOADED_TITLE if experiment.dataset == UPLOAD else _setting_text("dataset", experiment.dataset)


def _cell_text(value) -> str:
    """One summary cell's text (a core.lab.summary table arrives already formatted): numbers to 4 significant
    digits, NaN and None as a dash, lists joined."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return NO_VALUE
        return f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is None or value is pd.NA:
        return NO_VALUE
    return str(value)


@dataclass(frozen=True)
class _ReportContent:
    """What every report says, as raw text; each format escapes it its own way."""

    title: str
    labels: str  # the activations' labels, comma-separated
    seeds: int
    settings: list[tuple[str, str]]  # (setting, value as shown)
    summary_header: list[str]
    summary_rows: list[list[str]]  # empty: no results
    numeric_columns: list[bool]  # per summary column: numbers, right-aligned in HTML

    def description(self, labels: str) -> str:
        """The one-sentence description, around ``labels`` already escaped for the format."""
        return (f"{labels} trained side by side on identical data, initial draws and batches, "
                f"over {self.seeds} seed(s).")


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _report_content(experiment: Experiment, summary_frame: pd.DataFrame | None) -> _ReportContent:
    if not isinstance(experiment, Experiment):
        fail(f"Expected an Experiment, got {type(experiment).__name__}.")
    if summary_frame is not None and not isinstance(summary_frame, pd.DataFrame):
        fail(f"Expected the summary as a DataFrame, got {type(summary_frame).__name__}.")
    empty = summary_frame is None or summary_frame.empty
    formatted = not empty and "label" in summary_frame.columns  # a core.lab.summary table
    if formatted:  # shown as the Arena shows it: labels, percentages, "not reached"
        summary_frame = display_table(summary_frame)
    header = [] if empty else [str(c) for c in summary_frame.columns]
    rows = [] if empty else summary_frame.to_numpy(dtype=object).tolist()
    return _ReportContent(
        title=dataset_title(experiment),
        labels=_setting_text("activations", experiment.activations), seeds=experiment.seeds,
        settings=[(name, _setting_text(name, value)) for name, value in experiment.to_dict().items()],
        summary_header=header,
        summary_rows=[[_cell_text(value) for value in row] for row in rows],
        numeric_columns=[i > 0 if formatted else bool(rows) and all(_is_number(row[i]) or row[i] is None
                                                                        for row in rows)
                         and any(_is_number(row[i]) for row in rows) for i in range(len(header))])


# --- Markdown report ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """One Markdown table cell: backslashes and pipes escaped, on one line."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(experiment: Experiment, summary_frame: pd.DataFrame,
                    chart_pngs: dict[str, bytes] | None = None) -> str:
    """A short Markdown report: title, the settings, the summary table and charts (PNG, as data URIs).

    Deterministic (no date): the same inputs give the same text. ``summary_frame`` is
    ``core.io.history.summary`` output, shown in the Arena's formats (any DataFrame is tabulated, its other
    numbers to 4 significant digits); settings show the app's labels (ReLU, Adam).
    """
    content = _report_content(experiment, summary_frame)
    parts = [f"# ReLU Lab report: {_cell(content.title)}", "", content.description(_cell(content.labels)), "",
             "## Settings", "", _table(["setting", "value"], content.settings), "", "## Summary", ""]
    if content.summary_rows:
        parts.append(_table(content.summary_header, content.summary_rows))
    else:
        parts.append("No results.")
    for name, png in (chart_pngs or {}).items():
        if not isinstance(png, bytes | bytearray) or not bytes(png).startswith(_PNG_SIGNATURE):
            fail(f"Chart {name!r} is not PNG bytes.")
        alt = str(name).replace("[", "(").replace("]", ")").replace("\n", " ")
        encoded = base64.b64encode(bytes(png)).decode("ascii")
        parts += ["", f"## {alt}", "", f"![{alt}](data:image/png;base64,{encoded})"]
    return "\n".join(parts) + "\n"


# --- HTML report ----------------------------------------------------------------------------------
# One self-contained page with no script and no link out: each chart's Vega-Lite spec is drawn here, by
# vl-convert (Vega and Vega-Lite compiled into a Python extension, no browser, no network), into an SVG that
# the page holds as an <img> data URI. An SVG shown as an image runs no script and loads nothing, so text
# from the data (titles, labels) cannot act, and the page shows the same offline as online.

# The Vega and vega-embed versions a browser would load for these specs (Altair 6's own HTML output's). The
# charts are drawn here with the Vega that vl-convert bundles, so they are accepted (and checked) for callers
# that pin them, and load nothing.
VEGA_VERSION = "6"
VEGAEMBED_VERSION = "7"
_VERSION = re.compile(r"\d+(\.\d+){0,2}")
_VEGALITE_SCHEMA = re.compile(r"https://vega\.github\.io/schema/vega-lite/v(\d+(?:\.\d+){0,2})\.json")

_HTML_STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; line-height: 1.45;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #f5f5f5; border-left: 4px solid #9e9e9e; padding: 0.5rem 1rem; }
.chart { margin: 1.5rem 0; }
.chart img { max-width: 100%; height: auto; }"""

_CHARTS_NOTE = ("The charts are pictures (SVG) drawn when this report was made: the file needs no connection and no "
                "script. Right-click a chart to save it; the tables above hold the numbers.")


def _spec_json(value, what: str) -> str:
    """``value`` as plain JSON (no NaN, no numpy types), keys sorted: what the chart is drawn from."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The {what} is not plain JSON: {err}") from err


def _html_table(header: list[str], rows: list[list[str]], numeric: list[bool] | None = None) -> str:
    numeric = numeric or [False] * len(header)

    def td(text: str, number: bool) -> str:
        return f'<td class="number">{html.escape(text)}</td>' if number else f"<td>{html.escape(text)}</td>"

    lines = ["<table>", "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>",
             "<tbody>"]
    lines += ["<tr>" + "".join(td(v, n) for v, n in zip(row, numeric, strict=True)) + "</tr>" for row in rows]
    return "\n".join([*lines, "</tbody>", "</table>"])


def _check_version(value, name: str) -> str:
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        fail(f"{name} must be a version such as '6' or '6.4.1', got {value!r}.")
    return value


def _check_charts(charts, vegalite_version: str | None) -> tuple[list[tuple[str, str]], str | None]:
    """(title, spec as JSON) per chart, and the Vega-Lite version they are written in (None: no charts)."""
    if not isinstance(charts, dict):
        fail(f"charts must be a dict of chart title -> Vega-Lite spec (a dict), got {type(charts).__name__}.")
    if vegalite_version is not None:
        _check_version(vegalite_version, "vegalite_version")
    checked, schemas = [], set()
    for title, spec in charts.items():
        if not isinstance(title, str) or not title.strip():
            fail(f"Chart titles must be non-empty text, got {title!r}.")
        if not isinstance(spec, dict):
            fail(f"Chart {title!r} must be a Vega-Lite spec as a dict (e.g. chart.to_dict()), "
                 f"got {type(spec).__name__}.")
        if "$schema" in spec:
            match = _VEGALITE_SCHEMA.fullmatch(str(spec["$schema"]))
            if match is None:
                fail(f"Chart {title!r} is not a Vega-Lite spec: $schema is {spec['$schema']!r}.")
            schemas.add(match.group(1))
        checked.append((title, _spec_json(spec, f"spec of chart {title!r}")))
    if not checked:
        return [], None
    if len(schemas) > 1:
        fail(f"The charts mix Vega-Lite versions {', '.join(sorted(schemas))}; one report draws one version.")
    if vegalite_version is None:
        if not schemas:
            fail("Give vegalite_version: none of the specs names its Vega-Lite version in $schema.")
        vegalite_version = schemas.pop()
    elif schemas and schemas != {vegalite_version}:
        fail(f"The specs are Vega-Lite {schemas.pop()}, but vegalite_version is {vegalite_version}.")
    return checked, vegalite_version


def _renderer_version(vegalite_version: str) -> str:
    """The Vega-Lite that vl-convert bundles for specs of ``vegalite_version``: the same major.minor, else the newest
    of the same major (a minor version adds features, it does not change how older specs draw)."""
    import vl_convert

    bundled = vl_convert.get_vegalite_versions()
    major_minor = ".".join(vegalite_version.split(".")[:2])
    if major_minor in bundled:
        return major_minor
    same_major = [v for v in bundled if v.split(".")[0] == vegalite_version.split(".")[0]]
    if not same_major:
        fail(f"Vega-Lite {vegalite_version} specs cannot be drawn: vl-convert bundles Vega-Lite "
             f"{', '.join(bundled)}.")
    return max(same_major, key=lambda v: tuple(int(part) for part in v.split(".")))


def chart_svg(spec_json: str, vegalite_version: str, title: str = "chart") -> str:
    """One Vega-Lite spec (JSON text) drawn as SVG, with no network: external data URLs are refused."""
    import vl_convert

    try:
        svg = vl_convert.vegalite_to_svg(spec_json, vl_version=_renderer_version(vegalite_version),
                                         allowed_base_urls=[])
    except ValueError as err:
        reason = str(err).strip().splitlines()
        fail(f"Chart {title!r} could not be drawn: {' '.join(reason[:2])}")
    return svg


def _svg_image(svg: str, title: str) -> str:
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{encoded}" alt="{html.escape(title)}">'


def report_html(experiment: Experiment, summary_frame: pd.DataFrame, charts: dict[str, dict], *,
                vegalite_version: str | None = None, vega_version: str = VEGA_VERSION,
                vegaembed_version: str = VEGAEMBED_VERSION) -> str:
    """A self-contained HTML report that shows everything offline: the Markdown report's title, description,
    settings and summary, and the run's charts as SVG images drawn here (``chart_svg``).

    ``charts`` maps a chart's title to its Vega-Lite spec as a dict (an Altair chart's ``to_dict()``, data
    inlined; external data URLs are refused). The specs are drawn with their ``$schema``'s Vega-Lite version
    (or ``vegalite_version``, which must agree with it). ``vega_version`` and ``vegaembed_version`` are checked
    and kept for callers that pin them; nothing is loaded. The page has no script and no URL but its images'
    data URIs, and every text on it is HTML-escaped. Deterministic (no date): the same inputs give the same
    text. ValueError for anything that is not an Experiment, a DataFrame summary, or a dict of JSON-able
    Vega-Lite spec dicts that draw.
    """
    content = _report_content(experiment, summary_frame)
    _check_version(vega_version, "vega_version")
    _check_version(vegaembed_version, "vegaembed_version")
    specs, vegalite_version = _check_charts(charts, vegalite_version)
    images = [(name, _svg_image(chart_svg(spec, vegalite_version, name), name)) for name, spec in specs]
    title = html.escape(f"ReLU Lab report: {content.title}")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{title}</title>",
             f"<style>\n{_HTML_STYLE}\n</style>", "</head>", "<body>", f"<h1>{title}</h1>",
             f"<p>{content.description(html.escape(content.labels))}</p>", "<h2>Settings</h2>",
             _html_table(["setting", "value"], [list(row) for row in content.settings]), "<h2>Summary</h2>"]
    if content.summary_rows:
        parts.append(_html_table(content.summary_header, content.summary_rows, content.numeric_columns))
    else:
        parts.append("<p>No results.</p>")
    if images:
        parts += ["<h2>Charts</h2>", f'<p class="note">{html.escape(_CHARTS_NOTE)}</p>']
        for name, image in images:
            parts += ['<section class="chart">', f"<h3>{html.escape(name)}</h3>", image, "</section>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
