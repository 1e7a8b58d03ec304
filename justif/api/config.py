"""Settings of the HTTP API, env prefix `JUSTIF_API_` (the per-file cap is the pipeline's
`JUSTIF_LIMIT_MAX_BYTES`). Built once by `justif serve` and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JUSTIF_API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_body_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)  # whole request
    max_files: int = Field(default=20, ge=1)  # per request
    # Token bucket per backend: `rate_per_minute` sustained, `rate_burst` at once.
    rate_per_minute: float = Field(default=600.0, gt=0)
    rate_burst: int = Field(default=60, ge=1)
    # Checks run by this process (threads); 0 leaves them to other `justif serve --worker`.
    check_workers: int = Field(default=1, ge=0)
    # How a check runs: in this process, or as a run of the `check-dossier` deployment
    # (a Prefect server and a worker); auto picks the deployment when PREFECT_API_URL is set.
    dispatch: Literal["auto", "inprocess", "deployment"] = "auto"
    deployment: str = "check-dossier/check-dossier"
    check_max_attempts: int = Field(default=3, ge=1)  # transient failures only
    check_lease_s: float = Field(default=60.0, gt=0)
    # A deployment run not finished by then is retried (no Prefect worker, a stuck run).
    check_timeout_s: float = Field(default=3600.0, gt=0)
    queue_poll_s: float = Field(default=1.0, gt=0)
    # Without a document-type model every piece goes to a case officer: ready or not?
    require_model: bool = True
    # Webhook delivery from the outbox, by this process.
    webhooks: bool = True
    webhook_poll_s: float = Field(default=2.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
