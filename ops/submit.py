"""Submit a dossier to a running stack: store it in S3, then run the `check-dossier` deployment.

source .stack/env.sh
.venv/bin/python -m ops.submit --procedure bourse-sanitaire-sociale FILE...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import runtime
from pipeline.store.dossiers import store_dossier


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.submit")
    parser.add_argument("--procedure", required=True)
    parser.add_argument("--applicant", type=Path, help="JSON file with the applicant identity")
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    applicant = json.loads(args.applicant.read_text()) if args.applicant else {}
    manifest = store_dossier(
        runtime.store(),
        procedure=args.procedure,
        files=[(path.name, path) for path in args.files],
        applicant=applicant,
    )
    from prefect.deployments import run_deployment

    run = run_deployment(
        "check-dossier/check-dossier", parameters={"dossier_id": manifest.dossier_id}, timeout=0
    )
    print(f"dossier {manifest.dossier_id}: flow run {run.id} ({run.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
