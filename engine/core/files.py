"""Writing a user's file so that it is either entirely the new text or untouched.

Every surface that writes a file the user owns (``coopcheck fmt``, ``coopcheck report``,
and later any decision log or audit output) goes through :func:`write_atomic`. Opening the
file for writing would truncate it first: a full disk or an error half-way left a file cut
mid-line. Instead the new contents go to a temporary file beside the target, which is made
durable (``fsync``) and only then renamed over the target — a rename within one folder is
atomic, so a reader, a crash or a full disk sees the old file or the whole new one, never a
part.

>>> import os, shutil, tempfile
>>> folder = tempfile.mkdtemp()
>>> target = os.path.join(folder, "demo.policy")
>>> write_atomic(target, "policy demo\\n")
>>> write_atomic(target, "policy demo\\nimport vocabulary\\n")
>>> open(target, encoding="utf-8").read()
'policy demo\\nimport vocabulary\\n'
>>> os.listdir(folder)                      # no temporary file is left behind
['demo.policy']
>>> write_atomic(os.path.join(folder, "missing", "x.policy"), b"")
Traceback (most recent call last):
  ...
coopcheck.core.files.WriteError: cannot write `.../missing/x.policy`: No such file or directory
>>> shutil.rmtree(folder)
"""

from __future__ import annotations

import errno as _errno
import os
import stat

__all__ = ["WriteError", "write_atomic"]

#: How often a temporary name is drawn again when one already exists (``O_EXCL``).
_TEMP_ATTEMPTS = 100


class WriteError(OSError):
    """A file could not be written; the original (if any) is left exactly as it was.

    An :class:`OSError`, so code that already catches ``OSError`` keeps working; ``errno``
    and ``strerror`` are those of the underlying failure, ``filename`` and :attr:`path` the
    target as the caller named it, :attr:`reason` the failure in words. ``str()`` is one
    line meant for the user:

    >>> err = WriteError("policies/aizu.policy", "No space left on device", _errno.ENOSPC)
    >>> str(err)
    'cannot write `policies/aizu.policy`: No space left on device'
    >>> err.errno == _errno.ENOSPC, isinstance(err, OSError)
    (True, True)
    """

    def __init__(self, path: str | os.PathLike, reason: str, errno: int | None = None) -> None:
        super().__init__(errno, reason, os.fspath(path))
        #: the target, as the caller named it
        self.path = os.fspath(path)
        #: why it could not be written, e.g. ``"No space left on device"``
        self.reason = " ".join(str(reason).split()) or "unknown error"

    def __str__(self) -> str:
        return f"cannot write `{self.path}`: {self.reason}"

    def __reduce__(self):
        return type(self), (self.path, self.reason, self.errno)


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def _temp_name(target: str) -> str:
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")


def _create_temp(target: str) -> tuple[int, str]:
    """Open a new, unique temporary file in the target's folder (``O_EXCL``); the kernel
    applies the umask to mode ``0o666``, as for any newly created file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TEMP_ATTEMPTS):
        temp = _temp_name(target)
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(_errno.EEXIST, "no unused temporary file name", target)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - a regular file never does this
            raise OSError(_errno.EIO, "the file system accepted no data")
        view = view[written:]


def _keep_mode_and_owner(fd: int, temp: str, old: os.stat_result) -> None:
    """Give the temporary file the target's permission bits, and its owner and group where
    the caller may (a non-owner cannot give a file away: that is not an error)."""
    mode = stat.S_IMODE(old.st_mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows before Python 3.13
        os.chmod(temp, mode)
    if hasattr(os, "fchown"):
        now = os.fstat(fd)
        if (now.st_uid, now.st_gid) != (old.st_uid, old.st_gid):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except OSError:
                pass


def _sync_folder(folder: str) -> None:
    """Make the rename durable: fsync the folder where the platform allows opening one."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # Windows, or a file system that does not open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # the rename is done; some file systems cannot sync a folder
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace the file ``path`` with ``data`` all at once, or raise :class:`WriteError` and
    leave it byte-for-byte as it was.

    ``data`` is written as given: text is encoded with ``encoding`` and no newline
    translation is made. The steps: a new temporary file with a unique name in the same
    folder (``O_EXCL``); write all of ``data``; ``fsync``; the target's permission bits (and
    owner and group, where allowed) when it exists, else ``0o666`` less the umask; rename over
    the target (:func:`os.replace`); ``fsync`` the folder where supported. On any failure —
    a full disk, no permission, an interrupt — the temporary file is removed.

    A target that is a symbolic link has the file it points to replaced; the link stays. A
    file the caller may not write (``chmod a-w``) is refused, as opening it would be, even
    where the folder would allow replacing it. A hard-linked target becomes a separate file.
    """
    shown = os.fspath(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    target = os.path.realpath(shown) if os.path.islink(shown) else shown
    folder = os.path.dirname(target) or os.curdir
    try:
        try:
            old = os.stat(target)
        except FileNotFoundError:
            old = None
        if old is not None:
            if stat.S_ISDIR(old.st_mode):
                raise IsADirectoryError(_errno.EISDIR, os.strerror(_errno.EISDIR), shown)
            if not os.access(target, os.W_OK):
                raise PermissionError(_errno.EACCES, os.strerror(_errno.EACCES), shown)
        fd, temp = _create_temp(target)
    except OSError as err:
        raise WriteError(shown, _reason(err), err.errno) from err
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
            if old is not None:
                _keep_mode_and_owner(fd, temp, old)
        finally:
            os.close(fd)  # a close error (NFS reports a full disk here) is a failure too
        os.replace(temp, target)
    except BaseException as err:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise WriteError(shown, _reason(err), err.errno) from err
        raise
    _sync_folder(folder)
