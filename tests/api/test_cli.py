"""`justif backends` and `justif webhooks` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.store import backends, db


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUSTIF_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "justif.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_backend_token_is_shown_once_stored_hashed_and_revocable(tmp_path: Path) -> None:
    created = run("backends", "create", "service-bourses", "--callback-secret", "s3", home=tmp_path)
    assert created.returncode == 0, created.stderr
    token = next(line.split()[-1] for line in created.stdout.splitlines() if "token:" in line)
    sessions = db.session_factory(db.make_engine(f"sqlite:///{tmp_path / 'justif.db'}"))
    assert backends.authenticate(sessions, token) is not None
    with sessions() as session:
        (row,) = session.query(db.ApiBackend).all()
    assert row.token_sha256 == backends.token_sha256(token) and token not in row.token_sha256
    assert row.callback_secret == "s3"
    again = run("backends", "create", "service-bourses", home=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    listed = run("backends", "list", home=tmp_path)
    assert "service-bourses" in listed.stdout and token not in listed.stdout
    assert run("backends", "revoke", "service-bourses", home=tmp_path).returncode == 0
    assert backends.authenticate(sessions, token) is None
    assert run("backends", "revoke", "service-bourses", home=tmp_path).returncode == 2


def test_webhooks_list_and_replay_of_an_unknown_event(tmp_path: Path) -> None:
    listed = run("webhooks", "list", "--state", "dead", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    bad_state = run("webhooks", "list", "--state", "lost", home=tmp_path)
    assert bad_state.returncode == 2
    unknown = run("webhooks", "replay", "0" * 32, home=tmp_path)
    assert unknown.returncode == 2 and "no webhook event" in unknown.stderr
