"""The CLI's sweep beyond one machine: joblib's Dask and Ray backends, with the project's code sent to the workers.

A sweep's task is ``core.tools.cli._sweep_cell``: every worker must be able to import ``core``, in the version the
client runs, while the Dask scheduler, which unpickles every task it schedules, must not need to. So the task travels
as ``portable(_sweep_cell)`` (a function that pickles by value and imports ``_sweep_cell`` only when a worker calls
it) with plain data for arguments, and the package goes to the workers; neither backend ships local code by itself:

* **Dask** (``--backend dask --scheduler ADDRESS``, or a ``dask.distributed.Client`` already made in this process):
  the ``core`` package (its ``.py`` files) is zipped and registered as an ``UploadFile`` worker plugin (what
  ``Client.upload_file`` does, minus the scheduler: it runs no task, needs no ``core`` to read a portable one, and
  may share this process, whose ``core`` it would reload from the zip): every worker, and every worker that joins
  later, saves the zip, puts it first on ``sys.path`` and imports ``core`` from it.
  joblib is told to use that client (``parallel_config(backend="dask", client=...)``): a bare
  ``Parallel(backend="dask")`` fails with "Invalid backend: dask", since joblib registers its Dask backend only
  inside ``parallel_config``.
* **Ray** (``--backend ray``; Ray connects to ``RAY_ADDRESS`` or starts a local instance): ``ray.init`` gets
  ``runtime_env={"py_modules": [<core>]}``, which sends the package to every worker of the job. A Ray session
  already started in this process is used as it is (its ``runtime_env`` must ship ``core`` then).

The workers need the runtime dependencies themselves (``pip install -r requirements.txt``) and no other top-level
package named ``core``. A worker that imported an older ``core`` keeps its submodules: restart workers after the
code changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import core

PACKAGE_DIR = Path(core.__file__).resolve().parent
BACKENDS = ("loky", "threading", "dask", "ray")
CLUSTER_BACKENDS = ("dask", "ray")


def portable(function):
    """``function`` as a task any process can unpickle without importing its module: a closure (so pickled by
    value, by cloudpickle) that imports ``function`` by module and name when it is called, on a worker. A function
    of a module run as a script (``python -m core.tools.cli``) is found under the module's own name."""
    module, name = function.__module__, function.__qualname__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise ValueError(f"{name} is defined in a script, which the workers cannot import; run it with -m.")
        module = spec.name

    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = f"portable_{name}"  # still not importable by this name: pickled by value
    return call


def package_files() -> list[Path]:
    """The package's source files, sorted: what a worker needs to import ``core``."""
    return sorted(path for path in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def package_zip(folder: Path) -> Path:
    """``core`` as a zip in ``folder``, named after a digest of its contents (``relu_lab_core_<sha>.zip``): a
    changed package is a new file on the workers, never one they cached."""
    digest = hashlib.sha256()
    for path in package_files():
        digest.update(path.relative_to(PACKAGE_DIR.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    target = folder / f"relu_lab_core_{digest.hexdigest()[:12]}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in package_files():
            archive.write(path, path.relative_to(PACKAGE_DIR.parent).as_posix())
    return target


def _dask_client(scheduler: str | None):
    """(client, whether we made it): a new client of ``scheduler``, or the one this process already has."""
    try:
        from dask.distributed import Client, get_client
    except ImportError:
        raise ValueError("the dask backend needs dask.distributed, which is not installed "
                         "(pip install 'dask[distributed]')") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="10s", set_as_default=False), True
        except (OSError, ValueError, TypeError) as err:  # TimeoutError is an OSError
            raise ValueError(f"cannot connect to the Dask scheduler at {scheduler!r}: {err}") from None
    try:
        return get_client(), False
    except ValueError:
        raise ValueError("the dask backend needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786), or, from Python, "
                         "a dask.distributed Client created before core.tools.cli.main() is called") from None


def ship_package(client) -> str:
    """Send ``core`` to every worker of ``client``, and to workers that join later; the zip's name."""
    from distributed.diagnostics.plugin import UploadFile

    with tempfile.TemporaryDirectory(prefix="relu-lab-") as folder:
        archive = package_zip(Path(folder))
        plugin = UploadFile(str(archive), load=True)  # reads the zip now: the folder may go
    client.register_plugin(plugin, name=archive.name)  # one name per content: sending it again replaces it
    return archive.name


@contextlib.contextmanager
def _dask(jobs: int, scheduler: str | None) -> Iterator:
    import joblib

    client, made_here = _dask_client(scheduler)
    try:
        ship_package(client)
        with joblib.parallel_config(backend="dask", client=client):
            yield joblib.Parallel(n_jobs=jobs, return_as="generator")
    finally:
        if made_here:
            client.close()


@contextlib.contextmanager
def _ray(jobs: int) -> Iterator:
    import joblib

    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        raise ValueError("the ray backend needs ray, which is not installed (pip install ray)") from None
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(runtime_env={"py_modules": [str(PACKAGE_DIR)]}, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ValueError(f"Ray could not start or connect (RAY_ADDRESS): {err}") from None
    try:
        register_ray()
        with joblib.parallel_config(backend="ray"):
            yield joblib.Parallel(n_jobs=jobs, return_as="list")  # Ray's backend cannot return a generator
    finally:
        if started_here:
            ray.shutdown()


@contextlib.contextmanager
def parallel(jobs: int, backend: str, scheduler: str | None = None) -> Iterator:
    """A ``joblib.Parallel`` on ``backend``, valid inside the ``with`` block, that returns results in task order as
    they come (``return_as="generator"``; all at the end on Ray, whose backend cannot do that); for Dask and Ray
    the package is sent to the workers first. ValueError saying why it cannot be had."""
    import joblib

    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}. Valid choices: {', '.join(BACKENDS)}.")
    if scheduler and backend != "dask":
        raise ValueError("--scheduler applies to --backend dask only")
    if backend == "dask":
        context = _dask(jobs, scheduler)
    elif backend == "ray":
        context = _ray(jobs)
    else:
        context = contextlib.nullcontext(joblib.Parallel(n_jobs=jobs, backend=backend, return_as="generator"))
    with context as runner:
        yield runner
