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


def _stop_leftovers():
    """Stops a SparkSession or SparkContext still running; what was left."""
    kiln, session = sys.modules.get("kiln"), sys.modules.get("kiln.sql.session")
    left = []
    if session is not None:
        if session.SparkSession.getActiveSession() is not None:
            left.append("a SparkSession")
        if session.SparkSession._instance is not None:
            session.SparkSession._instance.stop()
    if kiln is not None and kiln.SparkContext._active is not None:
        left.append("a SparkContext (master %s)" % kiln.SparkContext._active.master)
        kiln.SparkContext._active.stop()
    return left


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test module's last teardown (its module fixtures included): a
    SparkContext or SparkSession it left running is stopped, so the next
    module in the same process can start its own, and reported as an error."""
    yield
    module = item.getparent(pytest.Module)
    if nextitem is None or nextitem.getparent(pytest.Module) is not module:
        left = _stop_leftovers()
        if left:
            pytest.fail("%s left %s running" % (module.name, " and ".join(left)))


def shared_data(*parts):
    """A path under ../shared/data, or a pytest skip saying it is absent."""
    path = os.path.join(SHARED_DATA, *parts)
    if not os.path.exists(path):
        pytest.skip("%s is absent (a clone without ../shared)" % path)
    return path
