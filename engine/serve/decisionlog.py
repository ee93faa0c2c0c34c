"""The decision log: one JSON line per decision, written off the request path.

A request hands its records to :meth:`DecisionLog.submit` (a record's ``decision`` may be its
JSON text as bytes, as the service wrote it: the writer reads it back), which only puts them in a bounded
buffer (a :class:`queue.Queue`); a writer thread takes everything waiting, writes it in one
go, flushes, and reports back. So writing never slows a decision, and many requests share one
write. When the buffer is full the records are dropped and counted. When a write fails (a full
disk, a missing folder, a file that cannot be opened) the lines are counted as failures, the
error is kept for ``/health``, and the next batch tries again (reopening the file).

With ``require_log`` the service waits for its records' write before it answers, and answers
503 instead of the decision when they could not be written (or were dropped): no decision
leaves the service without its log line.

Operators name fields to mask (the value becomes ``"***"``) or drop: a dotted path from the
record's top (``input.recipient``, ``decision.scenario``) or a bare name, which matches that
key at any depth (``data`` masks the data items of the input and of the decision's scenario).

Size-based rotation: before a line would take the file past ``max_bytes`` the file is renamed
``FILE.1`` (``FILE.1`` to ``FILE.2``, … keeping ``backups`` old files) and a new one begun.
Only a regular file is rotated (a log sent to a FIFO or a device is written as it is).

>>> redact({"input": {"data": ["name"], "purpose": "delivery"}, "decision": {"scenario": {"data": ["name"]}}},
...        mask=["data"], drop=["input.purpose"])
{'input': {'data': '***'}, 'decision': {'scenario': {'data': '***'}}}
"""

from __future__ import annotations

import json
import logging
import os
import queue
import stat
import threading
import time
from typing import Any, Callable, Iterable

log = logging.getLogger("coopcheck.serve")

MASK = "***"
#: How many records the buffer holds before new ones are dropped.
DEFAULT_BUFFER = 10_000
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_BACKUPS = 5


def _specs(fields: Iterable[str]) -> tuple[set[tuple[str, ...]], set[str]]:
    paths, names = set(), set()
    for f in fields:
        parts = tuple(p for p in f.strip().split(".") if p)
        if len(parts) == 1:
            names.add(parts[0])
        elif parts:
            paths.add(parts)
    return paths, names


def redact(record: Any, mask: Iterable[str] = (), drop: Iterable[str] = ()) -> Any:
    """A copy of ``record`` with the ``mask`` fields masked and the ``drop`` fields left out."""
    return _Redactor(mask, drop)(record)


class _Redactor:
    def __init__(self, mask: Iterable[str], drop: Iterable[str]):
        self.mask_paths, self.mask_names = _specs(mask)
        self.drop_paths, self.drop_names = _specs(drop)
        self.active = bool(self.mask_paths or self.mask_names or self.drop_paths or self.drop_names)

    def __call__(self, obj: Any, path: tuple = ()) -> Any:
        if not self.active:
            return obj
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                p = path + (k,)
                if k in self.drop_names or p in self.drop_paths:
                    continue
                out[k] = MASK if (k in self.mask_names or p in self.mask_paths) else self(v, p)
            return out
        if isinstance(obj, list):
            return [self(v, path) for v in obj]
        return obj


def _line_encoder() -> Callable[[Any], bytes]:
    """A record as one line of UTF-8 JSON (NaN refused; text that UTF-8 cannot hold, a lone
    surrogate, written as ``\\u`` escapes so the line is still valid JSON and UTF-8)."""
    readable = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    escaped = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode

    def encode(record: Any) -> bytes:
        try:
            return (readable(record) + "\n").encode("utf-8")
        except UnicodeEncodeError:
            return (escaped(record) + "\n").encode("ascii")

    return encode


