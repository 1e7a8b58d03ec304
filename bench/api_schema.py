"""Schema fuzzing of the HTTP API: schemathesis against a real `justif serve`'s /openapi.json.

    .venv/bin/python -m bench.api_schema [--examples 80]

Every operation, generated valid and invalid requests (coverage, fuzzing and
stateful phases), every check except `positive_data_acceptance`: a request
valid by the schema may still be refused with a 422 for what a schema cannot
say (the applicant JSON must fit the procedure's applicant kind, the procedure
code must exist). The server runs with no check worker, so nothing is read.
Prints schemathesis' summary; its exit status is this script's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.store import backends, db
from tests.support.api_server import start_serve

EXCLUDED_CHECKS = "positive_data_acceptance"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=80, help="examples per operation")
    options = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="justif-api-schema-"))
    url = f"sqlite:///{home / 'justif.db'}"
    db.upgrade_database(url)
    backend = backends.create_backend(db.session_factory(db.make_engine(url)), "schemathesis")
    env = {
        "JUSTIF_API_REQUIRE_MODEL": "false",
        "JUSTIF_API_RATE_PER_MINUTE": "1000000",
        "JUSTIF_API_RATE_BURST": "100000",
    }
    server = start_serve(home, env, args=("--check-workers", "0", "--no-webhooks"))
    try:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {backend.token}",
            "--max-examples",
            str(options.examples),
            "--checks",
            "all",
            "--exclude-checks",
            EXCLUDED_CHECKS,
        ]
        return subprocess.run(command, cwd=home, check=False).returncode
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
