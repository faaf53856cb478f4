"""core.io.report: the Markdown and HTML reports."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from html.parser import HTMLParser

import altair as alt
import numpy as np
import pandas as pd
import pytest

from core.io import report
from core.io.report import report_html, report_markdown
from core.lab.summary import summary
from core.settings import UPLOAD, Experiment
from tests.io.conftest import EPOCHS

# --- Markdown report ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


@pytest.fixture(scope="module")
def run_summary(history):
    return summary(history)


def test_report_has_title_settings_summary_and_charts(run_summary):
    experiment = Experiment(activations=("relu", "tanh"), seeds=2, hidden_layers=(5, 4), epochs=EPOCHS)
    text = report_markdown(experiment, run_summary, {"Test accuracy": PNG, "Loss | log": PNG})
    assert text.startswith("# ReLU Lab report: Two moons\n")
    assert "ReLU, Tanh trained side by side" in text
    for name in experiment.to_dict():
        assert re.search(rf"^\| {name} \| ", text, flags=re.M), name
    assert "| hidden_layers | 5, 4 |" in text
    header = "| " + " | ".join(c for c in run_summary.columns if c != "label") + " |"  # labels shown, keys not
    assert header in text
    assert text.count("\n| ReLU |") == 1
    uris = re.findall(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert [alt for alt, _ in uris] == ["Test accuracy", "Loss | log"]
    assert all(base64.b64decode(data) == PNG for _, data in uris)


def test_report_on_an_uploaded_table_names_it_as_such(run_summary):
    experiment = Experiment(dataset=UPLOAD)
    assert report_markdown(experiment, run_summary).startswith("# ReLU Lab report: your own table (CSV)\n")
    assert "<h1>ReLU Lab report: your own table (CSV)</h1>" in report_html(experiment, run_summary, {})


def test_report_is_deterministic_and_date_free(run_summary):
    experiment = Experiment()
    first = report_markdown(experiment, run_summary)
    assert first == report_markdown(experiment, run_summary)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first)
    assert "data:image" not in first


def test_report_escapes_pipes_and_refuses_non_png():
    frame = pd.DataFrame({"activation": ["a|b"], "value": [float("nan")]})
    text = report_markdown(Experiment(), frame)
    assert "| a\\|b | — |" in text
    with pytest.raises(ValueError, match="PNG"):
        report_markdown(Experiment(), frame, {"chart": b"GIF89a"})


# --- HTML report ----------------------------------------------------------------------------------

XSS = "</script><script>alert(1)</script><!--"


class Page(HTMLParser):
    """The page as an HTML parser (and a browser) reads it: a <script>'s text ends at the first "</script"."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.headings: list[str] = []
        self._open: tuple[str, dict, list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "h3"):
            self._open = (tag, dict(attrs), [])

    def handle_endtag(self, tag):
        if self._open is not None and self._open[0] == tag:
            _, attrs, data = self._open
            if tag == "script":
                self.scripts.append((attrs, "".join(data)))
            else:
                self.headings.append("".join(data))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[2].append(data)

    def specs(self) -> list:
        return [json.loads(data) for attrs, data in self.scripts if attrs.get("type") == "application/json"]

    def sources(self) -> list[str]:
        return [attrs["src"] for attrs, _ in self.scripts if "src" in attrs]


def line_spec(frame: pd.DataFrame, title: str = "Loss") -> dict:
    return alt.Chart(frame, title=title).mark_line().encode(x="epoch:Q", y="value:Q", color="activation:N").to_dict()


@pytest.fixture(scope="module")
def html_charts(history) -> dict[str, dict]:
    loss = history[(history["metric"] == "train_loss") & (history["seed"] == 0)]
    accuracy = history[(history["metric"] == "test_accuracy") & (history["seed"] == 0)]
    return {"Loss (cross-entropy)": line_spec(loss.dropna()), "Test accuracy": line_spec(accuracy, "Accuracy")}


