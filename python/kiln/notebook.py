"""kiln in Jupyter and IPython: `%load_ext kiln`.

Loading the extension defines what the course environments predefine:

- `sc`, a SparkContext on $KILN_MASTER (default local[*]), made once and
  reused when the extension is loaded again;
- `spark`, a kiln.sql SparkSession on that context (when kiln.sql is part
  of this build);

and replaces the console progress bar (which a notebook cannot show) by a
progress line under the running cell: the stage, tasks done and running,
and at the end the job's time. The line appears once a job has run for
half a second, as the console bar does (`progress(show_after=...)`).
"""
import html
import os
import time

import _kiln

from .conf import SparkConf
from .context import SparkContext

__all__ = ["load", "unload", "progress", "ProgressLine"]

_state = {"line": None, "show_after": 0.5, "enabled": True}


class ProgressLine:
    """Draws a context's job progress as one updating output line per job
    (text and HTML), from the events kiln queues while the job runs. The
    callback runs on the thread that waits for the job, between its 100 ms
    waits, so it may publish IPython displays."""

    def __init__(self, sc, show_after=0.5, display=None):
        self.sc = sc
        self.show_after = show_after
        self._display = display  # tests pass their own; else IPython's
        self._jobs = {}

    def attach(self):
        """Subscribes to the context's progress events."""
        _kiln.on_progress(self.sc._c, self)
        return self

    def detach(self):
        """Stops listening (jobs run without a progress line)."""
        if not self.sc._stopped:
            _kiln.on_progress(self.sc._c, None)

    # ---- Events ------------------------------------------------------------------
    def __call__(self, e):
        kind = e["kind"]
        if kind == "job_start":
            self._jobs[e["job"]] = {"start": e["time"], "name": e["name"], "stage": None,
                                    "stages": 0, "tasks": 0, "done": 0, "running": 0,
                                    "handle": None}
            return
        job = self._jobs.get(e["job"])
        if job is None:
            return
        if kind == "stage_start":
            job.update(stage=e["stage"], tasks=e["tasks"], done=0, running=0)
        elif kind == "stage_progress":
            job.update(stage=e["stage"], tasks=e["tasks"], done=e["done"],
                       running=e["running"])
        elif kind == "stage_end":
            job["stages"] += 1
            job.update(done=e["done"], running=0)
        elif kind == "job_end":
            self._jobs.pop(e["job"], None)
            if job["handle"] is not None:
                self._show(job, e["job"], final=e)
            return
        if job["handle"] is not None or e["time"] - job["start"] >= self.show_after:
            self._show(job, e["job"])

    # ---- Drawing -------------------------------------------------------------------
    @staticmethod
    def text(job, number, final=None):
        """The line's text for job (a dict of its progress) or its end."""
        if final is not None:
            state = "finished" if final["rc"] == 0 else "failed"
            return "Job %d (%s) %s in %.2f s: %d stage%s" % (
                number, job["name"], state, final["duration"], job["stages"],
                "" if job["stages"] == 1 else "s")
        return "Job %d (%s) [Stage %s: (%d + %d) / %d]" % (
            number, job["name"], job["stage"], job["done"], job["running"], job["tasks"])

    @staticmethod
    def html(job, number, final=None):
        """The line as HTML: a <progress> bar and the text."""
        text = html.escape(ProgressLine.text(job, number, final))
        if final is not None:
            return '<div class="kiln-progress">%s</div>' % text
        return ('<div class="kiln-progress"><progress value="%d" max="%d" '
                'style="width: 12em"></progress> %s</div>'
                % (job["done"], max(job["tasks"], 1), text))

    def _show(self, job, number, final=None):
        data = {"text/plain": self.text(job, number, final),
                "text/html": self.html(job, number, final)}
        if self._display is not None:
            job["handle"] = self._display(data, job["handle"])
            return
        from IPython.display import display, update_display
        if job["handle"] is None:
            job["handle"] = "kiln-job-%d-%d" % (number, int(time.time() * 1000))
            display(data, raw=True, display_id=job["handle"])
        else:
            update_display(data, raw=True, display_id=job["handle"])


def progress(show_after=None, enabled=None):
    """Sets when the notebook's progress line appears (seconds a job has run,
    default 0.5) and whether it is drawn at all."""
    if show_after is not None:
        _state["show_after"] = float(show_after)
    if enabled is not None:
        _state["enabled"] = bool(enabled)
    line = _state["line"]
    if line is not None:
        line.show_after = _state["show_after"]
        if _state["enabled"]:
            line.attach()
        else:
            line.detach()


def _context():
    """The active SparkContext, or a new one on $KILN_MASTER (local[*])."""
    if SparkContext._active is not None:
        return SparkContext._active
    conf = (SparkConf().setMaster(os.environ.get("KILN_MASTER") or "local[*]")
            .setAppName("notebook").set("kiln.ui.showConsoleProgress", "false"))
    return SparkContext(conf=conf)


def _session(sc):
    """kiln.sql's SparkSession on sc, or None while kiln.sql is not built."""
    try:
        from .sql import SparkSession  # noqa: F401 (kiln.sql: merged separately)
    except ImportError:
        return None
    return SparkSession.builder.getOrCreate()


def load(ipython):
    """Defines sc (and spark) in the user's namespace and draws job progress
    under the running cell (%load_ext kiln)."""
    sc = _context()
    ns = {"sc": sc}
    spark = _session(sc)
    if spark is not None:
        ns["spark"] = spark
    ipython.push(ns)
    if _state["line"] is None or _state["line"].sc is not sc:
        _state["line"] = ProgressLine(sc, _state["show_after"])
    if _state["enabled"]:
        _state["line"].attach()
    names = " and ".join(sorted(ns, reverse=True))
    print("kiln %s: %s defined (master %s)" % (_kiln.version(), names, sc.master))


def unload(ipython=None):
    """Stops drawing progress (%unload_ext kiln); sc and spark stay."""
    if _state["line"] is not None:
        _state["line"].detach()
        _state["line"] = None
