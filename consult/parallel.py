"""One list of work, split between this process and forked workers that inherit its memory.

Parsing the content and rendering the pages both go through `run_shared`: the
workers are forked after the work is set up, so they read it from the memory
they inherit (nothing of the site is pickled to them) and send back only their
results. This process works too, on a chunk of its own whenever the workers have
enough in hand, so `jobs` processes in all run at once. Results come back in
order. Where fork is not available (or safe: only Linux is assumed so), or the
work is small, everything runs here.
"""

from __future__ import annotations

import copyreg
import gc
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeVar

R = TypeVar("R")

# The work of the current run_shared call: read by the forked workers, set before they start.
_task: Callable[[int, int], Any] | None = None
_folder: str | None = None


def can_fork() -> bool:
    return os.name == "posix" and os.uname().sysname == "Linux"


class Beside(Generic[R]):
    """Work of this process that need not wait for a run_shared call, done a step at a time while
    its workers work: `steps` yields between steps and returns the result. Alone (one process), it
    is all done before the first range."""

    def __init__(self, steps: Generator[None, None, R]):
        self._steps: Generator[None, None, R] | None = steps
        self._value: R | None = None

    def step(self) -> bool:
        """Do the next step; False once there is none left."""
        if self._steps is not None:
            try:
                next(self._steps)
            except StopIteration as end:
                self._steps, self._value = None, end.value
        return self._steps is not None

    def result(self) -> R:
        """The result, the steps left done first."""
        while self.step():
            pass
        return self._value  # type: ignore[return-value]

    def close(self) -> None:
        """Leave the steps left undone (the build failed): what they hold open is let go now."""
        if self._steps is not None:
            self._steps.close()
            self._steps = None


def run_shared(task: Callable[[int, int], R], count: int, jobs: int, threshold: int,
               progress: Callable[[int], None] | None = None, chunk: int = 100,
               beside: Beside[Any] | None = None,
               together: Sequence[str | None] | None = None) -> Generator[tuple[int, R], None, None]:
    """task(start, stop) for consecutive ranges covering 0..count, each yielded as (size, result)
    in order; in `jobs` processes when count reaches `threshold`. `chunk` caps a range's size:
    a range done here waits in memory until the ones before it are. A caller that stops early must
    close the generator (contextlib.closing) before it undoes anything the workers did. `beside`:
    this process does its steps first, in place of ranges of its own, while the workers have
    ranges in hand; it is done by the time the last range is yielded. `together`: a key for each item
    (None: none); items of one key that follow each other go in one range (see _ranges)."""
    global _task, _folder
    if jobs <= 1 or count < threshold or not can_fork():
        if beside is not None:
            beside.result()
        size = max(1, min(count, chunk))
        for start in range(0, count, size):
            stop = min(start + size, count)
            yield stop - start, task(start, stop)
            if progress is not None:
                progress(stop - start)
        return
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing import get_context

    bounds = _ranges(count, jobs, chunk, together)
    done: dict[int, Any] = {}
    running: dict[int, Future[Any]] = {}
    assigned = shown = 0
    _task = task
    # Frozen objects are left out of the workers' garbage collections, which would otherwise write to
    # (and so copy) every page of the parent's heap they inherited. Unfrozen again at the end, unless
    # the caller had frozen objects itself: gc can only unfreeze everything, and the caller's objects
    # would then be walked again by the next full collection (1.7 s for a million contributions).
    thawed = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        with tempfile.TemporaryDirectory(prefix="consult-") as _folder:
            pool = ProcessPoolExecutor(jobs - 1, mp_context=get_context("fork"))
            try:
                while shown < len(bounds):
                    # A few ranges queued per worker, so that it never waits for this process to hand on the next.
                    while assigned < len(bounds) and len(running) < 4 * (jobs - 1):
                        running[assigned] = pool.submit(_run, bounds[assigned])
                        assigned += 1
                    for index in [i for i, future in running.items() if future.done()]:
                        done[index] = _load(running.pop(index).result())
                    if shown not in done:
                        if beside is not None and beside.step():  # this process's own work first
                            continue
                        if assigned < len(bounds):  # nothing to hand on yet: work here meanwhile
                            done[assigned] = task(*bounds[assigned])
                            assigned += 1
                        else:
                            done[shown] = _load(running.pop(shown).result())
                        continue
                    start, stop = bounds[shown]
                    shown += 1
                    if shown == len(bounds) and beside is not None:
                        beside.result()
                    yield stop - start, done.pop(shown - 1)
                    if progress is not None:
                        progress(stop - start)
            finally:
                # Closed early (an error here or in the caller): the queued ranges are cancelled and the
                # running ones finished before the caller goes on, as a worker may be writing pages the
                # caller is about to roll back.
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _task = _folder = None
        if thawed:
            gc.unfreeze()


