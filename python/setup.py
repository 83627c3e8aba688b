"""Builds the extension module _kiln with the repository's own build
(`make python`: CMake, libkiln.a) and installs it with the kiln package.
Run through pip from the repository root (python/README.md)."""
import glob
import os
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class MakeBuildExt(build_ext):
    """The module comes from `make python`, not from setuptools' compiler."""

    def build_extension(self, ext):
        subprocess.check_call(["make", "-C", ROOT, "python"])
        built = glob.glob(os.path.join(ROOT, "build", "python", "_kiln.*.so"))
        if not built:
            raise RuntimeError("make python built no _kiln module under build/python")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


setup(ext_modules=[Extension("_kiln", sources=[])], cmdclass={"build_ext": MakeBuildExt})
