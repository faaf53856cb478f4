"""Repository rules: the README's two commands, CI running the same test command, and layer boundaries."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_gives_exactly_two_commands_run_and_test():
    blocks = bash_blocks(README)
    assert len(blocks) == 2, blocks
    run, test = blocks
    assert "requirements.txt" in run and run.endswith("streamlit run app.py")
    assert "requirements-dev.txt" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert bash_blocks(README)[1] in ci.splitlines()
    assert "apt-get install -y" in ci and "chromium" in ci


def test_core_never_imports_streamlit_or_altair():
    for path in (ROOT / "core").rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(streamlit|altair)\b", source, flags=re.M), path.name


def test_runtime_requirements_are_the_products_dependencies():
    names = {re.split(r"[<>=!~\[ ]", line.strip())[0].lower()
             for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip() and line[0] != "#"}
    # vl-convert-python draws the HTML report's charts as SVG (core.io.report), so a report shows them offline.
    assert names == {"streamlit", "numpy", "scikit-learn", "altair", "pandas", "vl-convert-python"}


def test_no_dangerous_calls_on_user_input():
    """No unpickling, eval/exec or pickle-enabled numpy loads anywhere in the product code."""
    pattern = re.compile(r"\b(pickle\.loads?|eval|exec)\s*\(|allow_pickle\s*=\s*True|unsafe_allow_html\s*=\s*True")
    for path in [ROOT / "app.py", *(ROOT / "core").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not pattern.search(line), f"{path.relative_to(ROOT)}:{number}: {line.strip()}"


def test_every_page_url_path_matches_its_file_name():
    """Before st.navigation first runs, Streamlit routes a deep link by file name; a url_path that differs
    from the file's stem would answer "Page not found" to the first visitor of a fresh server."""
    app = (ROOT / "app.py").read_text()
    pages = re.findall(r'st\.Page\(\s*"pages/(\w+)\.py".*?url_path="(\w+)"', app, flags=re.S)
    assert len(pages) == len(list((ROOT / "pages").glob("*.py"))) - 1  # every page file but __init__.py
    for stem, url_path in pages:
        assert stem == url_path
