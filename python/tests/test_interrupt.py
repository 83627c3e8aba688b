"""Ctrl-C during an action cancels the job within a second, raises
KeyboardInterrupt, and leaves the context usable (issue 14), for C-only
work, Python pipelines on worker processes and local-cluster executors."""
import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = r"""
import sys, time, kiln
sc = kiln.SparkContext(sys.argv[1], "interrupt")
job = sys.argv[2]
rdd = sc.range(0, 10**13, 1, 4)
if job == "python":
    rdd = rdd.map(lambda x: x + 1)
print("ready", flush=True)
try:
    rdd.count()
    print("finished?!", flush=True)
except KeyboardInterrupt:
    print("interrupted %.6f" % time.time(), flush=True)
print("after", sc.parallelize(list(range(10)), 2).map(lambda x: x * 2).sum(), flush=True)
sc.stop()
"""


@pytest.mark.parametrize("master,job", [("local[2]", "c"), ("local[2]", "python"),
                                        ("local[1]", "python"),
                                        ("local-cluster[2,1,512]", "python")])
def test_ctrl_c_cancels_the_job(master, job):
    p = subprocess.Popen([sys.executable, "-c", CHILD, master, job], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True,
                         env=os.environ)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # the job is running
        sent = time.time()
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    lines = out.splitlines()
    assert lines and lines[0].startswith("interrupted"), (out, err[-2000:])
    assert float(lines[0].split()[1]) - sent < 1.0
    assert lines[1] == "after 90", (out, err[-2000:])
    assert p.returncode == 0