def _ranges(count: int, jobs: int, chunk: int, together: Sequence[str | None] | None = None) -> list[tuple[int, int]]:
    """run_shared's ranges: `count // (jobs * 8)` items each (at most `chunk`), then smaller as the end
    nears (a quarter of what is left per process, down to a quarter of that size). A process that finds
    nothing more to take waits for the ranges queued before it: the smaller the last ones, the less
    it waits (at 10,000 proposals, 100 pages a range and four queued made a core idle 0.1 to 0.2 s).

    `together`: a range that would end between two items of one key ends after the last of them, so
    that one process does them all (a consultation's 77 list pages, whose cards each process that
    shows them renders: split between two, 10,000 proposals' cards were rendered 15,760 times)."""
    size = max(1, min(count // (jobs * 8), chunk))
    bounds, start = [], 0
    while start < count:
        stop = min(count, start + max(min(size, (count - start) // (4 * jobs)), size // 4, 1))
        while together is not None and stop < count and together[stop] is not None and together[stop] == together[stop - 1]:
            stop += 1
        bounds.append((start, stop))
        start = stop
    return bounds


def in_child(task: Callable[[], R], split: Split[R] | None = None, beside: Beside[Any] | None = None) -> R:
    """task(), run in a forked process; its result (or its exception) comes back pickled through a
    temporary file. For work whose garbage should not stay in this process: what it leaves behind
    dies with the child, and the result is unpickled here into memory of its own, without the holes
    the garbage would leave between its objects. Where fork is not available, runs here.

    `split`: a large result goes in pieces, split.parts(result) = (head, pieces), each pickled on its
    own and put back here as split.join(head, pieces). Pickle's memo keeps every object it has written
    (and, while unpickling, every object it has read) alive until the end of its pickle: one pickle of
    a million contributions held a state list and a memo entry for each of them, on both sides. In
    pieces, the memo covers one piece at a time (objects shared between pieces come back as copies).

    `beside`: done here while the child works (first, where there is no child)."""
    child = Forked(task, split)
    try:
        if beside is not None:
            beside.result()
    except BaseException:
        child.abandon()
        raise
    return child.result()


class Forked(Generic[R]):
    """task() in a forked child, its result (or exception) read when `result()` is called: this process
    goes on meanwhile (in_child, which waits at once, says why a child). Where fork is not available,
    the task runs in `result()`, here.

    `gated`: the child is forked now but waits for `go()` (or `result()`) to start the task. Forked
    early, from a small heap, it shares none of what this process makes meanwhile: forked later, each
    page this process then wrote would be copied first, for as long as the child lives."""

    def __init__(self, task: Callable[[], R], split: Split[R] | None = None, gated: bool = False):
        self.task, self.split = task, split
        self.pid: int | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._gate: int | None = None
        if not can_fork():
            return
        self._folder = tempfile.TemporaryDirectory(prefix="consult-")
        self.path = os.path.join(self._folder.name, "result.pickle")
        if gated:
            wait, self._gate = os.pipe()
        sys.stdout.flush()  # what this process printed is not the child's to print again when it flushes
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: measured by its result, never returns
            code = 0
            if gated:
                os.close(self._gate)  # type: ignore[arg-type]
                if not os.read(wait, 1):  # the parent closed the gate without a word: not wanted
                    os._exit(0)
            # No cyclic collection in the child: all it makes is either the result, alive until sent, or
            # freed by reference counting (reading and linking 100,000 contributions left 24 objects in
            # cycles), and it all dies with the child. Full collections would walk the whole growing heap
            # again and again: 7 s of the 40 s a 300,000-contribution site took to read and send.
            gc.disable()
            try:
                with open(self.path, "wb") as handle:
                    _send(task, split, handle)
            except BaseException:  # noqa: BLE001 - an outcome that cannot be pickled: the parent says so
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.pid = pid
        if gated:
            os.close(wait)

    def go(self) -> None:
        """A gated child starts its task (once)."""
        if self._gate is not None:
            os.write(self._gate, b"!")
            os.close(self._gate)
            self._gate = None

    def result(self) -> R:
        """The task's result, once its child ended (its exception raised here)."""
        if self._folder is None:
            return self.task()
        self.go()
        try:
            if self.pid is not None:
                _, status = os.waitpid(self.pid, 0)
                self.pid = None
                if status != 0 or not os.path.exists(self.path):
                    raise RuntimeError(f"the child process that ran {getattr(self.task, '__name__', 'a task')} failed ({status})")
            with open(self.path, "rb") as handle, collector_off():  # every object unpickled is alive
                ok, value, count = pickle.load(handle)
                if ok and self.split is not None:
                    value = self.split.join(value, [pickle.load(handle) for _ in range(count)])
        finally:
            self._folder.cleanup()
        if not ok:
            raise value
        return value

    def abandon(self) -> None:
        """The result is not wanted (this process is leaving on an error): the child is stopped."""
        if self._gate is not None:
            os.close(self._gate)
            self._gate = None
        if self.pid is not None:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None
        if self._folder is not None:
            self._folder.cleanup()


@contextmanager
def collector_off(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside: for work that makes many objects, all alive, where each
    full collection would walk them all again (the collector re-enabled after, if it was).

    `freeze`: everything made inside is frozen (gc.freeze: left out of every collection until
    gc.unfreeze) before the collector comes back. Without it, the objects made while it was off are
    all still in its youngest generation, and the first allocation after walks every one of them:
    the whole site read at 10,000 proposals took a 60-120 ms collection, each time, that found nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Split(Generic[R]):
    """How in_child sends a result in pieces: parts(result) -> (head, pieces); join(head, pieces) -> result.
    `reducers`: how the pieces pickle objects of these types (a pickler's dispatch_table entries)."""

    parts: Callable[[R], tuple[Any, Sequence[Any]]]
    join: Callable[[Any, list[Any]], R]
    reducers: dict[type, Callable[[Any], Any]] = field(default_factory=dict)


def _send(task: Callable[[], R], split: Split[R] | None, handle: BinaryIO) -> None:
    """In in_child's child: (ok, head or result or exception, number of pieces), then each piece, each
    with a memo of its own."""
    value: Any = None
    pieces: Sequence[Any] = ()
    try:
        value = task()
        if split is not None:
            value, pieces = split.parts(value)
        outcome: tuple[bool, Any, int] = (True, value, len(pieces))
    except BaseException as exc:  # noqa: BLE001 - raised again in the parent
        outcome, pieces = (False, exc, 0), ()
    pickle.dump(outcome, handle, protocol=pickle.HIGHEST_PROTOCOL)
    del value, outcome
    # Each piece let go once written: what pickling adds to the objects it writes (a str's UTF-8 form is
    # kept in the str) is then freed, and reused for the next piece, instead of growing with each.
    todo = list(pieces)
    del pieces
    for index in range(len(todo)):
        piece, todo[index] = todo[index], None
        pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
        if split is not None and split.reducers:
            pickler.dispatch_table = {**copyreg.dispatch_table, **split.reducers}
        pickler.dump(piece)
        del piece, pickler


def _run(bounds: tuple[int, int]) -> str:
    """In a worker: the result goes to a file, only its name through the pipe. A large result sent
    back through the pipe is read by the executor's thread here, which waits for the interpreter
    lock held by this process's own work at every read: the worker then starves."""
    assert _task is not None and _folder is not None
    path = os.path.join(_folder, f"{bounds[0]}.pickle")
    with open(path, "wb") as handle:
        pickle.dump(_task(*bounds), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _load(path: str) -> Any:
    with open(path, "rb") as handle:
        result = pickle.load(handle)
    os.unlink(path)
    return result
