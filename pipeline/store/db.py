"""Relational state: dossiers, pieces and audit events (SQLAlchemy 2 ORM, Alembic migrations).

A SQLite file by default, PostgreSQL by URL in production: the models use only
portable types (JSON, timezone-aware datetimes, strings for enums). The schema
is created and upgraded by the migrations in `pipeline/store/migrations/` only, never
by `create_all`, so every database follows the same history.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.engine import make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.orm import Session as OrmSession

from pipeline.fields import DocType
from pipeline.rules.checks import Decision, PieceStatus
from pipeline.types import FileKind

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DossierStatus(StrEnum):
    """Where a dossier is in its processing; the outcome itself is `Dossier.decision`."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DECIDED = "decided"
    FAILED = "failed"  # an infrastructure failure stopped the processing; it can be rerun


class PieceState(StrEnum):
    """A piece's stored status: the pipeline's `PieceStatus` plus `pending` before it is read."""

    PENDING = "pending"
    VALID = PieceStatus.VALID.value
    INVALID = PieceStatus.INVALID.value
    DOUBTFUL = PieceStatus.DOUBTFUL.value
    UNREADABLE = PieceStatus.UNREADABLE.value
    UNEXPECTED = PieceStatus.UNEXPECTED.value


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset and hands back naive values; this type refuses naive
    input (a bug) and gives every value read back its UTC tzinfo.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum_column(enum: type[StrEnum], length: int = 32) -> SqlEnum:
    """An enum stored as its string value in a VARCHAR (no native enum type to migrate)."""
    return SqlEnum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
    }


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    procedure: Mapped[str] = mapped_column(String(100), index=True)
    applicant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[DossierStatus] = mapped_column(
        _enum_column(DossierStatus), default=DossierStatus.RECEIVED, index=True
    )
    decision: Mapped[Decision | None] = mapped_column(_enum_column(Decision), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)

    pieces: Mapped[list[Piece]] = relationship(
        back_populates="dossier",
        order_by="Piece.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:  # no applicant data: reprs end up in logs
        return f"Dossier(id={self.id!r}, procedure={self.procedure!r}, status={self.status!r})"


class Piece(Base):
    __tablename__ = "pieces"
    __table_args__ = (
        UniqueConstraint("dossier_id", "position", name="uq_pieces_dossier_position"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Kept as data to show case officers; never used to build a path or a key.
    original_name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)  # 1-based order in the submission
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[FileKind | None] = mapped_column(_enum_column(FileKind), nullable=True)
    status: Mapped[PieceState] = mapped_column(_enum_column(PieceState), default=PieceState.PENDING)
    doc_type: Mapped[DocType | None] = mapped_column(_enum_column(DocType), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A summary (fields, checks, per-page figures); the full reading lives in the object store.
    reading: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)

    dossier: Mapped[Dossier] = relationship(back_populates="pieces")

    def __repr__(self) -> str:
        return f"Piece(id={self.id!r}, position={self.position}, status={self.status!r})"


class AuditEvent(Base):
    """Append-only trail. `dossier_id` is deliberately not a foreign key: the trail must
    outlive the dossier (the event proving a purge refers to a dossier that is gone)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "system", "flow:check-dossier", officer login
    action: Mapped[str] = mapped_column(String(100), index=True)
    dossier_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id!r}, action={self.action!r}, dossier_id={self.dossier_id!r})"


# ---------------------------------------------------------------------------
# Engine, sessions, migrations
# ---------------------------------------------------------------------------


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (the review UI) work while a flow writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[OrmSession]:
    """Sessions that keep loaded attributes after commit (results outlive their transaction)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config built in code (no alembic.ini on disk) that runs on `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_database(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the latest); running it again is a no-op."""
    from alembic import command

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# ---------------------------------------------------------------------------
# HTTP API: procedure backends, their submissions, report versions, webhook outbox
# ---------------------------------------------------------------------------


class SubmissionState(StrEnum):
    """A submitted dossier as its backend sees it (`GET /api/v1/dossiers/{id}`)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # retry budget spent; `justif webhooks replay` sends it again


class ApiBackend(Base):
    """An online procedure backend allowed to call the API. Only its token's digest is kept;
    the callback secret is kept as is because signing needs it."""

    __tablename__ = "api_backends"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    callback_secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)

    def __repr__(self) -> str:  # never the secret
        return f"ApiBackend(id={self.id!r}, name={self.name!r})"


class ApiSubmission(Base):
    """The API side of a dossier: who sent it, the work queue, the report versions."""

    __tablename__ = "api_submissions"
    __table_args__ = (
        UniqueConstraint(
            "backend_id", "idempotency_key", name="uq_api_submissions_backend_idempotency"
        ),
    )

    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True
    )
    backend_id: Mapped[str] = mapped_column(ForeignKey("api_backends.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[SubmissionState] = mapped_column(
        _enum_column(SubmissionState), default=SubmissionState.QUEUED, index=True
    )
    # Version 1 is the submission, each later batch of pieces adds one; a report is kept
    # per version. `running_version` is the one the current check covers.
    version: Mapped[int] = mapped_column(Integer, default=1)
    running_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reported_version: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    failure: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)  # {code, message}
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    def __repr__(self) -> str:
        return f"ApiSubmission(dossier_id={self.dossier_id!r}, state={self.state!r})"


class ReportVersion(Base):
    """One report per submission version; the report itself stays in the object store."""

    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("dossier_id", "version", name="uq_report_versions_dossier_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    report_key: Mapped[str] = mapped_column(Text)
    decision: Mapped[Decision | None] = mapped_column(_enum_column(Decision), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class OutboxEvent(Base):
    """A webhook to deliver, written in the same transaction as the report state it announces."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("dossier_id", "version", name="uq_webhook_outbox_dossier_version"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    backend_id: Mapped[str] = mapped_column(ForeignKey("api_backends.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(64))
    state: Mapped[OutboxState] = mapped_column(
        _enum_column(OutboxState), default=OutboxState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # The retry budget runs from here: the creation, or the last manual replay.
    budget_from: Mapped[datetime] = mapped_column(default=utc_now)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)

    def __repr__(self) -> str:
        return f"OutboxEvent(id={self.id!r}, dossier_id={self.dossier_id!r}, state={self.state!r})"
