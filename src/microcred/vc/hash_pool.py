"""The eddsa-rdfc-2022 hash data of many documents, on every core the process may use.

RDFC-1.0 canonicalization (pyld, pure Python) costs about 5 ms per credential: a 10,000-row CSV
spends some 50 s of one core on it before anything is signed, whether the key is in this process
(the CLI) or in a browser page (which signs only the 64 bytes). The hash data of one document does
not depend on any other, so a bulk run hands them to worker processes, a window of rows at a time
(memory stays flat), and signs in order as before: the same bytes, only sooner.

Each worker is ``python -m microcred.vc.hash_pool``: a fresh interpreter that reads one JSON line
``[document, options]`` per document on stdin and answers one line, the hash data in hex (``-``
when the document cannot be hashed). Not :mod:`multiprocessing`: its workers import the caller's
``__main__`` again, which from a script without an ``if __name__ == "__main__"`` guard would run
that script's work a second time (send its transactions) before failing. A worker knows nothing
but the documents it is sent.

Starting a worker costs about 0.6 s, so small runs (under :data:`MIN_DOCUMENTS`) and one-core
machines hash in the calling process; ``MICROCRED_HASH_WORKERS`` sets the number of workers
(0: none). A document a worker could not hash, or every document after a worker died, gets
``None``: the caller hashes it again itself, where an error names the row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import IO, Any

from ..errors import DocumentError, InputError

__all__ = ["MIN_DOCUMENTS", "WORKERS_VARIABLE", "HashPool", "hash_pool", "worker_count"]

#: Below this many documents, starting workers costs more than it saves.
MIN_DOCUMENTS = 200
#: Set to a number of worker processes (0: hash in the calling process).
WORKERS_VARIABLE = "MICROCRED_HASH_WORKERS"
_FAILED = "-"
#: Lines written to a worker before its answers are read (their ~33 KB fit in any pipe).
_BATCH = 256

#: All a worker is given of the caller's environment: where Python and its packages are, and the
#: locale. Never ``MICROCRED_PRIVATE_KEY``, a keystore password or a provider's API key.
_INHERITED = (
    "PATH", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LANG", "LC_ALL", "LC_CTYPE", "HOME",
    "TMPDIR", "SYSTEMROOT",
)  # fmt: skip

Item = tuple[Mapping[str, Any], Mapping[str, Any]]  # (document, proof options)


def worker_count() -> int:
    """``MICROCRED_HASH_WORKERS``, else the cores this process may run on (its CPU affinity)."""
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured:
        if not configured.isdigit():
            raise InputError(
                f"{WORKERS_VARIABLE} must be a number of processes, not {configured!r}."
            )
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Worker:
    """One ``python -m microcred.vc.hash_pool`` process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env={name: os.environ[name] for name in _INHERITED if name in os.environ},
        )

    def hash_many(self, items: Sequence[Item]) -> list[bytes | None]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        answers: list[bytes | None] = []
        try:
            # A batch's answers (~130 bytes each) are read once all its lines are written: the
            # pipe holds them all, so neither side ever waits on the other.
            for start in range(0, len(items), _BATCH):
                batch = items[start : start + _BATCH]
                for document, options in batch:
                    stdin.write(json.dumps([document, options], separators=(",", ":")) + "\n")
                stdin.flush()
                answers += [_answer(stdout.readline()) for _ in batch]
        except (OSError, ValueError):
            pass  # the worker died: the caller hashes the rest itself
        return answers + [None] * (len(items) - len(answers))

    def close(self) -> None:
        if self.process.stdin is not None:
            with suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answer(line: str) -> bytes | None:
    line = line.strip()
    if not line or line == _FAILED:
        return None
    return bytes.fromhex(line)


class HashPool:
    """Worker processes computing :func:`~microcred.vc.dataintegrity.hash_data`; use
    :func:`hash_pool`, which stops them."""

    def __init__(self, workers: int) -> None:
        self._workers = [_Worker() for _ in range(workers)]
        self._threads = ThreadPoolExecutor(max_workers=workers)

    def hash_many(self, items: Sequence[Item]) -> list[bytes | None]:
        """The hash data of each (document, options), in order; ``None`` where it failed."""
        count = len(self._workers)
        size = -(-len(items) // count)  # one contiguous slice per worker, in order
        slices = [items[n * size : (n + 1) * size] for n in range(count)]
        answers = self._threads.map(_Worker.hash_many, self._workers, slices)
        return [hashed for part in answers for hashed in part]

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for worker in self._workers:
            worker.close()


@contextmanager
def hash_pool(documents: int, *, workers: int | None = None) -> Iterator[HashPool | None]:
    """A :class:`HashPool` when ``documents`` are worth it on this machine, else ``None`` (hash
    in this process)."""
    workers = worker_count() if workers is None else workers
    if documents < MIN_DOCUMENTS or workers < 2:
        yield None
        return
    pool = HashPool(workers)
    try:
        yield pool
    finally:
        pool.close()


def _serve(lines: IO[str], out: IO[str]) -> None:
    from .dataintegrity import hash_data

    for line in lines:
        try:
            document, options = json.loads(line)
            answer = hash_data(document, options).hex()
        except (DocumentError, ValueError, TypeError):
            answer = _FAILED
        out.write(answer + "\n")
        out.flush()


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