def test_html_report_has_the_settings_summary_and_one_embedded_chart_per_spec(run_summary, html_charts):
    experiment = Experiment(activations=("relu", "tanh"), seeds=2, hidden_layers=(5, 4), epochs=EPOCHS)
    text = report_html(experiment, run_summary, html_charts)
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>ReLU Lab report: Two moons</title>" in text and "<h1>ReLU Lab report: Two moons</h1>" in text
    # The same sentence as the Markdown report: one source for both.
    sentence = report_markdown(experiment, run_summary).splitlines()[2]
    assert f"<p>{sentence}</p>" in text
    for name, value in experiment.to_dict().items():
        shown = ", ".join(map(str, value)) if isinstance(value, tuple) else report._cell_text(value)
        assert re.search(rf"<tr><td>{name}</td><td( class=\"number\")?>{re.escape(shown)}</td></tr>", text), name
    shown_columns = [c for c in run_summary.columns if c != "label"]  # the label is shown as "activation"
    header = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in shown_columns) + "</tr></thead>"
    assert header in text
    for _, row in run_summary.iterrows():
        assert f"<tr><td>{row['label']}</td>" in text and f"<td>{row['activation']}</td>" not in text
        assert f'<td class="number">{report._cell_text(row["test accuracy"])}</td>' in text
    # Each chart: its title as a heading, a view, its spec as JSON that reads back equal, one vegaEmbed call.
    assert page.headings == list(html_charts)
    assert page.specs() == list(html_charts.values())
    ids = [f"chart-{i}" for i in range(len(html_charts))]
    assert re.findall(r'vegaEmbed\("#(chart-\d+)", spec\("(chart-\d+)"\)', text) == [(i, i) for i in ids]
    assert [attrs["id"] for tag, attrs in page.tags if tag == "div"] == ids
    assert len(page.specs()[0]["datasets"]) == 1 and next(iter(page.specs()[0]["datasets"].values()))


def test_html_report_loads_the_libraries_altair_loads_and_says_charts_need_a_connection(html_charts):
    frame = pd.DataFrame({"epoch": [0, 1], "value": [1.0, 0.5], "activation": ["ReLU", "ReLU"]})
    chart = alt.Chart(frame).mark_line().encode(x="epoch:Q", y="value:Q")
    altair_sources = re.findall(r'<script type="text/javascript" src="([^"]+)"></script>', chart.to_html())
    assert altair_sources == [f"https://cdn.jsdelivr.net/npm/vega@{alt.VEGA_VERSION}",
                              f"https://cdn.jsdelivr.net/npm/vega-lite@{alt.VEGALITE_VERSION}",
                              f"https://cdn.jsdelivr.net/npm/vega-embed@{alt.VEGAEMBED_VERSION}"]
    assert alt.SCHEMA_VERSION == f"v{alt.VEGALITE_VERSION}"
    # The defaults and the specs' $schema pin the same versions; passing Altair's values changes nothing.
    text = report_html(Experiment(), None, html_charts)
    assert Page(text).sources() == altair_sources
    assert text == report_html(Experiment(), None, html_charts, vegalite_version=alt.VEGALITE_VERSION,
                               vega_version=alt.VEGA_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION)
    scripts = [attrs for tag, attrs in Page(text).tags if tag == "script" and "src" in attrs]
    assert all(attrs["onerror"] == "chartsUnavailable()" for attrs in scripts)
    assert "<noscript>" in text and "JavaScript is turned off, so the charts cannot be drawn" in text
    assert "they need an internet connection" in text
    assert "Each chart&#x27;s … menu saves it as PNG or SVG" in text
    assert "did not load from cdn.jsdelivr.net" in text  # the message chartsUnavailable() writes in each view
    assert "No results." in text


def test_html_report_without_charts_loads_no_scripts():
    text = report_html(Experiment(), pd.DataFrame(), {})
    assert "<script" not in text and "Charts" not in text
    assert "<h2>Summary</h2>\n<p>No results.</p>" in text


