"""Writing a user's file is atomic: ``coopcheck.core.files.write_atomic``, ``fmt`` and ``report``.

A failure at any step of a write — creating the temporary file, writing, syncing, setting the
permissions, closing, renaming — with a full disk (``ENOSPC``) or no permission (``EACCES``)
leaves the original byte-for-byte intact and no temporary file behind; ``fmt`` and ``report``
say so on one line per file, go on with the other files, and exit 2 (never 1, which under
``fmt --check`` means "would reformat"). Failures are simulated by wrapping the ``os``
functions for the temporary file only; a real full disk is a 64 KiB tmpfs, where one can be
mounted.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path

import pytest

from coopcheck.core.files import WriteError, write_atomic
from coopcheck.dsl.formatter import format_text

UNFORMATTED = "policy demo\nname  may be used for delivery purposes [c]\n"
FORMATTED = "policy demo\nname may be used for delivery" + " " * 44 + "[c]\n"

STEPS = ("open", "write", "fsync", "fchmod", "close", "replace")
#: a new file keeps the mode the umask gives it: there is no fchmod step
NEW_FILE_STEPS = tuple(step for step in STEPS if step != "fchmod")
ERRNOS = (errno.ENOSPC, errno.EACCES)


def _oserror(code: int, filename: str | None = None) -> OSError:
    return OSError(code, os.strerror(code), filename) if filename else OSError(code, os.strerror(code))


class Faults:
    """Wraps ``os.open``/``write``/``fsync``/``fchmod``/``close``/``replace`` so that the
    chosen step fails with ``code`` — only for coopcheck's temporary files (``.NAME.*.tmp``,
    created with ``O_EXCL``), so nothing else in the process is disturbed. A failing
    ``write`` first writes half of what it is given, like a disk filling up mid-file."""

    def __init__(self, monkeypatch, step: str, code: int, only: str | None = None):
        self.step, self.code, self.only = step, code, only
        self.temp_fds: set[int] = set()
        self.temps: set[str] = set()
        self.failures = 0
        real = {name: getattr(os, name) for name in ("open", "write", "fsync", "fchmod", "close", "replace")}
        self.real = real

        def is_temp_path(path) -> bool:
            name = os.path.basename(os.fspath(path))
            return name.startswith(".") and name.endswith(".tmp") and (self.only is None or self.only in name)

        def fake_open(path, flags, mode=0o777, *args, **kwargs):
            if is_temp_path(path) and flags & os.O_EXCL:
                if self.step == "open":
                    self.failures += 1
                    raise _oserror(self.code, os.fspath(path))
                fd = real["open"](path, flags, mode, *args, **kwargs)
                self.temp_fds.add(fd)
                self.temps.add(os.fspath(path))
                return fd
            return real["open"](path, flags, mode, *args, **kwargs)

        partly_written: set[int] = set()

        def fake_write(fd, data):
            if fd in self.temp_fds and self.step == "write":
                half = len(data) // 2
                if fd not in partly_written and half:
                    partly_written.add(fd)  # the first call writes half, the next one fails
                    return real["write"](fd, bytes(data[:half]))
                self.failures += 1
                self._raise()
            return real["write"](fd, data)

        def fake_fsync(fd):
            if fd in self.temp_fds and self.step == "fsync":
                self.failures += 1
                self._raise()
            return real["fsync"](fd)

        def fake_fchmod(fd, mode):
            if fd in self.temp_fds and self.step == "fchmod":
                self.failures += 1
                self._raise()
            return real["fchmod"](fd, mode)

        def fake_close(fd):
            real["close"](fd)  # the descriptor is released either way, as the kernel does
            if fd in self.temp_fds:
                self.temp_fds.discard(fd)
                if self.step == "close":
                    self.failures += 1
                    self._raise()

        def fake_replace(src, dst, *args, **kwargs):
            if os.fspath(src) in self.temps and self.step == "replace":
                self.failures += 1
                raise _oserror(self.code, os.fspath(src))
            return real["replace"](src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(os, "write", fake_write)
        monkeypatch.setattr(os, "fsync", fake_fsync)
        if hasattr(os, "fchmod"):
            monkeypatch.setattr(os, "fchmod", fake_fchmod)
        monkeypatch.setattr(os, "close", fake_close)
        monkeypatch.setattr(os, "replace", fake_replace)

    def _raise(self):
        raise _oserror(self.code)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _temps(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


def _error_lines(err: str, name: str) -> list[str]:
    return [line for line in err.splitlines() if name in line]


# ---- write_atomic ------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("step", STEPS)
def test_write_atomic_failure_leaves_the_original_intact(tmp_path, monkeypatch, step, code):
    if step == "fchmod" and not hasattr(os, "fchmod"):
        pytest.skip("no os.fchmod on this platform")
    target = tmp_path / "aizu.policy"
    original = "policy aizu\n" + "# 会津\n" * 500
    target.write_text(original, encoding="utf-8")
    target.chmod(0o640)
    before = _snapshot(tmp_path)
    faults = Faults(monkeypatch, step, code)
    with pytest.raises(WriteError) as caught:
        write_atomic(target, original + "# more text, longer than before\n" * 100)
    monkeypatch.undo()
    assert faults.failures >= 1, f"the {step} step was never reached"
    err = caught.value
    assert isinstance(err, OSError) and err.errno == code and err.filename == str(target)
    assert str(err) == f"cannot write `{target}`: {os.strerror(code)}" and "\n" not in str(err)
    assert err.path == str(target) and err.reason == os.strerror(code)
    assert _snapshot(tmp_path) == before  # byte-for-byte, and no temporary file
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("step", NEW_FILE_STEPS)
def test_write_atomic_failure_creating_a_new_file_leaves_nothing(tmp_path, monkeypatch, step):
    Faults(monkeypatch, step, errno.ENOSPC)
    with pytest.raises(WriteError, match="No space left on device"):
        write_atomic(tmp_path / "new.html", "<p>x</p>\n" * 1000)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_replaces_the_whole_file(tmp_path):
    target = tmp_path / "a.policy"
    target.write_bytes(b"x" * 10_000)
    write_atomic(target, "短い\n")
    assert target.read_bytes() == "短い\n".encode("utf-8")
    write_atomic(target, b"\x00\x01bytes\r\n")
    assert target.read_bytes() == b"\x00\x01bytes\r\n"  # written as given: no newline translation
    write_atomic(target, "café\n", encoding="latin-1")
    assert target.read_bytes() == b"caf\xe9\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.policy"]


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o604, 0o755])
def test_write_atomic_keeps_the_permission_bits(tmp_path, mode):
    target = tmp_path / "a.policy"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    write_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == mode and target.read_text(encoding="utf-8") == "new\n"


def test_a_new_file_gets_0o666_less_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.html", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.html").stat().st_mode) == 0o640


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symbolic_link_keeps_pointing_at_the_rewritten_file(tmp_path):
    real = tmp_path / "real.policy"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.policy"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_owner_and_group_are_kept_where_allowed(tmp_path):
    target = tmp_path / "a.policy"
    target.write_text("old\n", encoding="utf-8")
    os.chown(target, 12345, 23456)
    write_atomic(target, "new\n")
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (12345, 23456)


def test_an_interrupt_mid_write_removes_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "a.policy"
    target.write_text("old\n", encoding="utf-8")

    def interrupted(fd, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert _snapshot(tmp_path) == {"a.policy": b"old\n"}


def test_a_read_only_file_is_refused_like_open_would(tmp_path, monkeypatch):
    """``chmod a-w`` on a file in a writable folder: replacing it would be allowed by the
    folder, but the file says "do not write me", and ``open(path, "w")`` would refuse."""
    target = tmp_path / "a.policy"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o444)
    if os.access(target, os.W_OK):  # root: permissions are not enforced, so simulate them
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, m, *a, **k: (
            False if os.fspath(p) == str(target) and m & os.W_OK else real_access(p, m, *a, **k)))
    with pytest.raises(WriteError, match=r"cannot write `.*a\.policy`: Permission denied") as caught:
        write_atomic(target, "new\n")
    assert caught.value.errno == errno.EACCES
    assert _snapshot(tmp_path) == {"a.policy": b"old\n"}


def test_write_error_is_one_line_and_pickles():
    import pickle

    err = WriteError("policies/aizu.policy", "No space left\non device", errno.ENOSPC)
    assert str(err) == "cannot write `policies/aizu.policy`: No space left on device"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.errno == errno.ENOSPC


# ---- fmt -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("step", STEPS)
def test_fmt_write_failure_is_one_line_exit_2_and_leaves_the_file(cli, tmp_path, monkeypatch, step, code):
    if step == "fchmod" and not hasattr(os, "fchmod"):
        pytest.skip("no os.fchmod on this platform")
    messy = tmp_path / "aizu.policy"
    messy.write_text(UNFORMATTED, encoding="utf-8")
    before = _snapshot(tmp_path)
    faults = Faults(monkeypatch, step, code)
    status, out, err = cli("fmt", str(messy))
    monkeypatch.undo()
    assert faults.failures >= 1
    assert status == 2, (out, err)
    assert _snapshot(tmp_path) == before
    [line] = _error_lines(err, "aizu.policy")
    assert line == f"coopcheck fmt: error: cannot write `{messy}`: {os.strerror(code)} (left unchanged)"
    assert "reformatted" not in out
    assert "0 files reformatted, 0 already formatted, 1 could not be written" in err


def test_fmt_goes_on_after_a_file_it_cannot_write(cli, tmp_path, monkeypatch):
    """Formatting three files when the second cannot be written: the first and the third are
    formatted, the second is reported and unchanged, and the exit code is 2."""
    names = ["a.policy", "b.policy", "c.policy"]
    for name in names:
        (tmp_path / name).write_text(UNFORMATTED, encoding="utf-8")
    Faults(monkeypatch, "write", errno.ENOSPC, only="b.policy")
    status, out, err = cli("fmt", *(str(tmp_path / n) for n in names))
    monkeypatch.undo()
    assert status == 2
    assert out.splitlines() == [f"reformatted {tmp_path / 'a.policy'}", f"reformatted {tmp_path / 'c.policy'}"]
    assert (tmp_path / "b.policy").read_text(encoding="utf-8") == UNFORMATTED
    assert (tmp_path / "a.policy").read_text(encoding="utf-8") == FORMATTED
    assert (tmp_path / "c.policy").read_text(encoding="utf-8") == FORMATTED
    assert len(_error_lines(err, "b.policy")) == 1 and _temps(tmp_path) == []
    assert "2 files reformatted, 0 already formatted, 1 could not be written" in err


def _permissions_enforced(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_fmt_unwritable_file_does_not_stop_the_others(cli, tmp_path, monkeypatch):
    """A read-only file in a read-only folder (``0o444`` in ``0o555``) cannot be replaced;
    the files after it are still formatted. As root permissions are not enforced, so the
    refusal is simulated where the kernel would give it."""
    blocked, free = tmp_path / "blocked", tmp_path / "free"
    blocked.mkdir()
    free.mkdir()
    locked, other = blocked / "a.policy", free / "b.policy"
    locked.write_text(UNFORMATTED, encoding="utf-8")
    other.write_text(UNFORMATTED, encoding="utf-8")
    locked.chmod(0o444)
    blocked.chmod(0o555)
    try:
        if not _permissions_enforced(blocked):
            real_open = os.open

            def refused(path, flags, *args, **kwargs):
                if flags & os.O_CREAT and Path(os.fspath(path)).parent == blocked:
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
                return real_open(path, flags, *args, **kwargs)

            monkeypatch.setattr(os, "open", refused)
        status, out, err = cli("fmt", str(locked), str(other))
        monkeypatch.undo()
    finally:
        blocked.chmod(0o755)
        locked.chmod(0o644)
    assert status == 2
    assert locked.read_text(encoding="utf-8") == UNFORMATTED
    assert other.read_text(encoding="utf-8") == FORMATTED
    assert out.splitlines() == [f"reformatted {other}"]
    [line] = _error_lines(err, "a.policy")
    assert line == f"coopcheck fmt: error: cannot write `{locked}`: Permission denied (left unchanged)"
    assert sorted(p.name for p in blocked.iterdir()) == ["a.policy"]


@pytest.mark.parametrize("mode", [0o640, 0o600])
def test_fmt_keeps_the_file_permissions(cli, tmp_path, mode):
    messy = tmp_path / "a.policy"
    messy.write_text(UNFORMATTED, encoding="utf-8")
    messy.chmod(mode)
    status, _, _ = cli("fmt", str(messy))
    assert status == 0
    assert messy.read_text(encoding="utf-8") == FORMATTED
    assert stat.S_IMODE(messy.stat().st_mode) == mode


def test_fmt_check_is_unaffected_by_a_read_only_disk(cli, tmp_path, monkeypatch):
    """``--check`` writes nothing, so it exits 1 (would reformat), even where no write could
    succeed."""
    messy = tmp_path / "a.policy"
    messy.write_text(UNFORMATTED, encoding="utf-8")
    faults = Faults(monkeypatch, "open", errno.EROFS)
    status, out, _ = cli("fmt", "--check", str(messy))
    assert status == 1 and faults.failures == 0 and out == f"would reformat {messy}\n"


# ---- a real full disk ------------------------------------------------------------------------------

@pytest.fixture
def full_tmpfs(tmp_path):
    """A 64 KiB tmpfs mounted on a fresh folder (skipped where one cannot be mounted)."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"cannot run mount to make a small tmpfs: {err}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 64 KiB tmpfs (needs root or CAP_SYS_ADMIN): "
                    f"{(done.stderr or done.stdout).strip() or f'exit {done.returncode}'}")
    try:
        yield mount_point
    finally:
        umount = subprocess.run(["umount", str(mount_point)], capture_output=True)
        if umount.returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to the last byte with a file ``filler``."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        for size in (4096, 1):
            for _ in range(1_000_000):
                try:
                    if os.write(fd, b"\0" * size) < size:
                        break
                except OSError as err:
                    assert err.errno == errno.ENOSPC, err
                    break
    finally:
        os.close(fd)
    return filler


