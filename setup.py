"""Builds boiler's compiled modules when it can: the walk of boiler.html (boiler/_walk.pyx, over lxml's
C API), the tree walks of boiler.forest (boiler/_trees.pyx), the character scans of boiler.features
(boiler/_scan.pyx) and the row loops of boiler.model and boiler.features (boiler/_rows.pyx).

Everything else is declared in pyproject.toml. The extensions are optional: where they cannot be
built (no C compiler, say), the install goes on with the same output by slower means: boiler.html
walks pages in Python (parsing a page then takes about twice as long), the models predict with
scikit-learn's own trees (several times slower), and boiler.features scans and the row loops run in numpy.
"""

import logging

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that warns instead of failing: the fallbacks stand in for the compiled modules."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure leaves the pure-Python walk
            logging.warning("boiler: the compiled modules were not built (%s); slower fallbacks will be used", exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            logging.warning("boiler: %s was not built (%s); its slower fallback will be used", ext.name, exc)


def extensions():
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError as exc:
        logging.warning("boiler: cannot build the compiled modules (%s)", exc)
        return []
    walk = Extension("boiler._walk", ["boiler/_walk.pyx"], include_dirs=lxml.get_include())
    trees = Extension("boiler._trees", ["boiler/_trees.pyx"])
    scan = Extension("boiler._scan", ["boiler/_scan.pyx"])
    rows = Extension("boiler._rows", ["boiler/_rows.pyx"])
    return cythonize([walk, trees, scan, rows], language_level=3, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
