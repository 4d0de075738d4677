"""Build the optional Cython fast path.

The extension is a speed-up, never a requirement: when Cython or a C compiler is missing, or the
compile fails, the package installs without it and runs on the pure-Python twin. Set
DSMRPARSE_NO_EXTENSION=1 to skip the compile on purpose.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

MODULES = ["_fastparse", "_fastjson"]  # the compiled twin, and its JSON writer


class OptionalBuildExt(build_ext):
    """Compile the extension when possible; fall back quietly to pure Python otherwise."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the twin"
            self._warn(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    @staticmethod
    def _warn(exc: Exception) -> None:
        print(
            f"dsmrparse: fast path not built ({exc}); using the pure-Python twin", file=sys.stderr
        )


def extensions() -> list:
    if os.environ.get("DSMRPARSE_NO_EXTENSION") == "1":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    flags = ["-O3"] if sys.platform != "win32" else []
    exts = [
        Extension(f"dsmrparse.{name}", [f"src/dsmrparse/{name}.pyx"], extra_compile_args=flags)
        for name in MODULES
    ]
    return cythonize(
        exts,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
