"""run_shared: the work split between this process and forked workers, results in order."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from consult.parallel import can_fork, run_shared

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers are forked on Linux only")


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("consult-*")}


def test_results_come_back_in_order_and_the_workers_share_the_work() -> None:
    me = os.getpid()
    items = [f"item {i}" for i in range(2000)]  # read by the workers from the memory they inherit
    before = _leftovers()

    def task(start: int, stop: int) -> list[tuple[str, int]]:
        return [(items[i].upper(), os.getpid()) for i in range(start, stop)]

    seen: list[str] = []
    pids: set[int] = set()
    progress: list[int] = []
    for size, results in run_shared(task, len(items), 3, threshold=10, progress=progress.append, chunk=50):
        assert size == len(results)
        seen += [text for text, _ in results]
        pids |= {pid for _, pid in results}
    assert seen == [item.upper() for item in items]
    assert me in pids and len(pids) >= 2  # this process worked, and at least one worker did
    assert sum(progress) == len(items)
    assert _leftovers() == before  # the workers' result files are gone


def test_small_work_runs_here_only() -> None:
    def task(start: int, stop: int) -> list[int]:
        return [os.getpid()] * (stop - start)

    pids = {pid for _, results in run_shared(task, 50, 4, threshold=100) for pid in results}
    assert pids == {os.getpid()}


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    me = os.getpid()

    def task(start: int, stop: int) -> list[int]:
        if os.getpid() != me:
            raise ValueError(f"broken range {start}-{stop}")
        return list(range(start, stop))

    with pytest.raises(ValueError, match="broken range"):
        for _ in run_shared(task, 1000, 2, threshold=10, chunk=10):
            pass


def test_in_child_runs_the_task_in_another_process_and_brings_back_its_result_or_error() -> None:
    """in_child: the task runs in a forked process (what it leaves behind stays there); its result, or
    the exception it raised, comes back here; no temporary file is left."""
    from consult.parallel import in_child

    me, before = os.getpid(), _leftovers()
    left: list[str] = []

    def task() -> tuple[int, list[str]]:
        left.append("garbage")  # the child's copy of the list
        return os.getpid(), ["résultat"] * 3

    pid, value = in_child(task)
    assert pid != me and value == ["résultat"] * 3 and left == []

    def fails() -> None:
        raise ValueError("a problem in the child")

    with pytest.raises(ValueError, match="a problem in the child"):
        in_child(fails)
    assert _leftovers() == before
