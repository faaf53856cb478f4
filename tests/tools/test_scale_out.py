"""The sweep beyond one machine, for real: a Dask cluster of two worker processes and a local Ray instance each run
the CLI's sweep, and the CSV equals the local (loky) run's; the workers import the code the client sent them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core.io.history_csv import read_history_csv
from core.tools import scale_out
from core.tools.cli import main
from tests.tools.test_cli import TINY, without_timing

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ["sweep", *TINY, "--depths", "1,2", "--widths", "3,4", "--lrs", "0.1"]


def read(path: Path) -> pd.DataFrame:
    return without_timing(read_history_csv(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def local_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("loky") / "loky.csv"
    assert main([*SWEEP, "--out", str(out)]) == 0
    return out


def test_the_package_zip_holds_every_source_file_under_a_name_that_changes_with_them(tmp_path):
    archive = scale_out.package_zip(tmp_path)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
    assert names == [p.relative_to(ROOT).as_posix() for p in scale_out.package_files()]
    assert {"core/__init__.py", "core/tools/cli.py", "core/engine/training.py"} <= set(names)
    assert not any("__pycache__" in name for name in names)
    assert scale_out.package_zip(tmp_path / "..").name == archive.name  # the same files, the same name


@pytest.mark.timeout(180)
def test_a_sweep_on_a_dask_cluster_of_two_worker_processes_equals_the_local_run(tmp_path, local_csv, capsys):
    from dask.distributed import Client, LocalCluster

    out = tmp_path / "dask.csv"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main([*SWEEP, "--backend", "dask", "--scheduler", cluster.scheduler_address, "--out", str(out)]) == 0

        def imported_from():  # defined here, so it travels by value: the workers run it without the test module
            return {name: sys.modules[name].__file__ for name in ("core", "core.tools.cli") if name in sys.modules}

        with Client(cluster.scheduler_address) as client:
            origins = client.run(imported_from)
    pd.testing.assert_frame_equal(read(out), read(local_csv), check_exact=True)
    # Both workers import core from the zip the CLI sent, and whoever ran a grid cell imported the CLI from it.
    assert len(origins) == 2
    files = [file for modules in origins.values() for file in modules.values()]
    assert all(".zip" in file and "relu_lab_core_" in file for file in files), origins
    assert any("core.tools.cli" in modules for modules in origins.values())
    assert "4/4" not in capsys.readouterr().err  # --quiet


@pytest.mark.timeout(180)
def test_a_sweep_on_ray_equals_the_local_run_with_the_package_sent_to_the_workers(tmp_path, local_csv):
    """Run from another folder, so Ray's workers cannot find core in the driver's working directory: the sweep
    can succeed only if ray.init's runtime_env sent the package."""
    out = tmp_path / "ray.csv"
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from core.tools.cli import main; "
              f"sys.exit(main({[*SWEEP, '--backend', 'ray', '--out', str(out)]!r}))")
    # RAY_ADDRESS=local: a new local instance, never a cluster some other `ray start` left on this machine.
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "RAY_ADDRESS": "local"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=170)
    assert result.returncode == 0, result.stderr[-3000:]
    pd.testing.assert_frame_equal(read(out), read(local_csv), check_exact=True)


def test_a_sweep_task_unpickles_in_a_process_that_cannot_import_core(tmp_path):
    """A Dask scheduler unpickles every task it schedules, and a scheduler started elsewhere has no core (the
    LocalCluster above shares this process, so it cannot tell): the task must pickle by value, with plain data."""
    from distributed.protocol.pickle import dumps
    from joblib import delayed

    from core.settings import Experiment
    from core.tools.cli import _sweep_cell

    payload = dumps(delayed(scale_out.portable(_sweep_cell))(3, (1, 4, 0.1), Experiment().to_dict()))
    script = ("import sys, importlib.util; from distributed.protocol.pickle import loads; "
              "task, args, kwargs = loads(sys.stdin.buffer.read()); "
              "assert importlib.util.find_spec('core') is None and not any(m.startswith('core') for m in sys.modules); "
              "print(task.__name__, args[0], args[2]['dataset'])")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], input=payload, cwd=tmp_path, env=env, capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().split() == ["portable__sweep_cell", "3", "moons"]


def test_without_a_scheduler_or_client_the_dask_backend_exits_2_saying_what_to_pass(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*SWEEP, "--backend", "dask", "--out", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "the dask backend needs --scheduler ADDRESS" in err and "Traceback" not in err


@pytest.mark.parametrize(("backend", "modules"), [("dask", ("distributed", "dask.distributed")),
                                                  ("ray", ("ray", "ray.util.joblib"))])
def test_a_backend_that_is_not_installed_exits_2_with_a_message(tmp_path, capsys, monkeypatch, backend, modules):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError, as without the package
    extra = ["--scheduler", "tcp://127.0.0.1:1"] if backend == "dask" else []
    with pytest.raises(SystemExit) as exit_info:
        main([*SWEEP, "--backend", backend, *extra, "--out", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"the {backend} backend needs" in err and "pip install" in err
    assert not (tmp_path / "x.csv").exists()
