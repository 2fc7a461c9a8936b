"""Warm, isolated kernels: a pre-imported parent (a "zygote") forks a fresh kernel process per run.

A fresh kernel pays interpreter start, kernel start and the imports of pandas, matplotlib and the
package on every run. The zygote is a Python started like the kernel (the kernelspec's interpreter
and flags, the launcher's environment) that has imported those modules once and never runs user
code. For each run it forks: the child becomes the kernel (its own session and process group, the
run's environment, cwd, stdout and stderr) and runs ``ipykernel`` exactly as ``-m
ipykernel_launcher`` would. Every run still gets its own process, so nothing one notebook sets,
patches or leaves open reaches the next.

jupyter_client sees an ordinary kernel: :class:`WarmKernelManager` only swaps the provisioner's
``launch_kernel`` (papermill passes it on as ``kernel_manager_class``). A killed kernel is noticed
by the usual liveness poll (a failed run, never a hang); a dead zygote is replaced on the next run.
``KHUYENCONG_KERNELS=fresh`` (or ``kernels="fresh"``) uses plain kernels.

Either way a kernel talks to its runner over Unix sockets in a private folder
(:class:`LocalSocketKernelManager`), not over TCP ports on localhost: parallel kernels cannot race
for a port, no other local user can reach them, and ipykernel has no reason to warn about
unencrypted TCP on every run.
"""
from __future__ import annotations

import atexit
import importlib.util
import shutil
import tempfile
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type, default

from khuyencong.errors import ConfigurationError, EnvironmentProblem

log = logging.getLogger(__name__)

MODES = ("warm", "fresh")
ENV_MODE = "KHUYENCONG_KERNELS"
_LAUNCHER = ("-m", "ipykernel_launcher")
# What every report notebook imports: loaded once in the zygote, so each forked kernel starts with them.
# Besides the notebooks' own imports: what saving a table (openpyxl, ~0.1 s) and a figure (PIL's
# plugins) and reading the tables (pyarrow.dataset, yaml) import on first use.
PRELOAD = ("numpy", "pandas", "pyarrow", "pyarrow.parquet", "pyarrow.dataset", "matplotlib", "matplotlib.pyplot",
           "seaborn", "statsmodels.api", "scipy.stats", "openpyxl", "yaml", "PIL.Image", "PIL.PngImagePlugin",
           "PIL.BmpImagePlugin", "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin",
           "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "khuyencong.views.context", "khuyencong.views.results", "khuyencong.views.plots",
           "khuyencong.views.brief", "khuyencong.views.brief_text", "khuyencong.views.real_summary",
           "khuyencong.analysis.models", "khuyencong.analysis.growth", "khuyencong.analysis.productivity",
           "khuyencong.analysis.metrics", "khuyencong.analysis.real_record", "khuyencong.analysis.real_growth")
_MAX_MESSAGE = 1 << 20


def mode(requested: str | None = None) -> str:
    """``requested``, else ``$KHUYENCONG_KERNELS``, else ``"warm"``; ValueError for anything else."""
    chosen = (requested or os.environ.get(ENV_MODE) or "warm").strip().lower()
    if chosen not in MODES:
        where = "--kernels" if requested else ENV_MODE
        raise ConfigurationError(f"{where}={chosen!r}: kernels must be one of {', '.join(MODES)}")
    return chosen


#: The private jupyter_client methods this module overrides: if a release drops one, runs fall back to
#: plain kernels (slower, not broken; :func:`khuyencong.runner.notebooks.execute`).
PRIVATE_API = ((AsyncKernelClient, "_async_wait_for_ready"), (AsyncKernelManager, "_async_pre_start_kernel"),
               (LocalProvisioner, "launch_kernel"), (LocalProvisioner, "wait"))


def manager_class(requested: str | None = None) -> type[AsyncKernelManager]:
    """The kernel manager for papermill's ``kernel_manager_class``."""
    return WarmKernelManager if mode(requested) == "warm" else LocalSocketKernelManager


_socket_dir: str | None = None


