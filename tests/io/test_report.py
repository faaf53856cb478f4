"""core.io.report: the Markdown and HTML reports: the app's labels and formats; HTML that shows its charts offline."""

from __future__ import annotations

import base64
import dataclasses
import html
import re
from html.parser import HTMLParser

import altair as alt
import numpy as np
import pandas as pd
import pytest

from core.engine.data import DATASETS
from core.io import report
from core.io.report import report_html, report_markdown
from core.lab.summary import display_table, summary
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


def test_reports_speak_as_the_app_does_labels_and_number_formats():
    """Display labels for names (ReLU, Maxout, Adam, Xavier (Glorot), Two moons) and the Arena's summary formats:
    73.3%, not 0.7333; "not reached" and a dash where there is no value; other tables' numbers to 4 digits."""
    experiment = Experiment(activations=("relu", "leaky_relu", "maxout"), optimizer="adam", init="xavier",
                            learning_rate=0.003, l2=1e-5)
    table = pd.DataFrame({"activation": ["relu", "maxout"], "label": ["ReLU", "Maxout"], "seeds": [3, 3],
                          "test accuracy": [0.73333, 1.0], "± sd": [0.0123, np.nan],
                          "epochs to train error ≤ 5%": [12.0, np.nan], "runs reaching it": [3, 0],
                          "sparsity": [0.5, 0.0], "dead units": [0.0625, 0.0], "ms / epoch": [1.23456, 12.0],
                          "diverged runs": [0, 1]})
    table.attrs["target"] = {"metric": "train error", "value": 0.05}
    text = report_markdown(experiment, table)
    for row in ("| activations | ReLU, Leaky ReLU, Maxout |", "| optimizer | Adam |", "| init | Xavier (Glorot) |",
                "| dataset | Two moons |", "| learning_rate | 0.003 |", "| l2 | 1e-05 |", "| noise | 0.2 |"):
        assert row in text, row
    assert "| ReLU | 3 | 73.3% | 1.2% | 12 | 3 of 3 | 50.0% | 6.2% | 1.23 | 0 |" in text
    assert "| Maxout | 3 | 100.0% | – | not reached | 0 of 3 | 0.0% | 0.0% | 12.00 | 1 |" in text
    other = pd.DataFrame({"name": ["a"], "value": [0.123456]})  # not a summary: numbers to 4 digits
    assert "| a | 0.1235 |" in report_markdown(experiment, other)
    assert "ReLU, Leaky ReLU, Maxout trained side by side" in text
    momentum = report_markdown(Experiment(optimizer="momentum"), table)
    assert "| optimizer | SGD + momentum 0.9 |" in momentum and "| init | Auto (He or Xavier) |" in momentum
    page = report_html(Experiment(optimizer="momentum"), table, {})
    assert "<tr><td>optimizer</td><td>SGD + momentum 0.9</td></tr>" in page
    assert '<tr><td>ReLU</td><td class="number">3</td><td class="number">73.3%</td>' in page
    assert '<td class="number">–</td>' in page


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
    assert "| a\\|b | – |" in text
    with pytest.raises(ValueError, match="PNG"):
        report_markdown(Experiment(), frame, {"chart": b"GIF89a"})


# --- HTML report ----------------------------------------------------------------------------------

XSS = "</script><script>alert(1)</script><!--"
URL = re.compile(r"(?:https?:|ftp:|file:|//)[^\s\"'<>)]*", re.I)


