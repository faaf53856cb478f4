"""The one Streamlit internal the lab touches (pages.ui.routing), without a browser: it switches the old pages/
directory mode off, and if a Streamlit release renames or removes it, importing the pages still works."""

from __future__ import annotations

import importlib
import sys

import pytest
from streamlit.runtime.pages_manager import PagesManager

from pages.ui import routing


@pytest.fixture
def v1_mode(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", True)


def test_it_switches_the_pages_directory_mode_off_once(v1_mode):
    assert routing.leave_pages_directory_mode() is True  # outside a script run: no rerun is asked for
    assert PagesManager.uses_pages_directory is False
    assert routing.leave_pages_directory_mode() is False


@pytest.mark.parametrize("change", ["renamed attribute", "renamed class", "renamed module", "no module"])
def test_a_renamed_internal_changes_nothing_and_raises_nothing(v1_mode, monkeypatch, change):
    if change == "renamed attribute":
        monkeypatch.setattr(routing, "FLAG", "uses_pages_folder")
    elif change == "renamed class":
        monkeypatch.setattr(routing, "_pages_manager", lambda: None)
    elif change == "renamed module":
        monkeypatch.setattr(routing, "PAGES_MANAGER_MODULE", "streamlit.runtime.page_registry")
    else:
        monkeypatch.setitem(sys.modules, routing.PAGES_MANAGER_MODULE, None)  # any import of it raises
    assert routing.leave_pages_directory_mode() is False
    assert PagesManager.uses_pages_directory is True  # left alone: the old behaviour, at worst


def test_the_pages_package_imports_with_a_streamlit_that_lacks_the_internal(monkeypatch):
    monkeypatch.setitem(sys.modules, routing.PAGES_MANAGER_MODULE, None)
    import pages

    importlib.reload(pages)  # runs the package's first-import code again: no error


def test_every_page_sets_itself_up_first():
    """Each page file calls page_shell() right after its imports, so it looks and behaves the same whether
    app.py's navigation or Streamlit's own pages/ mode started it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "pages").glob("*.py")):
        if path.name == "__init__.py":
            continue
        body = ast.parse(path.read_text()).body
        statements = [node for node in body[1:] if not isinstance(node, ast.Import | ast.ImportFrom)]
        assert ast.unparse(statements[0]) == "present = page_shell()", path.name


def test_every_chart_goes_through_render():
    """Pages draw charts only through ``render.draw`` and ``render.show``, so every chart gets the same text sizes,
    and the presenter's larger ones on a projector: no page calls Streamlit's chart functions itself."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = []
    for path in sorted((root / "pages").rglob("*.py")):
        if path.name == "render.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and (
                    node.attr in {"altair_chart", "vega_lite_chart"} or (
                        node.attr in {"line_chart", "bar_chart", "area_chart", "scatter_chart"}
                        and isinstance(node.value, ast.Name) and node.value.id == "st")):
                direct.append(f"{path.relative_to(root)}:{node.lineno}")
    assert direct == []
