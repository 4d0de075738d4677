"""dsmr_parser's file readers: a capture file, standard input, and a growing file's tail."""

from __future__ import annotations

import os
from typing import Any

from ._reading import Reader

__all__ = ["FileReader", "FileInputReader", "FileTailReader"]


class FileReader(Reader):
    """Every telegram of a file of captured telegrams (gz, xz and bz2 are read too)."""

    def __init__(self, file: str | os.PathLike[str], telegram_specification: dict[str, Any]):
        super().__init__(telegram_specification)
        self._file = file
        self.url = os.fspath(file)


class FileInputReader(Reader):
    """Every telegram on standard input."""

    url = "-"

    def __init__(self, telegram_specification: dict[str, Any]) -> None:
        super().__init__(telegram_specification)


class FileTailReader(FileReader):
    """Telegrams appended to a file, as they are written (``tail -f``)."""

    def read_as_object(self) -> Any:
        return self._telegrams(follow=True)

    def read(self) -> Any:
        return self._telegrams(follow=True)