class Page(HTMLParser):
    """The page as an HTML parser (and a browser) reads it: its tags, headings and images."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "h3":
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "h3" and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)

    def images(self) -> list[tuple[str, str]]:
        """(alt, SVG text) of every <img>, its data URI decoded."""
        out = []
        for tag, attrs in self.tags:
            if tag == "img":
                prefix = "data:image/svg+xml;base64,"
                assert attrs["src"].startswith(prefix), attrs["src"][:40]
                out.append((attrs["alt"], base64.b64decode(attrs["src"][len(prefix):]).decode("utf-8")))
        return out


def external_urls(svg: str) -> list[str]:
    """URLs in an SVG other than its XML namespace declarations (which name a vocabulary and load nothing)."""
    without_namespaces = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", svg)
    return URL.findall(without_namespaces)


def line_spec(frame: pd.DataFrame, title: str = "Loss") -> dict:
    return alt.Chart(frame, title=title).mark_line().encode(x="epoch:Q", y="value:Q", color="activation:N").to_dict()


@pytest.fixture(scope="module")
def html_charts(history) -> dict[str, dict]:
    loss = history[(history["metric"] == "train_loss") & (history["seed"] == 0)]
    accuracy = history[(history["metric"] == "test_accuracy") & (history["seed"] == 0)]
    return {"Loss (cross-entropy)": line_spec(loss.dropna()), "Test accuracy": line_spec(accuracy, "Accuracy")}


def test_html_report_has_the_settings_summary_and_one_drawn_chart_per_spec(history, run_summary, html_charts):
    experiment = Experiment(activations=("relu", "tanh"), seeds=2, hidden_layers=(5, 4), epochs=EPOCHS)
    text = report_html(experiment, run_summary, html_charts)
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<title>ReLU Lab report: Two moons</title>" in text and "<h1>ReLU Lab report: Two moons</h1>" in text
    # The same sentence and settings as the Markdown report: one source for both.
    markdown = report_markdown(experiment, run_summary)
    assert f"<p>{markdown.splitlines()[2]}</p>" in text
    for name, shown in re.findall(r"^\| (\w+) \| (.*) \|$", markdown.split("## Summary")[0], flags=re.M):
        if name != "setting":
            assert f"<tr><td>{name}</td><td>{html.escape(shown)}</td></tr>" in text, name
    shown = display_table(run_summary)  # a summary table is shown as the Arena shows it: labels, percentages
    header = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns) + "</tr></thead>"
    assert header in text
    for (_, row), (_, raw) in zip(shown.iterrows(), run_summary.iterrows(), strict=True):
        assert f"<tr><td>{row['activation']}</td>" in text and f"<td>{raw['activation']}</td>" not in text
        accuracy = raw["test accuracy"]
        assert f'<td class="number">{"–" if np.isnan(accuracy) else f"{accuracy:.1%}"}</td>' in text
    # Each chart: its title as a heading, then its SVG drawing, with the chart's title and a line per activation.
    assert page.headings == list(html_charts)
    images = page.images()
    assert [alt for alt, _ in images] == list(html_charts)
    for (_, svg), spec in zip(images, html_charts.values(), strict=True):
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert f">{spec['title']}</text>" in svg
        assert svg.count('aria-roledescription="line mark"') == history["activation"].nunique()  # one per curve


def test_html_report_shows_everything_offline_with_no_script_and_no_url(run_summary, html_charts):
    """No script, stylesheet, frame or font to fetch; no URL but the images' data URIs; nothing in the SVGs
    that points out either. (The default experiment's full report: tests/pages/test_arena.py.)"""
    text = report_html(Experiment(), run_summary, html_charts)
    page = Page(text)
    assert {tag for tag, _ in page.tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
                                            "table", "thead", "tbody", "tr", "th", "td", "section", "img"}
    assert all(value.startswith("data:image/svg+xml;base64,") for _, attrs in page.tags
               for name, value in attrs.items() if name in ("src", "href", "srcset", "poster", "data"))
    without_images = re.sub(r'src="data:[^"]*"', "", text)
    assert URL.findall(without_images) == [] and "url(" not in without_images and "@import" not in text
    for _, svg in page.images():
        assert external_urls(svg) == [] and "<script" not in svg and "href" not in svg and "<image" not in svg
    assert "the file needs no connection and no script" in text


def test_html_report_without_charts_has_no_images():
    text = report_html(Experiment(), pd.DataFrame(), {})
    assert "<img" not in text and "Charts" not in text
    assert "<h2>Summary</h2>\n<p>No results.</p>" in text


def test_html_report_escapes_every_text_and_its_drawings_are_inert(monkeypatch):
    info = dataclasses.replace(DATASETS["moons"], label=f"Moons {XSS}")
    monkeypatch.setitem(DATASETS, "moons", info)
    frame = pd.DataFrame({f"col {XSS}": [f"label {XSS}"], "x & y": [1.5]})
    charts = {
        f"Title {XSS}": line_spec(pd.DataFrame({"epoch": [0, 1], "value": [1.0, 2.0], "activation": [XSS, XSS]}),
                                  XSS),
        "Field names": {"$schema": alt.SCHEMA_URL, "mark": "bar", "title": {"text": XSS, "subtitle": "a & b > c"},
                        "data": {"values": [{"f": 1, "b": "<img src=x onerror=alert(1)>"}]},
                        "encoding": {"x": {"field": "f", "type": "quantitative"},
                                     "y": {"field": "b", "type": "nominal"}},
                        "description": "\u2028line separators\u2029 and <!-- comments -->"},
    }
    text = report_html(Experiment(), frame, charts)
    page = Page(text)
    # Only the page's own elements: two images, no script; no crafted tag survives anywhere in the page.
    assert [tag for tag, _ in page.tags if tag in ("script", "img", "iframe", "object")] == ["img", "img"]
    assert XSS not in text and "<script" not in text and "<img src=x" not in text and "<!--" not in text
    assert f"<title>ReLU Lab report: Moons {html.escape(XSS)}</title>" in text
    assert f"<h1>ReLU Lab report: Moons {html.escape(XSS)}</h1>" in text
    assert f"<th>col {html.escape(XSS)}</th><th>x &amp; y</th>" in text
    assert f"<td>label {html.escape(XSS)}</td>" in text
    assert page.headings == list(charts)
    # The drawings hold the crafted text as text (escaped by Vega), and as images they could not run it anyway.
    for alt_text, svg in page.images():
        assert alt_text in charts and "<script" not in svg and "<img" not in svg
        assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svg


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
    ({"Loss": {"$schema": alt.SCHEMA_URL, "mark": "point", "data": {"url": "https://example.com/data.json"},
               "encoding": {"x": {"field": "a", "type": "quantitative"}}}}, "External data url not allowed"),
    ({"Loss": {"$schema": alt.SCHEMA_URL, "mark": "no-such-mark"}}, "'Loss' could not be drawn"),
    ({"Loss": {"$schema": "https://vega.github.io/schema/vega-lite/v2.6.0.json", "mark": "point"}},
     "Vega-Lite 2.6.0 specs cannot be drawn"),
])
def test_html_report_refuses_what_is_not_a_dict_of_spec_dicts_that_draw(charts, message):
    with pytest.raises(ValueError, match=message):
        report_html(Experiment(), pd.DataFrame(), charts)


