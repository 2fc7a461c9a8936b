"""Where runs execute: a pool of fresh local processes, or a Dask cluster; and the progress display.

Both backends call :func:`khuyencong.runner.execute.execute_run` with the same plain-dict spec and yield
its result dicts as runs finish, so outputs do not depend on where a run went.
"""
from __future__ import annotations

import sys
import time


def _say(message: str) -> None:
    print(message, flush=True)


def in_processes(specs: list[dict], workers: int):
    """Yield results as runs finish, from a pool of fresh (spawned) worker processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from khuyencong.runner.execute import execute_run

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(execute_run, s): s for s in specs}
        for fut in as_completed(futures):
            yield result_of(fut, futures[fut])


def on_dask(specs: list[dict], address: str):
    """Yield results as runs finish on the Dask cluster at ``address`` (shared filesystem needed)."""
    from distributed import Client, as_completed

    from khuyencong.runner.execute import execute_run

    with Client(address) as client:  # as_completed needs it as the current client
        futures = {client.submit(execute_run, s, key=f"khuyencong-{s['run_id']}-{time.time_ns()}", pure=False): s
                   for s in specs}
        for fut in as_completed(list(futures)):
            yield result_of(fut, futures[fut])


def result_of(fut, spec: dict) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # the worker itself died (not the kernel): still a failed run
        from khuyencong.runner.execute import first_line, now_iso

        return {"run_id": spec["run_id"], "status": "failed", "error": f"worker lost: {first_line(exc)}",
                "started": None, "finished": now_iso(), "duration_s": None, "host": None}


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

    def update(self, label: str, result: dict) -> None:
        self.done += 1
        ok = result["status"] == "ok"
        self.failed += not ok
        line = f"{'ok    ' if ok else 'FAILED'} {label} ({result.get('duration_s')} s)"
        if not ok:
            line += f": {result['error']}"
        if self.bar is not None:
            if not ok:
                self.bar.write(line)
            self.bar.set_postfix(failed=self.failed)
            self.bar.update(1)
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        _say(f"[{self.done}/{self.total}, {self.failed} failed, eta {eta:.0f} s] {line}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
