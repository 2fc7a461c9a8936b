"""Warm kernels (runner/kernels.py): each run still a fresh process; same outputs as fresh kernels; a
killed kernel is a failed run with its partial notebook, and the next run goes on.

The notebooks are tiny and written by the tests; every run goes through ``execute_run``, the
function the pool's workers call.
"""
from __future__ import annotations

import dataclasses

import os
import signal
import time
from pathlib import Path

import nbformat
import pytest

from khuyencong.runner import kernels
from khuyencong.runner.execute import RunSpec, execute_run

KERNEL = "khuyencong"

LEAVE_STATE = '''\
import os, pandas, statistics
LEAKED_GLOBAL = 42
statistics.mean = lambda *a, **k: "patched"       # a patched stdlib module
pandas.LEAKED = True                              # a patched module the warm parent preloads
handle = open(os.path.join(output_dir, "held.txt"), "w")   # left open
os.environ["KHUYENCONG_LEAK"] = "1"
print(os.getpid())'''

SEE_NONE = '''\
import os, pandas, statistics
held = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")]
leaks = {"global": "LEAKED_GLOBAL" in globals(), "statistics": statistics.mean([1, 3]) != 2,
         "pandas": hasattr(pandas, "LEAKED"), "env": "KHUYENCONG_LEAK" in os.environ,
         "handle": any(h.endswith("held.txt") for h in held)}
print(os.getpid(), sorted(k for k, v in leaks.items() if v))'''

OUTPUTS = '''\
import matplotlib.pyplot as plt, numpy as np, pandas as pd
from IPython.display import display
plt.rcParams["svg.hashsalt"] = "test"             # as views/chart_base.py: SVG ids not random
df = pd.DataFrame({"year": range(2012, 2020), "value": np.linspace(1, 2, 8) ** 2})
df.to_csv(f"{output_dir}/table.csv", index=False)
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(df["year"], df["value"])
fig.savefig(f"{output_dir}/figure.png", dpi=60)
fig.savefig(f"{output_dir}/figure.svg", metadata={"Date": None})
display(df.round(3))
display(pd.DataFrame({f"a rather long column name {i}": range(3) for i in range(6)}))  # pandas' width
display(fig)
plt.close(fig)
print(np.random.default_rng(7).integers(100, size=3))'''

DIE = '''\
import os, signal
os.kill(os.getpid(), signal.SIGKILL)'''


def notebook(path: Path, *cells: str) -> Path:
    """A notebook on the project kernel: a tagged parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": KERNEL, "language": "python", "display_name": "Python (khuyencong)"},
        "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('output_dir = "."', metadata={"tags": ["parameters"]}, id="params")]
    nb.cells += [nbformat.v4.new_code_cell(src, id=f"cell-{i}") for i, src in enumerate(cells)]
    nbformat.write(nb, path)
    return path


def run(tmp_path: Path, source: Path, name: str, mode: str) -> tuple[dict, Path]:
    """(the run's result as a dict, its staging folder)."""
    staging = tmp_path / "staging" / f"{name}-{mode}"
    spec = RunSpec(run_id=name, root=str(tmp_path), source=str(source), staging=str(staging), final_ref=f"out/{name}",
                   name=source.stem, parameters={"lang": "en"}, kernel=KERNEL, kernels=mode, timeout=60)
    return dataclasses.asdict(execute_run(spec)), staging


def printed(nb_path: Path, cell: int = -1) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[cell].outputs if o.output_type == "stream").strip()


def test_a_run_sees_nothing_the_previous_run_left(tmp_path, mode="warm"):
    dirty = notebook(tmp_path / "dirty.ipynb", LEAVE_STATE)
    clean = notebook(tmp_path / "clean.ipynb", SEE_NONE)
    first, staging1 = run(tmp_path, dirty, "dirty", mode)
    second, staging2 = run(tmp_path, clean, "clean", mode)
    assert first["status"] == second["status"] == "ok", (first, second)
    pid1 = printed(staging1 / "dirty.ipynb")
    pid2, leaks = printed(staging2 / "clean.ipynb").split(" ", 1)
    assert leaks == "[]"
    assert pid1 != pid2 and int(pid2) != os.getpid()


def test_warm_and_fresh_store_the_same_bytes(tmp_path):
    source = notebook(tmp_path / "outputs.ipynb", OUTPUTS)
    stored = {}
    for mode in ("fresh", "warm", "warm"):
        result, staging = run(tmp_path, source, "outputs", mode)
        assert result["status"] == "ok", result
        stored.setdefault(mode, []).append({p.name: p.read_bytes() for p in sorted(staging.iterdir())})
    fresh, warm = stored["fresh"][0], stored["warm"]
    assert sorted(fresh) == ["figure.png", "figure.svg", "outputs.html", "outputs.ipynb", "table.csv"]
    for other in warm:
        assert sorted(other) == sorted(fresh)
        for name in fresh:
            assert other[name] == fresh[name], f"{name} differs between warm and fresh kernels"


ENDPOINT = '''\
import zmq
print(get_ipython().kernel.shell_stream.socket.getsockopt(zmq.LAST_ENDPOINT).decode().split("://")[0])'''


@pytest.mark.parametrize("mode", kernels.MODES)
def test_kernels_talk_over_private_unix_sockets_not_tcp(tmp_path, capfd, mode):
    root_before = os.environ.get("KHUYENCONG_ROOT")
    result, staging = run(tmp_path, notebook(tmp_path / "where.ipynb", ENDPOINT), "where", mode)
    assert result["status"] == "ok", result
    assert os.environ.get("KHUYENCONG_ROOT") == root_before  # a run in this process leaves its project alone
    assert printed(staging / "where.ipynb") == "ipc"
    assert "without encryption" not in capfd.readouterr().err


def test_a_killed_kernel_is_a_failed_run_and_the_next_run_goes_on(tmp_path):
    dies = notebook(tmp_path / "dies.ipynb", "print('before')", DIE, "print('never')")
    fine = notebook(tmp_path / "fine.ipynb", "print('after')")
    t0 = time.perf_counter()
    result, staging = run(tmp_path, dies, "dies", "warm")
    assert time.perf_counter() - t0 < 30  # noticed by the liveness poll, not a timeout
    assert result["status"] == "failed" and "Dead" in result["error"], result
    assert printed(staging / "dies.ipynb", 2) == "before"  # the partial notebook (after papermill's parameters cell)
    result, staging = run(tmp_path, fine, "fine", "warm")
    assert result["status"] == "ok" and printed(staging / "fine.ipynb") == "after"


def test_a_dead_warm_parent_is_replaced(tmp_path):
    fine = notebook(tmp_path / "fine.ipynb", "print('after')")
    assert run(tmp_path, fine, "fine", "warm")[0]["status"] == "ok"
    for zygote in kernels._zygotes.values():
        os.kill(zygote.process.pid, signal.SIGKILL)
        zygote.process.wait()
    result, staging = run(tmp_path, fine, "fine", "warm")
    assert result["status"] == "ok" and printed(staging / "fine.ipynb") == "after"


def test_mode_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv(kernels.ENV_MODE, raising=False)
    assert kernels.mode() == "warm"
    monkeypatch.setenv(kernels.ENV_MODE, "fresh")
    assert kernels.mode() == "fresh" and kernels.manager_class() is kernels.LocalSocketKernelManager
    assert kernels.manager_class("warm") is kernels.WarmKernelManager
    with pytest.raises(ValueError):
        kernels.mode("lukewarm")


class _Channel:
    """A channel answering get_msg from a list of messages (None: nothing came in time)."""

    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.messages or self.messages[0] is None:
            if self.messages:
                self.messages.pop(0)
            raise Empty
        return self.messages.pop(0)


def _msg(kind, parent, **content):
    return {"msg_type": kind, "parent_header": {"msg_id": parent}, "content": content, "header": {}}


class _FakeClient(kernels.PromptKernelClient):
    """The ready check of :class:`~khuyencong.runner.kernels.PromptKernelClient` on scripted channels."""

    def __init__(self, shell, iopub, alive=True):
        super().__init__()
        self.fake_shell, self.fake_iopub, self.alive, self.asked, self.info = shell, iopub, alive, 0, None

    shell_channel = property(lambda self: self.fake_shell)
    iopub_channel = property(lambda self: self.fake_iopub)

    def kernel_info(self):
        self.asked += 1
        return f"req{self.asked}"

    async def _async_is_alive(self):
        return self.alive

    def _handle_kernel_info_reply(self, msg):
        self.info = msg


def test_ready_when_the_kernel_info_request_goes_idle_on_iopub():
    import asyncio

    reply = _msg("kernel_info_reply", "req1")
    iopub = [_msg("iopub_welcome", None), _msg("status", "req1", execution_state="busy"),
             _msg("status", "req1", execution_state="idle"), _msg("stream", "other"), None]
    client = _FakeClient(_Channel([reply]), _Channel(iopub))
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == 1 and client.info is reply and client.fake_iopub.messages == []  # drained, no wait


def test_iopub_not_yet_connected_asks_again_and_a_dead_kernel_is_an_error():
    import asyncio

    # the first request's statuses were published before IOPub was connected (a slow joiner)
    client = _FakeClient(_Channel([_msg("kernel_info_reply", "req1"), _msg("kernel_info_reply", "req2")]),
                         _Channel([None, _msg("status", "req2", execution_state="idle")]))
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == 2 and client.info["parent_header"]["msg_id"] == "req2"
    dead = _FakeClient(_Channel([None]), _Channel([]), alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(dead.wait_for_ready(timeout=5))