def test_fmt_on_a_full_tmpfs_leaves_the_file_intact(cli, full_tmpfs):
    lines = "".join(f"name  may be used for delivery purposes [c{i}]\n" for i in range(150))
    policy = full_tmpfs / "aizu.policy"
    policy.write_text("policy demo\n" + lines, encoding="utf-8")
    before = policy.read_bytes()
    assert len(before) < 8 * 1024
    filler = _fill(full_tmpfs)
    with pytest.raises(OSError):  # the disk is really full
        (full_tmpfs / "probe").write_bytes(b"x" * 4096)
    (full_tmpfs / "probe").unlink(missing_ok=True)

    status, out, err = cli("fmt", str(policy))
    assert status == 2, (out, err)
    assert policy.read_bytes() == before
    assert sorted(p.name for p in full_tmpfs.iterdir()) == ["aizu.policy", "filler"]
    [line] = _error_lines(err, "aizu.policy")
    assert line == f"coopcheck fmt: error: cannot write `{policy}`: No space left on device (left unchanged)"

    filler.unlink()  # with room again, the same run formats the file, which grows
    status, out, err = cli("fmt", str(policy))
    assert status == 0, err
    assert policy.read_text(encoding="utf-8") == format_text(before.decode("utf-8"), "aizu.policy")
    assert len(policy.read_bytes()) > len(before) + 4096
    assert sorted(p.name for p in full_tmpfs.iterdir()) == ["aizu.policy"]


