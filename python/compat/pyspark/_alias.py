"""Every `pyspark.X` module as kiln's `kiln.X`: a finder on sys.meta_path
that answers for names under pyspark (those without a file here) with a
module re-exporting kiln's, imported when first asked for. PySpark modules
whose names kiln does not use map to where kiln keeps the same classes."""
import importlib
import importlib.abc
import importlib.util
import sys

# pyspark module -> kiln modules to try, in order (otherwise pyspark.X -> kiln.X).
ALIASES = {
    "pyspark.sql.session": ["kiln.sql.session", "kiln.sql"],
    "pyspark.sql.dataframe": ["kiln.sql.dataframe", "kiln.sql"],
    "pyspark.sql.column": ["kiln.sql.column", "kiln.sql"],
    "pyspark.sql.group": ["kiln.sql.group", "kiln.sql"],
    "pyspark.sql.readwriter": ["kiln.sql.readwriter", "kiln.sql"],
    "pyspark.sql.context": ["kiln.sql.context", "kiln.sql"],
    "pyspark.sql.window": ["kiln.sql.window", "kiln.sql"],
    "pyspark.sql.catalog": ["kiln.sql.catalog", "kiln.sql"],
    "pyspark.sql.udf": ["kiln.sql.udf", "kiln.sql"],
    "pyspark.ml.pipeline": ["kiln.ml.pipeline", "kiln.ml"],
    "pyspark.ml.base": ["kiln.ml.base", "kiln.ml"],
    "pyspark.mllib": ["kiln.mllib", "kiln.ml"],
    "pyspark.status": ["kiln.status", "kiln"],
    "pyspark.serializers": ["kiln.serializers", "kiln"],
    "pyspark.errors": ["kiln.errors"],
    "pyspark.sql.utils": ["kiln.sql.utils", "kiln.errors"],
}


def targets(name):
    """The kiln modules pyspark module name may stand for, in order."""
    return ALIASES.get(name) or ["kiln" + name[len("pyspark"):]]


def _load(name):
    """The first kiln module of targets(name) that imports."""
    errors = []
    for target in targets(name):
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError as e:
            # Only a missing target (or a missing parent of it) moves on.
            if e.name and (target == e.name or target.startswith(e.name + ".")):
                errors.append(target)
                continue
            raise
    raise ModuleNotFoundError(
        "No module named %r: kiln's compatibility package maps it to %s, which this build "
        "of kiln does not have" % (name, " or ".join(errors)), name=name)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return None  # a new module object, filled by exec_module

    def exec_module(self, module):
        target = self.target
        public = getattr(target, "__all__", None)
        names = public if public is not None else [n for n in vars(target)
                                                    if not n.startswith("_")]
        for n in names:
            if hasattr(target, n):
                setattr(module, n, getattr(target, n))
        if public is not None:
            module.__all__ = list(public)
        module.__doc__ = "pyspark alias of %s (kiln).\n\n%s" % (target.__name__,
                                                               target.__doc__ or "")
        module.__kiln_module__ = target
        module.__getattr__ = lambda n: getattr(target, n)  # the rest of kiln's module


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers for pyspark.* names that have no file in the package (it
    comes after sys.meta_path's PathFinder, which finds those)."""

    def find_spec(self, fullname, path=None, target=None):
        # Files of the package come first: this finder is after PathFinder.
        if not fullname.startswith("pyspark.") or fullname.split(".")[1].startswith("_"):
            return None
        module = _load(fullname)
        is_pkg = hasattr(module, "__path__") or any(k.startswith(fullname + ".")
                                                     for k in ALIASES)
        spec = importlib.util.spec_from_loader(fullname, _AliasLoader(module), is_package=is_pkg)
        if is_pkg:
            spec.submodule_search_locations = []
        return spec


_finder = _AliasFinder()


def install():
    """Puts the finder on sys.meta_path (once)."""
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
