"""The API as a procedure backend uses it: a real `justif serve`, a real HTTP client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from fixtures.textpages import write_text_pdf
from pipeline.store import db
from pipeline.store.backends import NewBackend
from tests.api.conftest import MAX_FILES, client, wait_done
from tests.support.api_server import ServerProcess
from tests.support.dossier_files import APPLICANT, BORN_DIGITAL_TEXT
from tests.support.webhook_receiver import Receiver

PROCEDURE = "bourse-sanitaire-sociale"


@pytest.fixture(scope="module")
def pieces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pieces")
    certificate = write_text_pdf(folder / "certificat.pdf", [BORN_DIGITAL_TEXT])
    other = write_text_pdf(folder / "autre.pdf", ["Attestation sur l'honneur\nFait à Dijon."])
    empty = folder / "vide.pdf"
    empty.write_bytes(b"")
    return {"certificate": certificate, "other": other, "empty": empty}


def form(**fields: Any) -> dict[str, str]:
    data = {"procedure": PROCEDURE, "applicant": json.dumps(APPLICANT)}
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def files_of(*paths: Path, names: list[str] | None = None) -> list[tuple[str, Any]]:
    names = names or [p.name for p in paths]
    return [
        ("files", (name, p.read_bytes(), "application/pdf"))
        for name, p in zip(names, paths, strict=True)
    ]


def submit(
    http: httpx.Client, paths: list[Path], *, key: str | None = None, **fields: Any
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return http.post(
        "/api/v1/dossiers", data=form(**fields), files=files_of(*paths), headers=headers
    )


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What must be equal between two checks of the same files: not ids, times or cache hits."""
    report = json.loads(json.dumps(report))
    for key in ("dossier_id", "generated_at", "as_of"):
        report.pop(key, None)
    for piece in report["pieces"]:
        piece.pop("seconds", None)
        piece.pop("timings", None)
        for page in piece["pages"]:
            page.pop("seconds", None)
            page.pop("cached", None)
    return report


def test_health_readiness_and_openapi(server: ServerProcess) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": True, "database": True, "model": False}
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {
        "/api/v1/dossiers",
        "/api/v1/dossiers/{dossier_id}",
        "/api/v1/dossiers/{dossier_id}/files",
        "/api/v1/procedures",
    } <= set(spec["paths"])
    assert httpx.get(server.url + "/docs").status_code == 200


def test_submit_poll_and_report_identical_to_justif_check(
    server: ServerProcess,
    backends: dict[str, NewBackend],
    pieces: dict[str, Path],
    tmp_path: Path,
) -> None:
    paths = [pieces["certificate"], pieces["empty"]]
    with client(server, backends["alpha"]) as http:
        response = submit(http, paths, external_ref="DOSSIER-42")
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["status"] == "queued" and accepted["version"] == 1
        assert accepted["status_url"].endswith(f"/api/v1/dossiers/{accepted['id']}")
        body = wait_done(http, accepted["id"])
    assert body["status"] == "done" and body["external_ref"] == "DOSSIER-42"
    assert body["report_version"] == 1 and len(body["reports"]) == 1
    applicant = tmp_path / "applicant.json"
    applicant.write_text(json.dumps(APPLICANT), encoding="utf-8")
    by_cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "justif.cli",
            "check",
            *map(str, paths),
            "--procedure",
            PROCEDURE,
            "--applicant",
            str(applicant),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={
            **os.environ,
            "JUSTIF_HOME": str(tmp_path / "cli-home"),
            "PREFECT_HOME": str(tmp_path / "cli-prefect"),
        },
    )
    assert _comparable(body["report"]) == _comparable(json.loads(by_cli.stdout))
    # An unreadable file is a piece status in the report, not an HTTP error.
    empty = next(p for p in body["report"]["pieces"] if p["file"] == "vide.pdf")
    assert empty["status"] == "unreadable" and empty["error"]["code"] == "EMPTY_FILE"