# ---- report --------------------------------------------------------------------------------------

class FillingDisk:
    """``os.write`` to coopcheck's temporary files succeeds until ``room`` bytes are used,
    then writes what still fits and fails with ``ENOSPC``, like a disk filling up."""

    def __init__(self, monkeypatch, room: int):
        self.room = room
        real_open, real_write = os.open, os.write
        temp_fds: set[int] = set()

        def fake_open(path, flags, *args, **kwargs):
            fd = real_open(path, flags, *args, **kwargs)
            name = os.path.basename(os.fspath(path))
            if flags & os.O_EXCL and name.startswith(".") and name.endswith(".tmp"):
                temp_fds.add(fd)
            return fd

        def fake_write(fd, data):
            if fd not in temp_fds:
                return real_write(fd, data)
            if self.room <= 0:
                raise _oserror(errno.ENOSPC)
            written = real_write(fd, bytes(data[:self.room]))
            self.room -= written
            return written

        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(os, "write", fake_write)


def test_report_leaves_no_partial_file_when_the_disk_fills(cli, tmp_path, monkeypatch):
    args = ["--coop", "aizu", "--no-diff"]
    reference = tmp_path / "reference"
    status, _, err = cli("report", "--out", str(reference), *args)
    assert status == 0, err
    expected = _snapshot(reference)
    assert set(expected) == {"index.html", "style.css", "aizu.html", "compare.html"}

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    old_page = "<!doctype html><p>last week's report</p>\n".encode("utf-8")
    (out_dir / "aizu.html").write_bytes(old_page)
    # room for index.html and style.css, and half of aizu.html
    room = len(expected["index.html"]) + len(expected["style.css"]) + len(expected["aizu.html"]) // 2
    FillingDisk(monkeypatch, room)
    status, out, err = cli("report", "--out", str(out_dir), *args)
    monkeypatch.undo()

    assert status == 2, (out, err)
    after = _snapshot(out_dir)
    assert _temps(out_dir) == []
    assert after["index.html"] == expected["index.html"] and after["style.css"] == expected["style.css"]
    assert after["aizu.html"] == old_page  # the old page is kept whole, not half a new one
    assert "compare.html" not in after  # nothing rather than a part
    for name in ("aizu.html", "compare.html"):
        [line] = _error_lines(err, name)
        assert line == (f"coopcheck report: error: cannot write `{out_dir / name}`: "
                        f"No space left on device (left unchanged)")
    assert "wrote 2 files" in err and "2 could not be written" in err


@pytest.mark.parametrize("code", ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("step", NEW_FILE_STEPS)
def test_report_write_failure_at_every_step(cli, tmp_path, monkeypatch, step, code):
    """Pages written into a fresh folder: each of the four is reported, none is left."""
    Faults(monkeypatch, step, code)
    status, out, err = cli("report", "--out", str(tmp_path), "--coop", "aizu", "--no-diff")
    monkeypatch.undo()
    assert status == 2 and out == ""
    assert list(tmp_path.iterdir()) == []
    lines = [line for line in err.splitlines() if "cannot write" in line]
    assert len(lines) == 4 and all(os.strerror(code) in line for line in lines)


def test_the_library_call_raises_without_on_error(tmp_path, monkeypatch):
    from coopcheck.core.api import load_policy
    from coopcheck.presentation.report import write_report

    Faults(monkeypatch, "write", errno.ENOSPC)
    with pytest.raises(WriteError, match="No space left on device"):
        write_report([load_policy("aizu")], tmp_path, with_diffs=False)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []

