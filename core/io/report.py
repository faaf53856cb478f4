"""Reports for people, never read back: Markdown (title, settings, summary table, PNG charts) and HTML (the same,
with the run's charts as embedded Vega-Lite specs)."""

from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.engine.data import DATASETS
from core.io.strict import fail
from core.settings import UPLOAD, Experiment

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- reports: what the Markdown and HTML reports share --------------------------------------------


def _cell_text(value) -> str:
    """One table cell's text: numbers to 4 significant digits, NaN and None as a dash, lists joined."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "—" if not math.isfinite(value) else f"{float(value):.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is None:
        return "—"
    return str(value)


UPLOADED_TITLE = "your own table (CSV)"  # a report's title names the data; an upload has no registry name


@dataclass(frozen=True)
class _ReportContent:
    """What every report says, as raw text and values; each format escapes it its own way."""

    title: str
    labels: str  # the activations' labels, comma-separated
    seeds: int
    settings: list[list]  # [setting, value] rows
    summary_header: list[str]
    summary_rows: list[list]  # empty: no results

    def description(self, labels: str) -> str:
        """The one-sentence description, around ``labels`` already escaped for the format."""
        return (f"{labels} trained side by side on identical data, initial draws and batches, "
                f"over {self.seeds} seed(s).")


def _report_content(experiment: Experiment, summary_frame: pd.DataFrame | None) -> _ReportContent:
    if not isinstance(experiment, Experiment):
        fail(f"Expected an Experiment, got {type(experiment).__name__}.")
    if summary_frame is not None and not isinstance(summary_frame, pd.DataFrame):
        fail(f"Expected the summary as a DataFrame, got {type(summary_frame).__name__}.")
    info = DATASETS.get(experiment.dataset)
    title = info.label if info is not None else UPLOADED_TITLE if experiment.dataset == UPLOAD else experiment.dataset
    labels = [experiment.config(name, experiment.first_seed).label for name in experiment.activations]
    empty = summary_frame is None or summary_frame.empty
    if not empty and {"activation", "label"} <= set(summary_frame.columns):  # people read labels, not keys
        summary_frame = summary_frame.drop(columns="activation").rename(columns={"label": "activation"})
    return _ReportContent(
        title=title, labels=", ".join(labels),
        seeds=experiment.seeds, settings=[[name, value] for name, value in experiment.to_dict().items()],
        summary_header=[] if empty else [str(c) for c in summary_frame.columns],
        summary_rows=[] if empty else summary_frame.to_numpy(dtype=object).tolist())


# --- Markdown report ------------------------------------------------------------------------------


def _cell(value) -> str:
    """One Markdown table cell: ``_cell_text`` with backslashes and pipes escaped, on one line."""
    return _cell_text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(experiment: Experiment, summary_frame: pd.DataFrame,
                    chart_pngs: dict[str, bytes] | None = None) -> str:
    """A short Markdown report: title, the settings, the summary table and charts (PNG, as data URIs).

    Deterministic (no date): the same inputs give the same text. ``summary_frame`` is
    ``core.io.history.summary`` output (any DataFrame is tabulated as it is).
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
# One self-contained page, as Altair's ``save(format="html")`` writes it: each chart's Vega-Lite spec
# (data inlined) sits in the page as JSON and vega-embed, loaded from the jsDelivr CDN, draws it.
# No vl-convert is needed; without a connection (or without JavaScript) the page says why the charts
# are missing, and the tables still hold the numbers.

CDN_URL = "https://cdn.jsdelivr.net/npm"
# The libraries Altair 6's own HTML output loads (altair.VEGA_VERSION, VEGAEMBED_VERSION); the Vega-Lite
# version comes from the specs' "$schema" (altair.VEGALITE_VERSION). The Arena passes Altair's values in.
VEGA_VERSION = "6"
VEGAEMBED_VERSION = "7"
_VERSION = re.compile(r"\d+(\.\d+){0,2}")
_VEGALITE_SCHEMA = re.compile(r"https://vega\.github\.io/schema/vega-lite/v(\d+(?:\.\d+){0,2})\.json")
# JSON inside <script> must not be able to close the element ("</script>") or open a comment ("<!--"):
# these characters appear in JSON only inside strings, where their \u escapes mean the same.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

