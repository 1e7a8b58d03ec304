"""What the product needs from the outside world, built once per process from the settings.

The settings, the object store, the database, the document-type model, the
2D-Doc trust list and the procedures. The command line, the demo, the Prefect
flows (through `flows.prefect_runtime`) and any other entry point take them from here,
so a process reads its configuration once and every part sees the same
objects. Nothing here imports Prefect: `justif inspect` stays free of it.

Imports are deferred to the function that needs them, so asking for the
settings does not load the classifier's scientific stack.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.classify import TypeClassifier
    from pipeline.codes.twoddoc.trust import TrustList
    from pipeline.rules.procedures import Procedure
    from pipeline.settings import Settings
    from pipeline.store.storage import ObjectStore

log = logging.getLogger(__name__)


@cache
def settings() -> Settings:
    from pipeline.settings import Settings

    return Settings()


@cache
def store() -> ObjectStore:
    from pipeline.store.storage import open_store

    return open_store(settings())


@cache
def database() -> Any:
    """A SQLAlchemy session factory on the migrated database."""
    from pipeline.store import db

    url = settings().resolved_database_url
    db.upgrade_database(url)
    return db.session_factory(db.make_engine(url))


def procedure(code: str) -> Procedure:
    from pipeline.rules.procedures import get_procedure

    return get_procedure(code, settings().procedures_dir)


@cache
def trust_list() -> TrustList | None:
    path = settings().twoddoc_trust_list
    if not path:
        return None
    from pipeline.codes.twoddoc.trust import TrustList

    return TrustList.load(path)


@cache
def classifier() -> TypeClassifier | None:
    """The current document-type model; without one every piece goes to a case officer."""
    from classifiers.doctype.store import ModelMissing, ModelVersionMismatch, load_model

    try:
        return load_model(store())
    except (ModelMissing, ModelVersionMismatch) as error:
        log.error("no usable document-type model (%s): run `justif train doctype`", error.detail)
        return None
