"""HTTP API: procedure backends, submissions (work queue), report versions, webhook outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08

Same conventions as 0001: enums as VARCHAR(32), timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_backends",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("callback_secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_backends"),
        sa.UniqueConstraint("name", name="uq_api_backends_name"),
        sa.UniqueConstraint("token_sha256", name="uq_api_backends_token_sha256"),
    )
    op.create_table(
        "api_submissions",
        sa.Column("dossier_id", sa.String(length=32), nullable=False),
        sa.Column("backend_id", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("running_version", sa.Integer(), nullable=True),
        sa.Column("reported_version", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["backend_id"], ["api_backends.id"], name="fk_api_submissions_backend_id_api_backends"
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name="fk_api_submissions_dossier_id_dossiers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dossier_id", name="pk_api_submissions"),
        sa.UniqueConstraint(
            "backend_id", "idempotency_key", name="uq_api_submissions_backend_idempotency"
        ),
    )
    op.create_index("ix_api_submissions_backend_id", "api_submissions", ["backend_id"])
    op.create_index("ix_api_submissions_created_at", "api_submissions", ["created_at"])
    op.create_index("ix_api_submissions_external_ref", "api_submissions", ["external_ref"])
    op.create_index("ix_api_submissions_next_attempt_at", "api_submissions", ["next_attempt_at"])
    op.create_index("ix_api_submissions_state", "api_submissions", ["state"])

    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dossier_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("report_key", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name="fk_report_versions_dossier_id_dossiers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_versions"),
        sa.UniqueConstraint("dossier_id", "version", name="uq_report_versions_dossier_version"),
    )
    op.create_index("ix_report_versions_dossier_id", "report_versions", ["dossier_id"])

    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("backend_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("budget_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["backend_id"], ["api_backends.id"], name="fk_webhook_outbox_backend_id_api_backends"
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name="fk_webhook_outbox_dossier_id_dossiers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_outbox"),
        sa.UniqueConstraint("dossier_id", "version", name="uq_webhook_outbox_dossier_version"),
    )
    op.create_index("ix_webhook_outbox_backend_id", "webhook_outbox", ["backend_id"])
    op.create_index("ix_webhook_outbox_created_at", "webhook_outbox", ["created_at"])
    op.create_index("ix_webhook_outbox_dossier_id", "webhook_outbox", ["dossier_id"])
    op.create_index("ix_webhook_outbox_next_attempt_at", "webhook_outbox", ["next_attempt_at"])
    op.create_index("ix_webhook_outbox_state", "webhook_outbox", ["state"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("report_versions")
    op.drop_table("api_submissions")
    op.drop_table("api_backends")
