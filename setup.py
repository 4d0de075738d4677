"""Build the optional compiled twin (the Cython modules).

The extension is a speed-up, never a requirement. It is built from the ``.pyx`` sources when
Cython is there, else from the generated C that the sdist ships (so an install from the sdist
needs only a C compiler). When neither works, the package installs on the pure-Python twin and
says so in one warning line. Set DSMRPARSE_NO_EXTENSION=1 to skip the compile on purpose.
"""

import os
import sys

import setuptools
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

MODULES = ["_fastparse", "_fastjson"]  # the compiled twin, and its JSON writer
SRC = os.path.join("src", "dsmrparse")
HOW_TO_FIX = (
    "install a C compiler and the Python headers (e.g. apt install build-essential python3-dev), "
    "then: pip install --force-reinstall --no-binary dsmrparse dsmrparse"
)


def _warn(why: str) -> None:
    print(
        f"WARNING: dsmrparse: compiled twin not built ({why}); it runs on the pure-Python twin, "
        f"several times slower. To get the compiled one: {HOW_TO_FIX}",
        file=sys.stderr,
    )


class OptionalBuildExt(build_ext):
    """Compile the extension when possible; else fall back, with one warning line."""

    def run(self) -> None:
        self._failed: list[str] = []
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the twin"
            self._failed.append(str(exc))
        if self._failed:
            _warn("; ".join(dict.fromkeys(self._failed)))

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._failed.append(str(exc).strip().splitlines()[-1] if str(exc).strip() else "")


def extensions() -> list:
    if os.environ.get("DSMRPARSE_NO_EXTENSION") == "1":
        return []
    flags = ["-O3"] if sys.platform != "win32" else []
    pyx = [os.path.join(SRC, f"{name}.pyx") for name in MODULES]
    c = [os.path.join(SRC, f"{name}.c") for name in MODULES]
    try:
        from Cython.Build import cythonize
    except ImportError:
        cythonize = None
    if cythonize is not None and all(os.path.exists(p) for p in pyx):
        exts = [
            Extension(f"dsmrparse.{name}", [path], extra_compile_args=flags)
            for name, path in zip(MODULES, pyx)
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
    if all(os.path.exists(p) for p in c):  # the sdist's generated C: no Cython needed
        return [
            Extension(f"dsmrparse.{name}", [path], extra_compile_args=flags)
            for name, path in zip(MODULES, c)
        ]
    _warn("neither Cython nor the generated C sources are here")
    return []


# License: an SPDX expression where setuptools knows the field (77 and later), the older
# free-text field otherwise, so that both build this tree without a deprecation warning.
if int(setuptools.__version__.split(".")[0]) >= 77:
    LICENSE = {"license_expression": "MIT"}
else:
    LICENSE = {"license": "MIT"}

setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt}, **LICENSE)