def test_html_report_escapes_every_text_and_no_string_can_end_its_script(monkeypatch):
    info = dataclasses.replace(report.DATASETS["moons"], label=f"Moons {XSS}")
    monkeypatch.setitem(report.DATASETS, "moons", info)
    frame = pd.DataFrame({f"col {XSS}": [f"label {XSS}"], "x & y": [1.5]})
    charts = {
        f"Title {XSS}": line_spec(pd.DataFrame({"epoch": [0], "value": [1.0], "activation": [XSS]}), XSS),
        "Field names": {"$schema": alt.SCHEMA_URL, "mark": "bar", "title": {"text": XSS, "subtitle": "a & b > c"},
                        "data": {"values": [{XSS: 1, "b": "<img src=x onerror=alert(1)>"}]},
                        "encoding": {"x": {"field": XSS, "type": "quantitative"}},
                        "description": "\u2028line separators\u2029 and <!-- comments -->"},
    }
    text = report_html(Experiment(), frame, charts)
    page = Page(text)
    # Only the page's own elements: 2 JSON specs, the fallback, 3 libraries and the drawing script.
    assert [attrs.get("type", attrs.get("src", "")) for attrs, _ in page.scripts] == [
        "application/json", "application/json", "", *page.sources(), ""]
    assert len(page.sources()) == 3
    assert sum(1 for tag, _ in page.tags if tag in ("script", "img")) == 7
    # The specs read back exactly, crafted strings included, and hold no raw "<", ">" or "&".
    assert page.specs() == list(charts.values())
    for attrs, data in page.scripts:
        if attrs.get("type") == "application/json":
            assert not set("<>&\u2028\u2029") & set(data)
    assert page.headings == list(charts)
    # Text outside scripts is HTML-escaped: no crafted tag survives anywhere in the page.
    assert XSS not in text and "<script>alert" not in text and "<img" not in text and "<!--" not in text
    assert f"<title>ReLU Lab report: Moons {html.escape(XSS)}</title>" in text
    assert f"<h1>ReLU Lab report: Moons {html.escape(XSS)}</h1>" in text
    assert f"<th>col {html.escape(XSS)}</th><th>x &amp; y</th>" in text
    assert f"<td>label {html.escape(XSS)}</td>" in text
    assert f"<h3>Title {html.escape(XSS)}</h3>" in text


@pytest.mark.parametrize("charts, message", [
    ([], "charts must be a dict"),
    (None, "charts must be a dict"),
    ({"Loss": "not a spec"}, "must be a Vega-Lite spec as a dict"),
    ({"Loss": [{"mark": "line"}]}, "must be a Vega-Lite spec as a dict"),
    ({"Loss": alt.Chart(pd.DataFrame({"a": [1]})).mark_point()}, r"as a dict \(e.g. chart.to_dict\(\)\)"),
    ({3: {"mark": "line"}}, "Chart titles must be non-empty text"),
    ({" ": {"mark": "line"}}, "Chart titles must be non-empty text"),
    ({"Loss": {"mark": "line", "data": {"values": [{"a": float("nan")}]}}}, "not plain JSON"),
    ({"Loss": {"mark": "line", "data": {"values": [{"a": np.arange(2)}]}}}, "not plain JSON"),
    ({"Loss": {"$schema": "https://vega.github.io/schema/vega/v6.json"}}, "is not a Vega-Lite spec"),
    ({"A": {"$schema": alt.SCHEMA_URL}, "B": {"$schema": "https://vega.github.io/schema/vega-lite/v5.20.1.json"}},
     "mix Vega-Lite versions"),
    ({"Loss": {"mark": "line"}}, "Give vegalite_version"),
])
def test_html_report_refuses_what_is_not_a_dict_of_spec_dicts(charts, message):
    with pytest.raises(ValueError, match=message):
        report_html(Experiment(), pd.DataFrame(), charts)


def test_html_report_refuses_a_bad_experiment_summary_or_version():
    spec = {"$schema": alt.SCHEMA_URL, "mark": "line"}
    with pytest.raises(ValueError, match="Expected an Experiment"):
        report_html(Experiment().to_dict(), pd.DataFrame(), {"Loss": spec})
    with pytest.raises(ValueError, match="Expected the summary as a DataFrame"):
        report_html(Experiment(), [["ReLU", 0.9]], {"Loss": spec})
    with pytest.raises(ValueError, match="vegalite_version is 5.20.1"):
        report_html(Experiment(), None, {"Loss": spec}, vegalite_version="5.20.1")
    for name in ("vega_version", "vegaembed_version", "vegalite_version"):
        with pytest.raises(ValueError, match=name):
            report_html(Experiment(), None, {"Loss": spec}, **{name: '6"><script>alert(1)</script>'})
    # A spec without $schema is drawn with the Vega-Lite version given.
    text = report_html(Experiment(), None, {"Loss": {"mark": "line"}}, vegalite_version="6.4.1")
    assert "https://cdn.jsdelivr.net/npm/vega-lite@6.4.1" in text


def test_html_report_is_deterministic_and_date_free(run_summary, html_charts):
    first = report_html(Experiment(), run_summary, html_charts)
    reordered = {title: dict(reversed(spec.items())) for title, spec in html_charts.items()}
    assert first == report_html(Experiment(), run_summary.copy(), reordered)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first)
