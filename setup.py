"""Builds the compiled walk of boiler.html (boiler/_walk.pyx, over lxml's C API) when it can.

Everything else is declared in pyproject.toml. The extension is optional: where it cannot be built
(no C compiler, say), the install goes on and boiler.html walks pages in Python, with the same
output; parsing a page then takes about twice as long.
"""

import logging

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that warns instead of failing: the pure-Python walk stands in for the compiled one."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure leaves the pure-Python walk
            logging.warning("boiler: the compiled walk was not built (%s); the Python walk will be used", exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            logging.warning("boiler: %s was not built (%s); the Python walk will be used", ext.name, exc)


def extensions():
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError as exc:
        logging.warning("boiler: cannot build the compiled walk (%s)", exc)
        return []
    ext = Extension("boiler._walk", ["boiler/_walk.pyx"], include_dirs=lxml.get_include())
    return cythonize([ext], language_level=3, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
