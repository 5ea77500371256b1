"""``grade serve``: the whole service on one machine, or its front on a Dask cluster.

Starts the database (upgraded by Alembic), a Dask ``LocalCluster`` with a worker process per
core (or a ``Client`` of ``--scheduler tcp://host:8786``, whose ``dask worker`` processes run on
grading machines), the dispatcher and its sweeper, then the FastAPI app under uvicorn. Stopping
it (Ctrl-C, SIGTERM, or kill -9) loses nothing: every accepted submission is in the database,
and the next start grades what was left.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from grader.service.app import Service, create_app
from grader.service.dispatcher import MODEL_RESOURCE, Dispatcher
from grader.service.policy import load_policy
from grader.service.tables import open_database
from grader.service.worker import WarmGradingWorker

#: Dask settings for grading workers, measured on tensors jobs (CPU per job: 0.23 s in a plain
#: process, 0.31 s in a default Dask worker). The worker's statistical profiler samples every
#: thread every 10 ms; the nanny's default environment makes glibc trim memory at every 64 KiB
#: freed and pins numerical libraries to one thread (a model lesson trains with all cores).
#: Without both, a job costs what it costs in a plain process. For ``dask worker`` processes of
#: a cluster of your own, put the same in their Dask configuration.
GRADING_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": {},
}


@dataclass(frozen=True)
class ServeOptions:
    """How ``grade serve`` was asked to run (see ``grade serve --help``)."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: str = "service/grader.db"
    scheduler: str | None = None
    workers: int | None = None
    policy: Path | None = None
    dist: Path | None = None
    #: The address students use; None: ``http://HOST:PORT``.
    public_url: str | None = None
    #: Proxies whose ``X-Forwarded-Proto`` is believed (uvicorn's ``forwarded_allow_ips``).
    forwarded_allow_ips: str = "127.0.0.1"


def dask_client(options: ServeOptions):
    """A Dask client: of the cluster at ``options.scheduler``, else of a fresh LocalCluster with
    ``options.workers`` single-threaded worker processes (default: one per core)."""
    import dask
    from dask.distributed import Client, LocalCluster

    if options.scheduler:
        return Client(options.scheduler, timeout="30s"), None
    workers = options.workers or os.cpu_count() or 1
    dask.config.set(GRADING_WORKER_CONFIG)
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.WARNING, resources={MODEL_RESOURCE: 1}
    )
    return Client(cluster), cluster


def student_distribution(db: str) -> Path | None:
    """The student distribution built beside a SQLite database (or in ./service for a URL), or
    None when this installation cannot build it (no checkout of the grader). The project's zip
    is there at once; its wheel follows from a background build (the front page names the
    wheel once it is there)."""
    from grader.authoring.distribution import build_student_distribution
    from grader.authoring.release import ReleaseError

    folder = (Path(db).resolve().parent if "://" not in db else Path("service").resolve()) / "dist"
    try:
        archive = build_student_distribution(folder)
    except (ReleaseError, OSError) as error:
        logging.getLogger("grader.service").warning("the student distribution is not served: %s", error)
        return None
    threading.Thread(target=_build_wheel, args=(archive.parent / "nn-grader-student", folder), name="grader-wheel", daemon=True).start()
    return folder


def _build_wheel(project: Path, folder: Path) -> None:
    """``pip wheel`` of the student project into ``folder`` (a failure leaves the zip served)."""
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(folder), str(project)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        logging.getLogger("grader.service").warning("the student wheel could not be built: %s", done.stderr[-500:])


def serve(options: ServeOptions) -> None:
    """Run the service until it is stopped (see the module docstring)."""
    import uvicorn

    sessions = open_database(options.db)
    policy = load_policy(options.policy)
    client, cluster = dask_client(options)
    client.register_plugin(WarmGradingWorker())
    dispatcher = Dispatcher(sessions, client)
    dispatcher.start()
    service = Service(
        sessions, dispatcher, policy, dist_dir=options.dist or student_distribution(options.db), public_url=options.public_url, listening_url=f"http://{options.host}:{options.port}"
    )
    try:
        app = create_app(service)
        uvicorn.run(app, host=options.host, port=options.port, log_level="warning", proxy_headers=True, forwarded_allow_ips=options.forwarded_allow_ips)
    finally:
        dispatcher.stop()
        client.close()
        if cluster is not None:
            cluster.close()