class DecisionLog:
    """The decision log at ``path``; :meth:`start` the writer, :meth:`submit` records,
    :meth:`close` to write what is buffered and stop."""

    def __init__(self, path: str, *, mask: Iterable[str] = (), drop: Iterable[str] = (),
                 max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS, buffer: int = DEFAULT_BUFFER,
                 on_written: Callable[[int], None] | None = None, on_failed: Callable[[int], None] | None = None,
                 on_dropped: Callable[[int], None] | None = None):
        self.path = os.path.abspath(path)
        self.max_bytes = max(1, int(max_bytes))
        self.backups = max(0, int(backups))
        self._redact = _Redactor(mask, drop)
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(buffer)))
        self._file = None
        self._size = 0
        self._thread: threading.Thread | None = None
        self._callbacks = (on_written or (lambda n: None), on_failed or (lambda n: None),
                           on_dropped or (lambda n: None))
        self._lock = threading.Lock()
        self.written = 0
        self.failures = 0
        self.dropped = 0
        self.failing = False
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self._encode = _line_encoder()

    # ---- the request side ------------------------------------------------------------------
    def submit(self, records: list[dict], done: Callable[[bool], None] | None = None) -> bool:
        """Buffer ``records``; ``done(ok)`` is called from the writer once they are written (or
        not). False (and nothing buffered) when the buffer is full or the log is closed."""
        if not records:
            if done is not None:
                done(True)
            return True
        if self._thread is None:
            self._count_dropped(len(records))
            return False
        try:
            self._queue.put_nowait((records, done))
        except queue.Full:
            self._count_dropped(len(records))
            return False
        return True

    def _count_dropped(self, n: int) -> None:
        with self._lock:
            self.dropped += n
        self._callbacks[2](n)

    def status(self) -> dict:
        """``{"path", "written", "failures", "dropped", "queued", "failing", "last_error", "last_error_at"}``."""
        with self._lock:
            return {"path": self.path, "written": self.written, "failures": self.failures, "dropped": self.dropped,
                    "queued": self._queue.qsize(), "failing": self.failing, "last_error": self.last_error,
                    "last_error_at": self.last_error_at}

    # ---- the writer ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="coopcheck-decision-log", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write everything buffered, then stop the writer and close the file."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put((None, None))  # blocks only while the buffer is full and the writer drains it
        thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            while len(batch) < 1000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if any(records is None for records, _ in batch):
                stop = True
                batch = [b for b in batch if b[0] is not None]
            if batch:
                self._write_batch(batch)
        self._close_file()

    def _write_batch(self, batch: list) -> None:
        lines = []
        for records, _ in batch:
            for r in records:
                try:
                    if isinstance(r.get("decision"), bytes):  # handed as its JSON text: read it back
                        r = {**r, "decision": json.loads(r["decision"])}
                    lines.append(self._encode(self._redact(r)))
                except (TypeError, ValueError) as err:  # a record that is not JSON: a bug, logged, not fatal
                    lines.append(self._encode({"decision_id": r.get("decision_id"), "log_error": str(err)}))
        try:
            self._write_lines(lines)
        except OSError as err:
            self._close_file()
            with self._lock:
                self.failures += len(lines)
                first = not self.failing
                self.failing = True
                self.last_error = f"cannot write `{self.path}`: {err.strerror or err}"
                self.last_error_at = time.time()
            if first:
                log.error("decision log: %s", self.last_error)
            self._callbacks[1](len(lines))
            ok = False
        else:
            with self._lock:
                self.written += len(lines)
                if self.failing:
                    log.warning("decision log: writing again to %s", self.path)
                self.failing = False
            self._callbacks[0](len(lines))
            ok = True
        for _, done in batch:
            if done is not None:
                try:
                    done(ok)
                except Exception:  # noqa: BLE001 — a waiter that has gone must not stop the writer
                    log.exception("decision log: callback failed")

    def _open(self) -> None:
        if self._file is None:
            self._file = open(self.path, "ab")
            try:
                self._size = os.fstat(self._file.fileno()).st_size
            except OSError:
                self._size = 0

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def _rotatable(self) -> bool:
        try:
            return stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)
        except OSError:
            return False

    def _write_lines(self, lines: list[bytes]) -> None:
        self._open()
        chunk: list[bytes] = []
        pending = 0
        for data in lines:
            if self._size + pending + len(data) > self.max_bytes and self._size + pending > 0 and self._rotatable():
                self._file.write(b"".join(chunk))
                chunk, pending = [], 0
                self._rotate()
            chunk.append(data)
            pending += len(data)
        if chunk:
            self._file.write(b"".join(chunk))
        self._file.flush()
        self._size += pending

    def _rotate(self) -> None:
        self._file.flush()
        self._close_file()
        if self.backups:
            for i in range(self.backups - 1, 0, -1):
                older = f"{self.path}.{i}"
                if os.path.exists(older):
                    os.replace(older, f"{self.path}.{i + 1}")
            os.replace(self.path, f"{self.path}.1")
        else:
            os.remove(self.path)
        self._open()
