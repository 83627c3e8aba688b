"""Fixtures of the Python tests: a SparkContext per master the tests run
under (local[1], local[2] and local-cluster[2,1,512]), shared by the
tests of a module, and the path of the shared datasets."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED_DATA = os.path.join(ROOT, "..", "shared", "data")

MASTERS = ["local[1]", "local[2]", "local-cluster[2,1,512]"]


@pytest.fixture(scope="module", params=MASTERS)
def sc(request):
    import kiln
    ctx = kiln.SparkContext(request.param, "pytest")
    yield ctx
    ctx.stop()


@pytest.fixture(scope="module")
def sc_local():
    import kiln
    ctx = kiln.SparkContext("local[2]", "pytest")
    yield ctx
    ctx.stop()


def shared_data(*parts):
    """A path under ../shared/data, or a pytest skip saying it is absent."""
    path = os.path.join(SHARED_DATA, *parts)
    if not os.path.exists(path):
        pytest.skip("%s is absent (a clone without ../shared)" % path)
    return path
