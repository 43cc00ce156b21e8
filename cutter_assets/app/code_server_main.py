"""``dagster api grpc`` whose run workers fork from a process that has already
imported cutter, instead of each starting a new interpreter.

Dagster's code server starts every run's worker with multiprocessing's
"spawn": a fresh interpreter that imports Dagster and cutter again (1.3 s of
CPU on this project's machines), most of the time between an approval landing
and its stage starting, and a fixed cost of every run of a batch. This entry
point makes the server's multiprocessing context "forkserver" with cutter's
definitions preloaded: one clean process, started for this alone, imports them
once, and each run worker is a fork of it. That process holds no connection,
no thread and no state of the gRPC server, so a worker starts as clean as a
spawned one, with its imports done. The worker is handed its run exactly as a
spawned one is (the arguments pickled through the context).

Dagster chooses the context in ``DagsterApiServer.__init__`` and offers no
setting for it; this sets the server's ``_mp_ctx`` right after. A test holds
that the attribute is still there and that a run's worker is a fork of the
preloading process (``tests/test_latency_settings.py``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import signal

from dagster._cli.api import grpc_command
from dagster._grpc.server import DagsterApiServer

# What a run worker needs before its first step: the definitions, the instance's
# storage (dagster-postgres, loaded from the instance's config), and pandas (the
# extraction's frames import it when first used). Imported in the worker instead,
# they were 1.3 s, 0.3 s and 0.4 s of its CPU.
PRELOADED = ["cutter_assets.definitions", "cutter_assets.db.dagster_storage", "pandas"]


def forking_run_workers() -> None:
    """Every ``DagsterApiServer`` of this process starts its run workers from
    the forkserver, which imports ``PRELOADED`` first."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    spawning_init = DagsterApiServer.__init__

    def __init__(self, *args, **kwargs):
        spawning_init(self, *args, **kwargs)
        self._mp_ctx = context

    DagsterApiServer.__init__ = __init__
    multiprocessing.forkserver.ensure_running()  # the imports happen now, not at the first run


def run() -> None:
    # Dagster's server stops on SIGTERM as on SIGINT; a server started in the
    # background (SIGINT ignored) would then ignore both: it stops on either.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    forking_run_workers()
    grpc_command()  # click reads the arguments from sys.argv


if __name__ == "__main__":
    run()
