"""State store on real SQLite files, schema built by the Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from pipeline.fields import DocType
from pipeline.rules.checks import Decision, PieceStatus
from pipeline.store.db import (
    AuditEvent,
    Base,
    Dossier,
    DossierStatus,
    Piece,
    PieceState,
    alembic_config,
    current_revision,
    make_engine,
    session_factory,
    upgrade_database,
)
from pipeline.types import FileKind

SHA = "ab" * 32


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'justif.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def make_dossier(pieces: int = 2) -> Dossier:
    dossier = Dossier(
        procedure="bourse-sanitaire-sociale", applicant={"nom": "Dupré", "prénom": "Zoé"}
    )
    dossier.pieces = [
        Piece(
            sha256=SHA,
            original_name=f"pièce {n}.pdf",
            position=n,
            size_bytes=1234 * n,
            kind=FileKind.PDF,
        )
        for n in range(1, pieces + 1)
    ]
    return dossier


def test_upgrade_from_empty_to_head_is_idempotent(db_url: str) -> None:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert current_revision(engine) == head
        tables = set(inspect(engine).get_table_names())
        assert {"dossiers", "pieces", "audit_events", "alembic_version"} <= tables
        upgrade_database(db_url)  # second run: nothing to do, nothing broken
        assert current_revision(engine) == head
    finally:
        engine.dispose()


def test_sqlite_connections_are_configured(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15_000


def test_orm_metadata_matches_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_schema_comparison_detects_a_model_change(engine: Engine) -> None:
    # Proves the comparison above can fail: a column the migrations lack is reported.
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["pieces"].append_column(sa.Column("extra", sa.String(10)))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [entry[0] for entry in diff] == ["add_column"]


def test_dossier_with_pieces_round_trip(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        dossier = make_dossier()
        session.add(dossier)
    dossier_id = dossier.id
    assert len(dossier_id) == 32 and int(dossier_id, 16) >= 0

    with sessions() as session:
        loaded = session.get_one(Dossier, dossier_id)
        assert loaded.status is DossierStatus.RECEIVED
        assert loaded.decision is None
        assert loaded.applicant == {"nom": "Dupré", "prénom": "Zoé"}
        assert loaded.created_at.tzinfo is UTC
        assert [p.position for p in loaded.pieces] == [1, 2]
        assert [p.original_name for p in loaded.pieces] == ["pièce 1.pdf", "pièce 2.pdf"]
        assert all(p.status is PieceState.PENDING and p.kind is FileKind.PDF for p in loaded.pieces)


def test_decision_and_piece_results_are_stored(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        dossier = make_dossier(1)
        session.add(dossier)
    paris = timezone(timedelta(hours=2))
    decided_at = datetime(2026, 6, 1, 14, 30, tzinfo=paris)
    with sessions.begin() as session:
        loaded = session.get_one(Dossier, dossier.id)
        created_at = loaded.created_at
        loaded.status = DossierStatus.DECIDED
        loaded.decision = Decision.TO_REVIEW
        loaded.decided_at = decided_at
        piece = loaded.pieces[0]
        piece.status = PieceState(PieceStatus.DOUBTFUL)
        piece.doc_type = DocType.TAX_NOTICE
        piece.confidence = 0.62
        piece.page_count = 2
        piece.reading = {"fields": {"tax_year": "2025"}, "pages": [{"n": 1, "chars": 1800}]}
    with sessions() as session:
        loaded = session.get_one(Dossier, dossier.id)
        assert loaded.decision is Decision.TO_REVIEW
        assert loaded.decided_at == decided_at
        assert loaded.decided_at is not None and loaded.decided_at.tzinfo is UTC
        assert loaded.decided_at.hour == 12  # stored in UTC
        assert loaded.updated_at > created_at
        piece = loaded.pieces[0]
        assert (piece.status, piece.doc_type, piece.confidence) == (
            PieceState.DOUBTFUL,
            DocType.TAX_NOTICE,
            0.62,
        )
        assert piece.reading == {"fields": {"tax_year": "2025"}, "pages": [{"n": 1, "chars": 1800}]}
    with engine.connect() as connection:  # enums are stored as their plain string values
        raw = connection.execute(sa.text("SELECT status, doc_type FROM pieces")).one()
    assert tuple(raw) == ("doubtful", "tax_notice")


def test_piece_states_extend_the_pipeline_statuses() -> None:
    assert {s.value for s in PieceState} == {s.value for s in PieceStatus} | {"pending"}


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with session_factory(engine)() as session:
        dossier = make_dossier(0)
        dossier.decided_at = datetime(2026, 1, 1, 12, 0)  # no tzinfo: a bug
        session.add(dossier)
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


def test_unknown_enum_value_is_refused(engine: Engine) -> None:
    with session_factory(engine)() as session:
        dossier = make_dossier(0)
        dossier.status = "lost"  # type: ignore[assignment]
        session.add(dossier)
        with pytest.raises(StatementError):
            session.flush()


def test_deleting_a_dossier_cascades_to_pieces_but_keeps_audit(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        dossier, other = make_dossier(3), make_dossier(1)
        session.add_all([dossier, other])
        session.flush()
        session.add(AuditEvent(actor="system", action="dossier.received", dossier_id=dossier.id))
    with sessions.begin() as session:
        session.delete(session.get_one(Dossier, dossier.id))
        session.add(
            AuditEvent(actor="flow:purge-expired", action="dossier.purged", dossier_id=dossier.id)
        )
    with sessions() as session:
        assert session.scalar(select(sa.func.count()).select_from(Piece)) == 1
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.dossier_id == dossier.id)
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["dossier.received", "dossier.purged"]


def test_database_cascade_without_the_orm(engine: Engine) -> None:
    # ON DELETE CASCADE is in the schema itself, for deletes that bypass the ORM.
    sessions = session_factory(engine)
    with sessions.begin() as session:
        dossier = make_dossier(2)
        session.add(dossier)
    with engine.begin() as connection:
        connection.execute(sa.delete(Dossier).where(Dossier.id == dossier.id))
        assert connection.execute(select(sa.func.count()).select_from(Piece)).scalar() == 0


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with session_factory(engine)() as session:
        session.add(
            Piece(dossier_id="0" * 32, sha256=SHA, original_name="x", position=1, size_bytes=1)
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_piece_positions_are_unique_within_a_dossier(engine: Engine) -> None:
    with session_factory(engine)() as session:
        dossier = make_dossier(1)
        dossier.pieces.append(Piece(sha256=SHA, original_name="bis", position=1, size_bytes=1))
        session.add(dossier)
        with pytest.raises(IntegrityError):
            session.flush()


def test_reprs_carry_no_applicant_data() -> None:
    dossier = make_dossier(1)
    text = repr(dossier) + repr(dossier.pieces[0])
    assert "Dupré" not in text and "pièce" not in text
