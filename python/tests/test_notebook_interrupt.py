"""A notebook's interrupt (Jupyter's "interrupt the kernel": SIGINT to the
kernel process) cancels a running kiln job within a second, the cell ends
with KeyboardInterrupt, and `sc` still works in the next cell (issue 14).
A real kernel (the kiln kernelspec, ipykernel) driven by jupyter_client."""
import os
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")


def _reply(kc, msg_id, timeout):
    deadline = time.time() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def _result(kc, msg_id, timeout=60):
    """The text/plain result of a cell, read from the iopub channel."""
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
            return msg["content"]["data"]["text/plain"]


def _wait_for_progress(kc, msg_id, timeout=60):
    """Until the cell's job shows its progress line (the extension shows it
    once a job has run for half a second)."""
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id and \
                msg["msg_type"] in ("display_data", "update_display_data") and \
                "Job" in msg["content"]["data"].get("text/plain", ""):
            return


def test_interrupt_cancels_the_job(tmp_path, monkeypatch):
    from kiln import kernel as kk
    kk.install(prefix=str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", os.path.join(str(tmp_path), "share", "jupyter"))
    monkeypatch.setenv("KILN_MASTER", "local[2]")
    km = jupyter_client.KernelManager(kernel_name="kiln")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        assert _reply(kc, kc.execute("%load_ext kiln"), 60)["status"] == "ok"
        # stop_on_error=False: ipykernel would otherwise abort the cells
        # queued right after the interrupted one (its policy, not kiln's).
        long_job = kc.execute("sc.range(0, 10**13, 1, 4).map(lambda x: x + 1).count()",
                              stop_on_error=False)
        _wait_for_progress(kc, long_job)  # the job is running (its progress line is shown)
        sent = time.time()
        km.interrupt_kernel()
        reply = _reply(kc, long_job, 30)
        took = time.time() - sent
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
        assert took < 1.5, "the interrupt took %.2f s" % took
        after = kc.execute("sc.parallelize(list(range(10)), 2).map(lambda x: x * 2).sum()")
        assert _result(kc, after) == "90"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
