"""run_shared: the work split between this process and forked workers, results in order."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest

from consult.parallel import Beside, _ranges, can_fork, collector_off, in_child, run_shared

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


@pytest.mark.parametrize("count,jobs,chunk", [(0, 2, 100), (1, 2, 100), (10, 2, 100), (999, 3, 50), (11_567, 2, 100)])
def test_the_ranges_cover_the_work_once_and_grow_smaller_towards_the_end(count: int, jobs: int, chunk: int) -> None:
    """The last ranges are smaller, so that a process with nothing left to take waits little for the
    others to finish theirs; none is larger than `chunk` nor than its share."""
    bounds = _ranges(count, jobs, chunk)
    assert [start for start, _ in bounds] == ([0] if count else []) + [stop for _, stop in bounds[:-1]]
    assert (bounds[-1][1] if bounds else 0) == count
    sizes = [stop - start for start, stop in bounds]
    assert all(0 < size <= max(1, min(chunk, count // (jobs * 8))) for size in sizes)
    assert sizes == sorted(sizes, reverse=True)
    if count >= 1000:  # the last ranges are a quarter of the first ones
        assert sizes[-2] <= sizes[0] // 4 + 1


def test_ranges_keep_the_items_of_one_key_together_and_still_cover_the_work_once() -> None:
    """`together`: the items of one key that follow each other (a consultation's list pages) are never
    split between two ranges; items without a key are cut as before."""
    count = 11_617
    together = [None] * count
    for first in range(500, count - 77, 577):  # 77 list pages after every 500 proposal pages
        together[first:first + 77] = [f"c{first}"] * 77
    bounds = _ranges(count, 2, 100, together)
    assert [start for start, _ in bounds] == [0] + [stop for _, stop in bounds[:-1]] and bounds[-1][1] == count
    for start, stop in bounds:
        assert stop == count or together[stop] is None or together[stop] != together[stop - 1]
    assert max(stop - start for start, stop in bounds) <= 100 + 77
    assert _ranges(count, 2, 100, [None] * count) == _ranges(count, 2, 100)


def test_workers_see_a_frozen_heap_and_a_caller_that_froze_keeps_its_objects_frozen() -> None:
    """run_shared freezes this process's objects for its workers' sake; it unfreezes them after, unless
    the caller had frozen objects itself (gc can only unfreeze everything: a build's frozen model
    would be walked by every full collection again)."""
    import gc

    def task(start: int, stop: int) -> list[int]:
        return [gc.get_freeze_count()] * (stop - start)

    assert gc.get_freeze_count() == 0
    counts = [n for _, chunk in run_shared(task, 200, 2, threshold=10, chunk=20) for n in chunk]
    assert min(counts) > 0 and gc.get_freeze_count() == 0
    kept = [object() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        for _ in run_shared(task, 200, 2, threshold=10, chunk=20):
            pass
        assert gc.get_freeze_count() >= frozen and kept
    finally:
        gc.unfreeze()


def test_collector_off_can_freeze_what_was_made_before_the_collector_is_back() -> None:
    """With freeze, what was made while the collector was off is frozen when it comes back: otherwise
    it is all still young, and the first collection after walks it (a whole site, at a build)."""
    import gc

    def young() -> set[int]:
        return {id(x) for x in gc.get_objects(generation=0) + gc.get_objects(generation=1)}

    assert gc.get_freeze_count() == 0 and gc.isenabled()
    with collector_off():
        made = [[i] for i in range(5_000)]
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert sum(id(x) in young() for x in made[:100]) == 100  # the control: young, and walked by the next collection
    try:
        with collector_off(freeze=True):
            made = [[i] for i in range(5_000)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(made)
        assert not any(id(x) in young() for x in made[:100])
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        with collector_off(freeze=True):
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
        gc.unfreeze()


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


@pytest.mark.skipif(not can_fork(), reason="Forked runs the task here where fork is not available")
def test_a_gated_child_starts_its_task_only_when_told_and_an_abandoned_one_never(tmp_path: Path) -> None:
    """Forked(task, gated=True): forked at once, the task waits for go() (or result()); abandoned before,
    the child ends without running it; no temporary file is left either way."""
    import time

    from consult.parallel import Forked

    before = _leftovers()
    mark = tmp_path / "ran"

    def task() -> tuple[int, float]:
        mark.write_text("x")
        return os.getpid(), time.monotonic()

    child = Forked(task, gated=True)
    time.sleep(0.2)
    assert not mark.exists()  # forked, waiting
    told = time.monotonic()
    child.go()
    pid, started = child.result()
    assert pid != os.getpid() and started >= told and mark.exists()

    mark.unlink()
    abandoned = Forked(task, gated=True)
    abandoned.abandon()
    assert abandoned.pid is None and not mark.exists()
    assert _leftovers() == before


@pytest.mark.skipif(not can_fork(), reason="in_child runs the task here where fork is not available")
def test_in_child_reads_without_the_cyclic_collector_and_gives_it_back_here() -> None:
    """The child works without cyclic collections (all it makes is its result, or freed by reference
    counting, and dies with it); the result is unpickled here with the collector paused, which is on
    again afterwards, or still off if it was off."""
    import gc

    from consult.parallel import collector_off, in_child

    seen: list[bool] = []
    real_load = pickle.load

    def load(handle: Any) -> Any:
        seen.append(gc.isenabled())
        return real_load(handle)

    assert gc.isenabled()
    pickle.load = load  # type: ignore[assignment]
    try:
        assert in_child(gc.isenabled) is False
    finally:
        pickle.load = real_load  # type: ignore[assignment]
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with collector_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_in_child_sends_a_split_result_in_pieces_each_pickled_on_its_own() -> None:
    """in_child(task, Split(parts, join)): the head and each piece come back, joined; each piece is a
    pickle of its own (pickle's memo covers one piece: what two pieces share comes back as two copies,
    what one piece holds twice as one object), and an error still comes back as itself."""
    from consult.parallel import Split, in_child

    shared = ["commun"]

    def task() -> dict[str, object]:
        return {"head": os.getpid(), "pieces": [(shared, shared), (shared,), ()]}

    split = Split(lambda value: (value["head"], value["pieces"]),
                  lambda head, pieces: {"head": head, "pieces": pieces})
    value = in_child(task, split)
    first, second, third = value["pieces"]  # type: ignore[misc]
    assert value["head"] != os.getpid() and (first, second, third) == ((shared, shared), (shared,), ())
    assert first[0] is first[1] and second[0] is not first[0]

    def fails() -> dict[str, object]:
        raise ValueError("a problem in the child")

    with pytest.raises(ValueError, match="a problem in the child"):
        in_child(fails, split)


def test_in_child_lets_each_piece_go_once_written() -> None:
    """parallel._send (in_child's child): a piece is freed once pickled, before the next is (what
    pickling adds to objects, a str's UTF-8 form, is then reused, not grown); the pieces come back
    whole and in order, pickled with the Split's reducers."""
    import io
    import pickle
    import weakref

    from consult.parallel import Split, _send

    class Piece:
        def __init__(self, number: int) -> None:
            self.number = number

    refs: list[weakref.ref[Piece]] = []
    alive: list[list[bool]] = []

    def task() -> list[Piece]:
        pieces = [Piece(n) for n in range(3)]
        refs.extend(weakref.ref(piece) for piece in pieces)
        return pieces

    def reduce(piece: Piece) -> tuple[Any, ...]:
        alive.append([ref() is not None for ref in refs])
        return (str, (f"p{piece.number}",))

    handle = io.BytesIO()
    _send(task, Split(lambda value: ("head", value), lambda head, pieces: pieces, {Piece: reduce}), handle)
    handle.seek(0)
    assert pickle.load(handle) == (True, "head", 3)
    assert [pickle.load(handle) for _ in range(3)] == ["p0", "p1", "p2"]
    assert alive == [[True, True, True], [False, True, True], [False, False, True]]


def _steps(log: list[tuple[str, float]], count: int, seconds: float) -> Any:
    """Beside's steps: each takes `seconds` and logs when it ended; the result is how many ran."""
    import time

    for n in range(count):
        time.sleep(seconds)
        log.append(("step", time.monotonic()))
        yield
    return count


def test_beside_runs_here_while_the_workers_work_and_gives_its_result() -> None:
    """The work beside is done by this process, a step at a time, while a worker works through
    ranges (it would otherwise wait for it, or the worker for it): a worker's range ends before its
    last step does, and every range this process did itself came after all of its steps."""
    import time

    me = os.getpid()
    log: list[tuple[str, float]] = []
    beside = Beside(_steps(log, 10, 0.02))

    def task(start: int, stop: int) -> list[tuple[int, float]]:
        time.sleep(0.005)
        return [(os.getpid(), time.monotonic())] * (stop - start)

    done = [result for _, results in run_shared(task, 400, 2, threshold=10, chunk=10, beside=beside)
            for result in results]
    assert len(done) == 400 and beside.result() == 10
    last_step = max(when for _, when in log)
    assert min(when for pid, when in done if pid != me) < last_step
    assert all(when > last_step for pid, when in done if pid == me)


def test_beside_is_all_done_first_when_there_are_no_workers() -> None:
    import time

    log: list[tuple[str, float]] = []
    beside = Beside(_steps(log, 3, 0))
    ends = [time.monotonic() for _, results in run_shared(lambda a, b: b - a, 20, 1, threshold=10, beside=beside)
            for _ in [results]]
    assert beside.result() == 3 and max(when for _, when in log) < min(ends)
    assert Beside(_steps([], 2, 0)).result() == 2  # without run_shared: all steps at once


def test_beside_runs_here_while_in_child_works() -> None:
    import time

    log: list[tuple[str, float]] = []
    beside = Beside(_steps(log, 5, 0.02))

    def task() -> tuple[int, float]:
        time.sleep(0.15)
        return os.getpid(), time.monotonic()

    pid, ended = in_child(task, beside=beside)
    assert pid != os.getpid() and beside.result() == 5
    assert max(when for _, when in log) < ended  # done here while the child worked, not after it