def test_same_idempotency_key_and_body_give_the_same_dossier(
    server: ServerProcess,
    backends: dict[str, NewBackend],
    pieces: dict[str, Path],
    sessions: Any,
) -> None:
    with client(server, backends["alpha"]) as http:
        first = submit(http, [pieces["other"]], key="idem-1")
        again = submit(http, [pieces["other"]], key="idem-1")
        assert first.status_code == again.status_code == 202
        assert first.json()["id"] == again.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        other_body = submit(http, [pieces["certificate"]], key="idem-1")
        assert other_body.status_code == 409
        assert other_body.json()["code"] == "IDEMPOTENCY_CONFLICT"
        assert other_body.json()["message"]
        # Racing requests with one key still make one dossier.
        with ThreadPoolExecutor(6) as pool:
            raced = list(
                pool.map(lambda _: submit(http, [pieces["other"]], key="idem-race"), range(6))
            )
    assert {r.status_code for r in raced} == {202}
    assert len({r.json()["id"] for r in raced}) == 1
    with sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(db.ApiSubmission)
            .where(db.ApiSubmission.idempotency_key.in_(["idem-1", "idem-race"]))
        )
    assert count == 2


def test_tokens_and_ownership(
    server: ServerProcess, backends: dict[str, NewBackend], pieces: dict[str, Path]
) -> None:
    with client(server, None) as anonymous:
        missing = anonymous.get("/api/v1/procedures")
        assert missing.status_code == 401 and missing.json()["code"] == "UNAUTHENTICATED"
        wrong = anonymous.get("/api/v1/procedures", headers={"Authorization": "Bearer jtf_nope"})
        assert wrong.status_code == 401
    with client(server, backends["alpha"]) as alpha, client(server, backends["beta"]) as beta:
        dossier_id = submit(alpha, [pieces["other"]]).json()["id"]
        forbidden = beta.get(f"/api/v1/dossiers/{dossier_id}")
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "FORBIDDEN"
        assert (
            beta.post(
                f"/api/v1/dossiers/{dossier_id}/files", files=files_of(pieces["other"])
            ).status_code
            == 403
        )
        unknown = beta.get("/api/v1/dossiers/0123456789abcdef0123456789abcdef")
        assert unknown.status_code == 404 and unknown.json()["code"] == "DOSSIER_NOT_FOUND"
        # beta's list does not show alpha's dossiers
        assert dossier_id not in {d["id"] for d in beta.get("/api/v1/dossiers").json()["items"]}


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"procedure": "no-such-procedure"}, "UNKNOWN_PROCEDURE", "procedure"),
        ({"applicant": "{not json"}, "INVALID_APPLICANT", "applicant"),
        ({"applicant": json.dumps({"first_name": "X"})}, "INVALID_APPLICANT", "applicant"),
        ({"applicant": "[1, 2]"}, "INVALID_APPLICANT", "applicant"),
        ({"callback_url": "file:///etc/passwd"}, "INVALID_CALLBACK_URL", "callback_url"),
    ],
)
def test_bad_fields_are_422_with_the_field_at_fault(
    server: ServerProcess,
    backends: dict[str, NewBackend],
    pieces: dict[str, Path],
    fields: dict[str, str],
    code: str,
    field: str,
) -> None:
    with client(server, backends["beta"]) as http:
        response = submit(http, [pieces["other"]], **fields)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code and response.json()["field"] == field
    assert response.json()["message"]


def test_missing_parts_are_422(server: ServerProcess, backends: dict[str, NewBackend]) -> None:
    with client(server, backends["beta"]) as http:
        no_files = http.post("/api/v1/dossiers", data=form(), files=[("x", ("a", b"a"))])
        no_procedure = http.post(
            "/api/v1/dossiers", data={"applicant": "{}"}, files=[("files", ("a.pdf", b"%PDF"))]
        )
    assert no_files.status_code == 422 and no_files.json()["field"] == "files"
    assert no_procedure.status_code == 422 and no_procedure.json()["field"] == "procedure"
    assert "obligatoire" in no_procedure.json()["message"]


