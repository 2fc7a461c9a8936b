"""The papermill engine of our runs (runner/engine.py): a run saves its notebook at the start and
at the end, not twice a cell, and a run that fails on the way still stores what it had done."""
from __future__ import annotations

import nbformat
import papermill.engines
import pytest

from khuyencong.runner import engine
from khuyencong.runner.notebooks import execute
from tests.runner.test_kernels import notebook, printed


@pytest.fixture
def saves(monkeypatch):
    """The paths papermill wrote the running notebook to, in order."""
    written = []
    real = papermill.engines.write_ipynb

    def counting(nb, path):
        written.append(path)
        return real(nb, path)

    monkeypatch.setattr(papermill.engines, "write_ipynb", counting)
    return written


CELLS = [f"print({i})" for i in range(6)]


def test_a_quick_run_saves_at_its_start_and_end_only(tmp_path, saves):
    done = execute(notebook(tmp_path / "six.ipynb", *CELLS), tmp_path / "out.ipynb", {"output_dir": str(tmp_path)})
    assert len(saves) == 2  # papermill alone: 2 + 2 per cell (8 cells with its parameters cell) = 18
    assert [printed(tmp_path / "out.ipynb", i) for i in range(2, 8)] == [str(i) for i in range(6)]
    assert done.cells_s > 0


def test_cell_boundaries_save_once_the_interval_has_passed(tmp_path, saves, monkeypatch):
    monkeypatch.setattr(engine, "SAVE_EVERY_S", 0.0)
    execute(notebook(tmp_path / "six.ipynb", *CELLS), tmp_path / "out.ipynb", {"output_dir": str(tmp_path)})
    assert len(saves) == 2 + 2 * 8


def test_a_timed_out_cell_keeps_the_cells_before_it(tmp_path, saves):
    source = notebook(tmp_path / "slow.ipynb", "print('before')", "import time; time.sleep(60)", "print('never')")
    with pytest.raises(Exception, match="[Tt]imeout|timed out"):
        execute(source, tmp_path / "out.ipynb", {"output_dir": str(tmp_path)}, timeout=3)
    assert printed(tmp_path / "out.ipynb", 2) == "before"
    assert printed(tmp_path / "out.ipynb", 4) == ""
    assert len(saves) == 2


@pytest.mark.parametrize("broken", ["jupyter_client", "papermill"])
def test_a_platform_release_without_what_we_override_runs_slower_not_broken(tmp_path, monkeypatch, caplog, broken):
    """Issue 22: warm kernels override private jupyter_client methods and the engine swaps papermill's
    bookkeeping class; a release without them must fall back to plain nbclient, with the same output."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from papermill.engines import NotebookExecutionManager

    from khuyencong.runner import kernels, notebooks

    source = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "khuyencong", "language": "python",
                                                           "display_name": "Python (khuyencong)"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}, id="p"),
                nbformat.v4.new_code_cell("print(x + 1)", id="c")]
    nbformat.write(nb, source)
    normal = notebooks.execute(source, tmp_path / "normal.ipynb", {"x": 2}, timeout=120)
    if broken == "jupyter_client":  # a release that renamed a private method the warm kernels override
        monkeypatch.setattr(kernels, "PRIVATE_API", (*kernels.PRIVATE_API, (AsyncKernelClient, "_renamed_in_a_release")))
    else:
        monkeypatch.setattr(engine, "NEEDED", (*engine.NEEDED, (NotebookExecutionManager, "_renamed_in_a_release")))
    assert notebooks.platform()[1] == "nbclient"
    with caplog.at_level("WARNING"):
        fallback = notebooks.execute(source, tmp_path / "fallback.ipynb", {"x": 2}, timeout=120)
    assert "plain nbclient" in caplog.text and f"{broken} lacks" in caplog.text
    assert (tmp_path / "fallback.ipynb").read_bytes() == (tmp_path / "normal.ipynb").read_bytes()
    assert normal.cells_s is not None and fallback.cells_s is not None