def test_html_report_refuses_a_bad_experiment_summary_or_version():
    spec = {"$schema": alt.SCHEMA_URL, "mark": "point"}
    with pytest.raises(ValueError, match="Expected an Experiment"):
        report_html(Experiment().to_dict(), pd.DataFrame(), {"Loss": spec})
    with pytest.raises(ValueError, match="Expected the summary as a DataFrame"):
        report_html(Experiment(), [["ReLU", 0.9]], {"Loss": spec})
    with pytest.raises(ValueError, match="vegalite_version is 5.20.1"):
        report_html(Experiment(), None, {"Loss": spec}, vegalite_version="5.20.1")
    for name in ("vega_version", "vegaembed_version", "vegalite_version"):
        with pytest.raises(ValueError, match=name):
            report_html(Experiment(), None, {"Loss": spec}, **{name: '6"><script>alert(1)</script>'})
    # The Arena's call, with Altair's versions, draws the same page as the defaults.
    text = report_html(Experiment(), None, {"Loss": spec})
    assert text == report_html(Experiment(), None, {"Loss": spec}, vegalite_version=alt.VEGALITE_VERSION,
                               vega_version=alt.VEGA_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION)
    # A spec without $schema is drawn with the Vega-Lite version given; a newer minor than vl-convert bundles
    # is drawn with the newest of its major.
    assert len(Page(report_html(Experiment(), None, {"Loss": {"mark": "point"}}, vegalite_version="6.4.1")
                    ).images()) == 1
    assert report._renderer_version("6.99.0") == max(
        (v for v in __import__("vl_convert").get_vegalite_versions() if v.startswith("6.")),
        key=lambda v: tuple(map(int, v.split("."))))


def test_html_report_is_deterministic_and_date_free(run_summary, html_charts):
    first = report_html(Experiment(), run_summary, html_charts)
    reordered = {title: dict(reversed(spec.items())) for title, spec in html_charts.items()}
    assert first == report_html(Experiment(), run_summary.copy(), reordered)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first)
