"""The one configuration object. Built at entry points only (CLI, flows, API) and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path.home() / ".local" / "share" / "justif"


class Limits(BaseSettings):
    """Caps applied to every untrusted file."""

    model_config = SettingsConfigDict(env_prefix="JUSTIF_LIMIT_", extra="ignore")

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    max_pixels: int = 80_000_000  # per page or image, after rendering
    parse_timeout_s: float = 300.0
    parse_memory_mb: int = 3072
    render_dpi: int = 300


class Settings(BaseSettings):
    """Everything configurable, env prefix `JUSTIF_`. With no configuration all is embedded."""

    model_config = SettingsConfigDict(
        env_prefix="JUSTIF_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(
        default=DEFAULT_HOME, description="Folder for the embedded store and database"
    )
    # Object store: empty endpoint means the local folder store under `home`.
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "justif"
    s3_secure: bool = False
    s3_region: str | None = None
    database_url: str = ""  # empty: SQLite file under `home`
    ocr_languages: str = "fra+eng"
    page_workers: int = 0  # 0: one per CPU core
    # Page fan-out of the check flow: a Dask scheduler address ("tcp://host:8786"), or
    # a local cluster of this many worker processes per flow run; neither: the worker's threads.
    dask_address: str = ""
    procedures_dir: Path | None = None  # None: the procedures/ folder shipped with justif
    twoddoc_trust_list: Path | None = None  # certificates of the 2D-Doc authorities (docs/2ddoc.md)
    dask_local_workers: int = Field(default=0, ge=0)
    page_batch_size: int = Field(default=4, ge=1)  # pages per read task of a long piece
    limits: Limits = Field(default_factory=Limits)

    @property
    def store_path(self) -> Path:
        return self.home / "store"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'justif.db'}"
