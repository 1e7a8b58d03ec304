"""Background loops of `justif serve`: checks claimed from the queue, webhooks from the outbox.

A check runs as the `check-dossier` flow, in this process or as a run of its
deployment; it never runs inside a request. A transient failure (storage or
database unreachable, a crashed run) puts the dossier back in the queue with
backoff; anything else, or too many attempts, makes it `failed` with a reason.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from justif.api.config import ApiSettings
from pipeline.errors import JustifError, StorageUnavailable
from pipeline.store import db, outbox, submissions
from pipeline.store.storage import ObjectStore
from pipeline.webhooks.delivery import deliver_due

log = logging.getLogger(__name__)
RunCheck = Callable[[str], None]


class CheckRunFailed(Exception):
    """A deployment run ended in a state other than Completed."""

    def __init__(self, state: str, *, crashed: bool) -> None:
        super().__init__(state)
        self.crashed = crashed


def run_in_process(dossier_id: str) -> None:
    from flows.check_dossier import check_dossier

    check_dossier(dossier_id)


def run_as_deployment(name: str, timeout_s: float) -> RunCheck:
    def run(dossier_id: str) -> None:
        from prefect.deployments import run_deployment

        flow_run = run_deployment(name, parameters={"dossier_id": dossier_id}, timeout=timeout_s)
        state = flow_run.state
        if state is None or not state.is_final():
            # No worker took it in time, or it is still running: try again later. Should the
            # run finish meanwhile, its report is recorded once (one report per version).
            raise CheckRunFailed(state.name if state else "unknown", crashed=True)
        if not state.is_completed():
            raise CheckRunFailed(state.name, crashed=state.is_crashed() or state.is_cancelled())

    return run


def choose_runner(api: ApiSettings) -> RunCheck:
    dispatch = api.dispatch
    if dispatch == "auto":
        dispatch = "deployment" if os.environ.get("PREFECT_API_URL") else "inprocess"
    if dispatch == "deployment":
        return run_as_deployment(api.deployment, api.check_timeout_s)
    return run_in_process


def is_transient(error: BaseException) -> bool:
    if isinstance(error, StorageUnavailable | ConnectionError | TimeoutError):
        return True
    if isinstance(error, OperationalError):
        return True  # a lost or locked database: the flow's own retries were not enough
    return isinstance(error, CheckRunFailed) and error.crashed


def failure_of(error: BaseException) -> dict[str, str]:
    """The reason shown to the backend: a stable code and French words, no internals."""
    if isinstance(error, JustifError):
        return error.export()
    if is_transient(error):
        return {
            "code": "CHECK_UNAVAILABLE",
            "message": "Vérification impossible pour l'instant (stockage ou base indisponible).",
        }
    return {"code": "CHECK_FAILED", "message": "La vérification du dossier a échoué."}


class CheckWorker(threading.Thread):
    """Claims due checks one at a time and runs them; keeps its lease alive while it runs."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        api: ApiSettings,
        run_check: RunCheck,
        stop: threading.Event,
        *,
        index: int = 0,
    ) -> None:
        super().__init__(name=f"justif-check-{index}", daemon=True)
        self.sessions = sessions
        self.api = api
        self.run_check = run_check
        self.stop = stop
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{index}"
        self.rng = random.Random()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                claim = submissions.claim_next(
                    self.sessions,
                    owner=self.owner,
                    now=db.utc_now(),
                    lease_s=self.api.check_lease_s,
                )
            except OperationalError:
                log.warning("check queue: database unavailable, retrying")
                claim = None
            if claim is None:
                self.stop.wait(self.api.queue_poll_s)
                continue
            self.process(claim)

    def process(self, claim: submissions.Claim) -> None:
        done = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(claim, done), daemon=True)
        keeper.start()
        try:
            self.run_check(claim.dossier_id)
        except Exception as error:
            self._failed(claim, error)
        else:
            sub = submissions.get_submission(self.sessions, claim.dossier_id)
            if sub is not None and sub.state == db.SubmissionState.PROCESSING:
                # The run ended without recording a report for this version.
                self._failed(claim, RuntimeError("no report recorded"))
        finally:
            done.set()
            keeper.join()

    def _keep_lease(self, claim: submissions.Claim, done: threading.Event) -> None:
        while not done.wait(self.api.check_lease_s / 3):
            try:
                submissions.renew_lease(
                    self.sessions,
                    claim.dossier_id,
                    owner=self.owner,
                    now=db.utc_now(),
                    lease_s=self.api.check_lease_s,
                )
            except OperationalError:
                log.warning("dossier %s: could not renew the lease", claim.dossier_id)

    def _failed(self, claim: submissions.Claim, error: Exception) -> None:
        failure = failure_of(error)
        if is_transient(error) and claim.attempts < self.api.check_max_attempts:
            delay_s = min(300.0, 5.0 * 2 ** (claim.attempts - 1)) * self.rng.uniform(0.5, 1.0)
            log.warning(
                "dossier %s: transient failure (%s), attempt %d, retry in %.0f s",
                claim.dossier_id,
                type(error).__name__,
                claim.attempts,
                delay_s,
            )
            submissions.retry_later(
                self.sessions,
                claim.dossier_id,
                owner=self.owner,
                at=db.utc_now() + timedelta(seconds=delay_s),
                failure=failure,
            )
            return
        # Type and code only: an exception's text may quote a document.
        log.error(
            "dossier %s failed: %s (%s)", claim.dossier_id, failure["code"], type(error).__name__
        )
        submissions.mark_failed(self.sessions, claim.dossier_id, owner=self.owner, failure=failure)


class WebhookLoop(threading.Thread):
    """Delivers due webhooks every few seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: ObjectStore,
        api: ApiSettings,
        stop: threading.Event,
        *,
        policy: outbox.RetryPolicy | None = None,
    ) -> None:
        super().__init__(name="justif-webhooks", daemon=True)
        self.sessions = sessions
        self.store = store
        self.api = api
        self.stop = stop
        self.policy = policy or outbox.RetryPolicy()
        self.rng = random.Random()

    def run(self) -> None:
        with httpx.Client(timeout=self.api.webhook_timeout_s) as client:
            while not self.stop.is_set():
                try:
                    counts = deliver_due(
                        self.sessions,
                        self.store,
                        client,
                        now=db.utc_now(),
                        rng=self.rng,
                        policy=self.policy,
                    )
                    busy = counts.delivered + counts.retried + counts.dead > 0
                except OperationalError:
                    log.warning("webhooks: database unavailable, retrying")
                    busy = False
                if not busy:
                    self.stop.wait(self.api.webhook_poll_s)
