"""`justif serve`, `justif backends create|list|revoke`, `justif webhooks list|replay`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

backends_app = typer.Typer(
    help="Services de démarches autorisés à appeler l'API.", no_args_is_help=True
)
webhooks_app = typer.Typer(help="Webhooks en attente, livrés ou abandonnés.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (0: any free port).")] = None,
    check_workers: Annotated[
        int | None, typer.Option(help="Checks run by this process at once (0: none).")
    ] = None,
    worker_only: Annotated[
        bool, typer.Option("--worker-only", help="Run checks and webhooks, no HTTP server.")
    ] = False,
    no_webhooks: Annotated[
        bool, typer.Option("--no-webhooks", help="Leave webhook delivery to another process.")
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request line.")] = False,
) -> None:
    """Start the HTTP API (OpenAPI at /docs) with its check workers and webhook delivery."""
    from justif.api.config import ApiSettings
    from justif.api.server import run_workers_only
    from justif.api.server import serve as run_server

    overrides = {"host": host, "port": port, "check_workers": check_workers}
    api = ApiSettings(**{k: v for k, v in overrides.items() if v is not None})
    if no_webhooks:
        api = api.model_copy(update={"webhooks": False})
    if worker_only:
        run_workers_only(api)
    else:
        run_server(api, access_log=access_log)


def _sessions():  # type: ignore[no-untyped-def]
    from flows import prefect_runtime as runtime

    return runtime.database()


@backends_app.command("create")
def backends_create(
    name: Annotated[str, typer.Argument(help="A name for the backend, e.g. its service.")],
    callback_secret: Annotated[
        str | None,
        typer.Option(help="Secret that signs its webhooks (default: a new random one)."),
    ] = None,
) -> None:
    """Register a backend and print its bearer token once (only a digest is kept)."""
    from pipeline.store.backends import create_backend

    try:
        created = create_backend(_sessions(), name, callback_secret=callback_secret)
    except ValueError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    out.print(f"backend:         {created.name} ({created.id})")
    out.print(f"token:           {created.token}", markup=False)
    out.print(f"callback secret: {created.callback_secret}", markup=False)
    err.print("Keep the token now: it cannot be shown again.")


@backends_app.command("list")
def backends_list() -> None:
    """The backends, active or revoked (never their tokens)."""
    from pipeline.store.backends import list_backends

    table = Table("name", "id", "created", "revoked")
    for backend in list_backends(_sessions()):
        revoked = backend.revoked_at.isoformat(timespec="seconds") if backend.revoked_at else ""
        table.add_row(
            backend.name, backend.id, backend.created_at.isoformat(timespec="seconds"), revoked
        )
    out.print(table)


@backends_app.command("revoke")
def backends_revoke(name: Annotated[str, typer.Argument(help="The backend's name.")]) -> None:
    """Refuse the backend's token from now on."""
    from pipeline.store.backends import revoke_backend

    if not revoke_backend(_sessions(), name):
        err.print(f"[red]error:[/red] no active backend named {name!r}")
        raise typer.Exit(2)
    out.print(f"revoked {name}")


@webhooks_app.command("list")
def webhooks_list(
    state: Annotated[
        str | None, typer.Option(help="pending, delivered or dead (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Most recent first, this many.")] = 50,
) -> None:
    """The outbox: every webhook with its state, attempts and last error."""
    from pipeline.store import db, outbox

    try:
        wanted = db.OutboxState(state) if state else None
    except ValueError:
        err.print(f"[red]error:[/red] unknown state {state!r}: pending, delivered or dead")
        raise typer.Exit(2) from None
    table = Table("event id", "dossier", "version", "state", "attempts", "next attempt", "error")
    for event in outbox.list_events(_sessions(), state=wanted, limit=limit):
        table.add_row(
            event.id,
            event.dossier_id,
            str(event.version),
            event.state.value,
            str(event.attempts),
            event.next_attempt_at.isoformat(timespec="seconds"),
            event.last_error or "",
        )
    out.print(table)


@webhooks_app.command("replay")
def webhooks_replay(
    event_ids: Annotated[list[str], typer.Argument(help="Event ids (from `webhooks list`).")],
) -> None:
    """Send webhooks again (dead or delivered) with a fresh retry budget."""
    from pipeline.store import db, outbox

    unknown = [e for e in event_ids if not outbox.replay(_sessions(), e, now=db.utc_now())]
    for event_id in unknown:
        err.print(f"[red]error:[/red] no webhook event {event_id}")
    if unknown:
        raise typer.Exit(2)
    out.print(f"{len(event_ids)} event(s) queued for delivery")


def register(app: typer.Typer) -> None:
    """Add `serve`, `backends` and `webhooks` to the main CLI."""
    app.command()(serve)
    app.add_typer(backends_app, name="backends")
    app.add_typer(webhooks_app, name="webhooks")