_HTML_STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; line-height: 1.45;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #f5f5f5; border-left: 4px solid #9e9e9e; padding: 0.5rem 1rem; }
.chart { margin: 1.5rem 0; }
.chart-view { min-height: 2rem; }
.chart-error { color: #b00020; }"""

_CHARTS_NOTE = ("The charts are drawn in your browser by Vega-Embed, which this page loads from the jsDelivr CDN "
                "(cdn.jsdelivr.net): they need an internet connection. Each chart's … menu saves it as PNG or SVG.")
_NOSCRIPT_NOTE = ("JavaScript is turned off, so the charts cannot be drawn. The tables above hold the run's numbers; "
                  "each chart's data is in this file as Vega-Lite JSON.")
_OFFLINE_NOTE = ("This chart could not be drawn: the Vega libraries did not load from cdn.jsdelivr.net. The charts "
                 "need an internet connection; the tables above hold the numbers.")
_LOADING_NOTE = "Drawing the chart… (this needs an internet connection)"

# Plain JavaScript, no user text: messages are set with textContent, specs read with JSON.parse.
_HTML_FALLBACK_SCRIPT = """\
<script>
function chartsUnavailable() {
  document.querySelectorAll(".chart-view").forEach(function (view) {
    view.textContent = %s;
    view.className = "chart-view chart-error";
  });
}
</script>"""
_HTML_DRAW_SCRIPT = """\
<script>
(function () {
  if (typeof vegaEmbed !== "function") { chartsUnavailable(); return; }
  var options = %s;
  function spec(id) { return JSON.parse(document.getElementById(id + "-spec").textContent); }
  function failed(id) {
    return function (error) {
      var view = document.getElementById(id);
      view.textContent = "This chart could not be drawn: " + error.message;
      view.className = "chart-view chart-error";
    };
  }
%s
})();
</script>"""
_EMBED_OPTIONS = {"mode": "vega-lite", "actions": {"export": True, "source": False, "compiled": False,
                                                   "editor": False}}


def _script_json(value, what: str) -> str:
    """``value`` as JSON that is safe inside a <script> element (``<``, ``>``, ``&`` as \\u escapes)."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The {what} is not plain JSON: {err}") from err
    return text.translate(_SCRIPT_SAFE)


def _html_table(header: list[str], rows: list[list]) -> str:
    def td(value) -> str:
        number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
        return f'<td class="number">{html.escape(_cell_text(value))}</td>' if number else \
            f"<td>{html.escape(_cell_text(value))}</td>"

    lines = ["<table>", "<thead><tr>" + "".join(f"<th>{html.escape(_cell_text(h))}</th>" for h in header)
             + "</tr></thead>", "<tbody>"]
    lines += ["<tr>" + "".join(td(v) for v in row) + "</tr>" for row in rows]
    return "\n".join([*lines, "</tbody>", "</table>"])


def _check_version(value, name: str) -> str:
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        fail(f"{name} must be a version such as '6' or '6.4.1', got {value!r}.")
    return value


def _check_charts(charts, vegalite_version: str | None) -> tuple[list[tuple[str, str]], str | None]:
    """(title, script-safe JSON) per chart, and the Vega-Lite version to load (None: no charts)."""
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
        checked.append((title, _script_json(spec, f"spec of chart {title!r}")))
    if not checked:
        return [], None
    if len(schemas) > 1:
        fail(f"The charts mix Vega-Lite versions {', '.join(sorted(schemas))}; one page loads one version.")
    if vegalite_version is None:
        if not schemas:
            fail("Give vegalite_version: none of the specs names its Vega-Lite version in $schema.")
        vegalite_version = schemas.pop()
    elif schemas and schemas != {vegalite_version}:
        fail(f"The specs are Vega-Lite {schemas.pop()}, but vegalite_version is {vegalite_version}.")
    return checked, vegalite_version


def report_html(experiment: Experiment, summary_frame: pd.DataFrame, charts: dict[str, dict], *,
                vegalite_version: str | None = None, vega_version: str = VEGA_VERSION,
                vegaembed_version: str = VEGAEMBED_VERSION) -> str:
    """A self-contained HTML report: the Markdown report's title, description, settings and summary, and
    the run's charts drawn by vega-embed from the jsDelivr CDN.

    ``charts`` maps a chart's title to its Vega-Lite spec as a dict (an Altair chart's ``to_dict()``,
    data inlined). Each spec is embedded as JSON with ``<``, ``>`` and ``&`` escaped, so no text in
    it can end its <script> element; every other text on the page is HTML-escaped. The libraries
    are pinned: Vega-Lite to the specs' ``$schema`` version (or ``vegalite_version``, which must
    agree with it), Vega and vega-embed to the given major versions (Altair 6's by default).
    Deterministic (no date): the same inputs give the same text. ValueError for anything that is not
    an Experiment, a DataFrame summary, or a dict of JSON-able Vega-Lite spec dicts.
    """
    content = _report_content(experiment, summary_frame)
    vega_version = _check_version(vega_version, "vega_version")
    vegaembed_version = _check_version(vegaembed_version, "vegaembed_version")
    specs, vegalite_version = _check_charts(charts, vegalite_version)
    title = html.escape(f"ReLU Lab report: {content.title}")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{title}</title>",
             f"<style>\n{_HTML_STYLE}\n</style>", "</head>", "<body>", f"<h1>{title}</h1>",
             f"<p>{content.description(html.escape(content.labels))}</p>", "<h2>Settings</h2>",
             _html_table(["setting", "value"], content.settings), "<h2>Summary</h2>"]
    if content.summary_rows:
        parts.append(_html_table(content.summary_header, content.summary_rows))
    else:
        parts.append("<p>No results.</p>")
    if specs:
        parts += ["<h2>Charts</h2>", f'<p class="note">{html.escape(_CHARTS_NOTE)}</p>',
                  f'<noscript><p class="note chart-error">{html.escape(_NOSCRIPT_NOTE)}</p></noscript>']
        for i, (name, spec) in enumerate(specs):
            parts += ['<section class="chart">', f"<h3>{html.escape(name)}</h3>",
                      f'<div id="chart-{i}" class="chart-view">{html.escape(_LOADING_NOTE)}</div>',
                      f'<script type="application/json" id="chart-{i}-spec">{spec}</script>', "</section>"]
        parts.append(_HTML_FALLBACK_SCRIPT % _script_json(_OFFLINE_NOTE, "message"))
        for library, version in (("vega", vega_version), ("vega-lite", vegalite_version),
                                 ("vega-embed", vegaembed_version)):
            url = html.escape(f"{CDN_URL}/{library}@{version}")
            parts.append(f'<script src="{url}" onerror="chartsUnavailable()"></script>')
        calls = "\n".join(f'  vegaEmbed("#chart-{i}", spec("chart-{i}"), options).catch(failed("chart-{i}"));'
                          for i in range(len(specs)))
        parts.append(_HTML_DRAW_SCRIPT % (_script_json(_EMBED_OPTIONS, "options"), calls))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
