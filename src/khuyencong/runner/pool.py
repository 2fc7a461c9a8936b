"""Where runs execute: one ``concurrent.futures.Executor`` (fresh local processes, or a Dask cluster).

Every run calls :func:`khuyencong.runner.execute.execute_run` with the same :class:`RunSpec` and
its result dicts come back as runs finish, so outputs do not depend on where a run went.
"""
from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager
from typing import Iterator

from khuyencong.errors import EnvironmentProblem
from khuyencong.runner.execute import RunResult, RunSpec, execute_run, first_line

log = logging.getLogger(__name__)


@contextmanager
def executor(workers: int, scheduler: str | None = None, warm_up: tuple = ()) -> Iterator[Executor]:
    """Fresh (spawned) local worker processes, or the Dask cluster at ``scheduler`` (shared filesystem needed).

    ``warm_up``: arguments of :func:`khuyencong.runner.kernels.prestart`, called in each local worker
    as it starts so its warm kernel parent imports while the first runs are handed out (Dask
    workers start theirs at their first run and keep it).
    """
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise EnvironmentProblem(f"no Dask scheduler answers at {scheduler} ({first_line(exc)}): start it "
                                     "(`dask scheduler` and workers) or run without --scheduler") from None
        with client, client.get_executor(pure=False) as pool:
            yield pool
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=warm_up) as pool:
            yield pool


def _quiet_exit(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _start_worker(*warm_up) -> None:
    """A local worker: Ctrl-C (sent to the whole process group) ends it quietly, its kernel shut down
    on the way out, instead of printing a traceback; then its warm kernel parent starts importing."""
    import signal

    signal.signal(signal.SIGINT, _quiet_exit)
    if warm_up:
        from khuyencong.runner.kernels import prestart

        prestart(*warm_up)


def run_all(specs: list[RunSpec], workers: int, scheduler: str | None = None) -> Iterator[RunResult]:
    """Yield each run's result as it finishes; a worker that died gives a failed result, not an error."""
    warm_up = (specs[0].kernel, specs[0].root, specs[0].kernels) if specs else ()
    with executor(max(1, min(workers, len(specs))), scheduler, warm_up) as pool:
        futures = {pool.submit(execute_run, s): s for s in specs}
        for fut in as_completed(futures):
            yield result_of(fut, futures[fut])


def result_of(fut, spec: RunSpec) -> RunResult:
    try:
        return fut.result()
    except Exception as exc:  # the worker itself died (not the kernel): still a failed run
        return RunResult.lost(spec.run_id, f"worker lost: {first_line(exc)}")


class Progress:
    """A tqdm bar on a terminal; plain lines otherwise (cron, CI)."""

    def __init__(self, total: int):
        self.total, self.done, self.failed, self.t0 = total, 0, 0, time.perf_counter()
        self.bar = None
        if sys.stderr.isatty():
            import shutil

            from tqdm import tqdm

            width = shutil.get_terminal_size((100, 24)).columns  # some ptys report 0 columns
            self.bar = tqdm(total=total, unit="run", file=sys.stderr, ncols=min(width, 120) or 100)

    def update(self, label: str, result: RunResult) -> None:
        self.done += 1
        ok = result.ok
        self.failed += not ok
        line = f"{'ok    ' if ok else 'FAILED'} {label} ({result.duration_s} s)"
        if not ok:
            line += f": {result.error}"
        if self.bar is not None:
            if not ok:
                self.bar.write(line)
            self.bar.set_postfix(failed=self.failed)
            self.bar.update(1)
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        log.info("[%d/%d, %d failed, eta %.0f s] %s", self.done, self.total, self.failed, eta, line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