def test_limits_are_413(
    server: ServerProcess, backends: dict[str, NewBackend], pieces: dict[str, Path]
) -> None:
    with client(server, backends["beta"]) as http:
        many = submit(http, [pieces["other"]] * (MAX_FILES + 1))
        assert many.status_code == 413 and many.json()["code"] == "TOO_MANY_FILES"
        big = http.post(
            "/api/v1/dossiers",
            data=form(),
            files=[("files", ("big.pdf", b"%PDF" + b"0" * 1_100_000))],
        )
        assert big.status_code == 413 and big.json()["code"] == "FILE_TOO_LARGE"
        huge = http.post(
            "/api/v1/dossiers", data=form(), files=[("files", ("huge.pdf", b"0" * 3_100_000))]
        )
        assert huge.status_code == 413 and huge.json()["code"] == "PAYLOAD_TOO_LARGE"

        def chunks() -> Any:  # no Content-Length: the cap counts what arrives
            yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="a"\r\n\r\n'
            for _ in range(40):
                yield b"0" * 100_000

        streamed = http.post(
            "/api/v1/dossiers",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413 and streamed.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_rate_limit_is_429_with_retry_after(
    server: ServerProcess, backends: dict[str, NewBackend]
) -> None:
    with client(server, backends["throttled"]) as http:
        statuses = [http.get("/api/v1/procedures") for _ in range(80)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "80 requests at once never met the limit"
    assert limited[0].json()["code"] == "RATE_LIMITED"
    assert int(limited[0].headers["Retry-After"]) >= 1


def test_hostile_file_names_stay_data(
    server: ServerProcess, backends: dict[str, NewBackend], pieces: dict[str, Path]
) -> None:
    with client(server, backends["beta"]) as http:
        response = http.post(
            "/api/v1/dossiers",
            data=form(),
            files=files_of(
                pieces["other"],
                pieces["other"],
                names=["../../etc/passwd", "C:\\Windows\\a\x07b.pdf"],
            ),
        )
        assert response.status_code == 202, response.text
        body = wait_done(http, response.json()["id"])
    names = [piece["file"] for piece in body["report"]["pieces"]]
    assert names[0] == "passwd"
    assert names[1].endswith("b.pdf") and "Windows" not in names[1] and "\\" not in names[1]


def test_added_pieces_make_a_new_report_version(
    server: ServerProcess, backends: dict[str, NewBackend], pieces: dict[str, Path]
) -> None:
    with client(server, backends["beta"]) as http:
        dossier_id = submit(http, [pieces["other"]]).json()["id"]
        first = wait_done(http, dossier_id)
        added = http.post(
            f"/api/v1/dossiers/{dossier_id}/files", files=files_of(pieces["certificate"])
        )
        assert added.status_code == 202, added.text
        assert added.json()["version"] == 2
        busy = http.post(
            f"/api/v1/dossiers/{dossier_id}/files", files=files_of(pieces["certificate"])
        )
        assert busy.status_code == 409 and busy.json()["code"] == "DOSSIER_BUSY"
        second = wait_done(http, dossier_id, version=2)
        versions = [v["version"] for v in second["reports"]]
        assert versions == [1, 2]
        old = http.get(f"/api/v1/dossiers/{dossier_id}/reports/1").json()
    assert len(first["report"]["pieces"]) == 1
    assert old == first["report"]
    assert len(second["report"]["pieces"]) == 2


def test_list_filters_and_pages(
    server: ServerProcess, backends: dict[str, NewBackend], pieces: dict[str, Path]
) -> None:
    with client(server, backends["beta"]) as http:
        for _ in range(3):
            assert submit(http, [pieces["other"]], external_ref="LISTE-1").status_code == 202
        page = http.get("/api/v1/dossiers", params={"external_ref": "LISTE-1", "limit": 2})
        rest = http.get(
            "/api/v1/dossiers", params={"external_ref": "LISTE-1", "limit": 2, "offset": 2}
        )
        bad = http.get("/api/v1/dossiers", params={"status": "nope"})
    assert page.json()["total"] == 3 and len(page.json()["items"]) == 2
    assert len(rest.json()["items"]) == 1
    assert bad.status_code == 422 and bad.json()["field"] == "status"


def test_webhook_is_signed_and_delivered_once_per_version(
    server: ServerProcess,
    backends: dict[str, NewBackend],
    pieces: dict[str, Path],
    receiver: Receiver,
) -> None:
    with client(server, backends["alpha"]) as http:
        response = submit(
            http, [pieces["certificate"]], callback_url=receiver.url, external_ref="WEBHOOK-1"
        )
        dossier_id = response.json()["id"]
        body = wait_done(http, dossier_id)
    deadline = time.monotonic() + 30
    while not receiver.accepted() and time.monotonic() < deadline:
        time.sleep(0.2)
    (delivery,) = [d for d in receiver.accepted() if d.body["dossier_id"] == dossier_id]
    assert delivery.signature_ok
    assert delivery.body["external_ref"] == "WEBHOOK-1" and delivery.body["version"] == 1
    assert delivery.body["report"] == body["report"]
    assert delivery.body["event_id"] == delivery.event_id


def test_no_applicant_name_in_the_server_log(server: ServerProcess) -> None:
    log = server.log.read_text(encoding="utf-8", errors="replace")
    for value in (APPLICANT["last_name"], APPLICANT["first_name"], "Victor-Hugo"):
        assert value not in log
