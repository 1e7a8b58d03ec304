"""Alembic environment for justif, driven from code (see `pipeline.store.db.upgrade_database`).

No alembic.ini: the caller puts the engine in `config.attributes["engine"]`, or
a URL in the `sqlalchemy.url` option. Logging is left to the application.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Engine
from sqlalchemy import Enum as SqlEnum

from pipeline.store.db import Base, UtcDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def _engine() -> tuple[Engine, bool]:
    """The engine to migrate and whether this module owns it (and must dispose of it)."""
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine, False
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine or sqlalchemy.url given to the justif migrations")
    return make_engine(url), True


def render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    """Write the storage types into new migrations, not the model's Python types, so that
    migrations never import `pipeline.store.db` and stay valid when the models change."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, SqlEnum) and not item.native_enum:
        return f"sa.String(length={item.length})"
    return False


def run_offline() -> None:
    """Emit SQL without a database (`alembic upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine, owned = _engine()
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things: batch mode rebuilds tables instead.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                render_item=render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
