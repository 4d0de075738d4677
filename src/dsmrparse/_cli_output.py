"""Output files of the ``dsmrparse`` command that are whole or absent.

A file is written under a temporary name in its own folder and renamed over the final name only
when the run succeeded, so an interrupted or failed run never leaves a file that looks whole.
Devices, fifos and stdout are written directly (they cannot be renamed onto).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["OutputError", "Target", "check_outputs", "is_special"]


class OutputError(Exception):
    """An output cannot be written (a one-line reason)."""

    usage = False  # the command line asked for it (exit 2), rather than the system (exit 3)


class SameFileError(OutputError):
    """An output is one of the inputs."""

    usage = True


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def is_special(path: str) -> bool:
    """A device or fifo: written in place, never through a temporary file."""
    info = _stat(path)
    return info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode)


def check_outputs(outputs: Iterable[tuple[str, str | None]], inputs: Iterable[str]) -> None:
    """Refuse, before anything is opened, an output that is one of the inputs (same file, also
    through a symbolic or hard link), a folder, or in a folder that does not exist."""
    seen: dict[tuple[int, int], str] = {}
    for name in inputs:
        if name == "-":
            continue
        info = _stat(name)
        if info is not None and stat.S_ISREG(info.st_mode):
            seen[(info.st_dev, info.st_ino)] = name
    for option, path in outputs:
        if not path or path == "-":
            continue
        info = _stat(path)
        if info is not None and (info.st_dev, info.st_ino) in seen:
            raise SameFileError(
                f"{option} {path} is the input {seen[(info.st_dev, info.st_ino)]}: "
                "writing it would destroy the capture"
            )
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{option} {path} is a folder; give a file name")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise OutputError(f"{option} {path}: folder {folder} does not exist")


class Target:
    """One output: ``open()`` gives where to write, ``commit()`` puts it in place,
    ``discard()`` removes what was written (for a regular file)."""

    def __init__(self, path: str | None) -> None:
        self.name = path if path and path != "-" else "stdout"
        # through a symbolic link, as a plain open() would write (the rename must not replace
        # the link itself)
        self.path = os.path.realpath(path) if path and path != "-" else None
        self.temp: str | None = None
        self.handle: IO[Any] | None = None
        self.committed = False

    def writing_path(self) -> str:
        """The path to write to (the temporary one for a regular file)."""
        if self.path is None:
            raise ValueError("stdout has no path")
        if is_special(self.path):
            return self.path
        if self.temp is None:
            folder, base = os.path.split(os.path.abspath(self.path))
            try:
                fd, self.temp = tempfile.mkstemp(prefix=f".{base}.", suffix=".partial", dir=folder)
            except OSError as exc:
                raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None
            os.close(fd)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.temp, 0o666 & ~mask)  # the mode a plain open() would have given
        return self.temp

    def open(self) -> IO[str]:
        if self.path is None:
            return sys.stdout
        if self.handle is None:
            where = self.writing_path()
            try:
                self.handle = open(where, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None
        return self.handle

    def open_binary(self) -> IO[bytes] | _TextSink:
        """Where to write UTF-8 bytes (the JSON lines, made as bytes in C): the file opened in
        binary mode, or the buffer under stdout (with what stdout holds written first)."""
        if self.path is None:
            sys.stdout.flush()
            buffer = getattr(sys.stdout, "buffer", None)
            return buffer if buffer is not None else _TextSink(sys.stdout)
        if self.handle is None:
            where = self.writing_path()
            try:
                self.handle = open(where, "wb")  # noqa: SIM115
            except OSError as exc:
                raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None
        return self.handle

    def write(self, text: str) -> None:
        """Write to the opened output; a failure names this output."""
        try:
            self.open().write(text)
        except OSError as exc:
            raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None

    def commit(self) -> None:
        try:
            if self.handle is not None:
                self.handle.close()  # (a full disk shows here, before the rename)
                self.handle = None
            if self.temp is not None and self.path is not None:
                os.replace(self.temp, self.path)
                self.temp = None
        except OSError as exc:
            raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None
        self.committed = True

    def discard(self) -> bool:
        """Remove the unfinished file; True when there was one."""
        if self.handle is not None:
            with contextlib.suppress(OSError):  # the disk is full: the file goes anyway
                self.handle.close()
            self.handle = None
        if self.temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temp)
            self.temp = None
            return True
        return False


class _TextSink:
    """A stdout without a byte buffer under it (replaced by a test or an embedding program):
    bytes go in as the UTF-8 text they are."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        return self.text.write(data.decode("utf-8"))

    def flush(self) -> None:
        self.text.flush()