def _private_socket_dir() -> str:
    """A folder only this process can enter, short enough for Unix socket paths (≤ 107 bytes)."""
    global _socket_dir
    if _socket_dir is None or not os.path.isdir(_socket_dir):
        _socket_dir = tempfile.mkdtemp(prefix="khuyencong-kernels-")
        atexit.register(shutil.rmtree, _socket_dir, True)
    return _socket_dir


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel has answered ``kernel_info`` on the shell
    channel and its idle status for that request has come through IOPub (IOPub is connected).

    jupyter_client then also waits for 0.2 s of IOPub silence before calling a kernel ready: 0.2 s
    of every run for messages that, for a kernel nobody else talks to, have all arrived already.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            reply = await self._kernel_info_reply(deadline)
            if reply is not None and await self._idle_after(reply["parent_header"].get("msg_id"),
                                                            min(deadline, time.monotonic() + 0.2)):
                self._handle_kernel_info_reply(reply)
                break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:  # whatever else is already there, without waiting for more
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                return

    wait_for_ready = _async_wait_for_ready

    async def _kernel_info_reply(self, deadline: float) -> dict | None:
        try:
            msg = await self.shell_channel.get_msg(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
        except Empty:
            return None
        return msg if msg["msg_type"] == "kernel_info_reply" else None

    async def _idle_after(self, request: str, until: float) -> bool:
        """Whether IOPub brings the kernel's idle status for ``request`` before ``until``."""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=max(0.0, until - time.monotonic()))
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") == request):
                return True


class LocalSocketKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager on the ``ipc`` transport, sockets in a private folder, with
    :class:`PromptKernelClient`."""

    client_class = DottedObjectName(f"{__name__}.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return os.path.join(_private_socket_dir(), "k")


# ---------------------------------------------------------------- the launcher side

class ForkedKernel:
    """What jupyter_client needs of a ``Popen`` for a kernel forked by the zygote."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid, self.returncode = zygote, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A warm parent process for ``prefix`` (the kernelspec's interpreter and its flags), talked to over a socket."""

    def __init__(self, prefix: list[str]):
        self.prefix = prefix
        self.lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = f"from khuyencong.runner.kernels import serve; serve({theirs.fileno()})"
        self.process = subprocess.Popen([*prefix, "-c", code], pass_fds=(theirs.fileno(),),
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.sock = ours

    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, message: dict, fds: tuple[int, ...] = ()) -> dict:
        """Send one request (with file descriptors) and return the reply; OSError when the zygote is gone."""
        with self.lock:
            socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
            reply = self.sock.recv(_MAX_MESSAGE)
        if not reply:
            raise ConnectionError("the warm kernel parent exited")
        answer = json.loads(reply)
        if "error" in answer:
            raise RuntimeError(f"warm kernel parent: {answer['error']}")
        return answer

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        """A fresh kernel forked from the zygote, with this process's stdout and stderr."""
        reply = self.request({"op": "spawn", "argv": argv, "env": env, "cwd": cwd}, (1, 2))
        return ForkedKernel(self, reply["pid"])

    def status(self, pid: int) -> int | None:
        """The kernel's exit code, or None while it runs (a lost zygote counts as a killed kernel)."""
        try:
            return self.request({"op": "status", "pid": pid})["returncode"]
        except (OSError, RuntimeError):
            return -signal.SIGKILL

    def close(self) -> None:
        self.sock.close()  # the zygote sees end of input, stops its kernels and exits
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_zygotes: dict[tuple[str, ...], Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote_for(argv: list[str]) -> Zygote:
    """This process's zygote for a kernel command line, started (or replaced, if it died) on demand."""
    if _LAUNCHER[0] not in argv or tuple(argv[argv.index("-m"):argv.index("-m") + 2]) != _LAUNCHER:
        raise EnvironmentProblem(f"warm kernels need a kernelspec that runs `python -m ipykernel_launcher`, not {argv}")
    prefix = tuple(argv[:argv.index("-m")])
    with _zygotes_lock:
        current = _zygotes.get(prefix)
        if current is None or not current.alive():
            if current is not None:
                log.warning("the warm kernel parent exited (%s); starting a new one", current.process.returncode)
            current = _zygotes[prefix] = Zygote(list(prefix))
        return current


def prestart(kernel: str = "khuyencong", root: str | None = None, kernels: str | None = None) -> None:
    """Start this process's zygote for ``kernel`` now, so its imports overlap other work (pool initializer)."""
    if root:
        os.environ["KHUYENCONG_ROOT"] = root
    if mode(kernels) != "warm":
        return
    from jupyter_client.kernelspec import KernelSpecManager

    zygote_for(KernelSpecManager().get_kernel_spec(kernel).argv)


@atexit.register
def _close_all() -> None:
    for zygote in list(_zygotes.values()):
        zygote.close()
    _zygotes.clear()


class WarmProvisioner(LocalProvisioner):
    """The local provisioner, with the kernel forked from the zygote instead of started from scratch."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}  # as launch_kernel sets
        cwd = str(kwargs.get("cwd") or os.getcwd())
        self.process = zygote_for(cmd).spawn(cmd, env, cwd)
        self.pid = self.pgid = self.process.pid  # the kernel leads its own process group
        self.cwd = cwd
        return self.connection_info

    async def wait(self) -> int | None:
        import asyncio

        if self.process is None:
            return 0
        while self.process.poll() is None:  # the local provisioner polls every 0.1 s
            await asyncio.sleep(0.01)
        code, self.process = self.process.returncode, None
        return code


class WarmKernelManager(LocalSocketKernelManager):
    """jupyter_client's kernel manager with :class:`WarmProvisioner`."""

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


# ---------------------------------------------------------------- the zygote side

def serve(fd: int) -> None:
    """The zygote's loop: preload, then answer spawn/status requests until the launcher goes away."""
    sock = socket.socket(fileno=fd)
    if sys.path and sys.path[0] == "":  # from `-c`; ipykernel_launcher drops the script folder too
        del sys.path[0]
    _preload()
    children: dict[int, int | None] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        except OSError:
            data, fds = b"", []
        if not data:
            break
        _reap(children)
        message = json.loads(data)
        try:
            if message["op"] == "spawn":
                pid = _fork_kernel(sock, message, fds)
                children[pid] = None
                reply: dict = {"pid": pid}
            else:
                reply = {"returncode": children.get(message["pid"], -signal.SIGKILL)}
        except Exception as exc:  # report to the launcher instead of dying
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for f in fds:
                os.close(f)
        sock.send(json.dumps(reply).encode())
    for pid, code in children.items():
        if code is None:
            _kill_group(pid)


class _InKernel:
    kernel = True


def _preload() -> None:
    """Import :data:`PRELOAD` as a kernel would: modules that ask at import time whether they run in
    a Jupyter kernel (pandas sets its display width from ``get_ipython().kernel``) must hear yes."""
    import builtins

    builtins.get_ipython = _InKernel  # IPython defines it there; the zygote has no shell yet
    try:
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a kernel importing it will show the real error
                print(f"warm kernels: not preloading {name}: {exc}", file=sys.stderr, flush=True)
    finally:
        del builtins.get_ipython


def _reap(children: dict[int, int | None]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children[pid] = os.waitstatus_to_exitcode(status)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _fork_kernel(sock: socket.socket, message: dict, fds: list[int]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        sock.close()
        code = _become_kernel(message["argv"], message["env"], message["cwd"], fds)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str, fds: list[int]) -> int:
    """In the forked child: what a freshly launched ``python -m ipykernel_launcher …`` would be."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for target, fd in zip((1, 2), fds):
        os.dup2(fd, target)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [importlib.util.find_spec(_LAUNCHER[1]).origin, *argv[argv.index("-m") + 2:]]
    if "numpy" in sys.modules:  # its global generator was seeded in the zygote; a fresh process seeds anew
        sys.modules["numpy"].random.seed()
    from ipykernel.kernelapp import IPKernelApp

    # read from the environment when ipykernel was imported (in the zygote), so given here
    IPKernelApp.launch_instance(parent_handle=int(env.get("JPY_PARENT_PID") or 0))
    return 0
