"""Procedure files: the shipped ones load, bad ones are refused naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError, ProcedureError
from pipeline.fields import DocType
from pipeline.rules.applicants import ApplicantKind, InvalidApplicant, parse_applicant
from pipeline.rules.procedures import (
    DEFAULT_PROCEDURES_DIR,
    get_procedure,
    load_procedure_file,
    load_procedures,
)
from tests.support.fieldkit import SIRET

GOOD = """\
code: essai
title: Démarche d'essai
applicant: person
retention_days: 30
requirements:
  - id: identite
    label: Pièce d'identité
    accept: [identity_card, passport]
    rules: [not_expired, name_matches_applicant]
  - id: domicile
    label: Justificatif de domicile
    accept: [proof_of_address]
    rules:
      - {max_age_days: 90}
      - name_matches_applicant
"""


def write(tmp_path: Path, text: str, name: str = "essai.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_procedures_load() -> None:
    procedures = load_procedures()
    assert set(procedures) == {"bourse-sanitaire-sociale", "transport-scolaire", "aide-entreprise"}
    bourse = procedures["bourse-sanitaire-sociale"]
    assert bourse.applicant is ApplicantKind.PERSON
    assert [r.id for r in bourse.requirements] == [
        "identite",
        "domicile",
        "revenus",
        "rib",
        "scolarite",
    ]
    domicile = bourse.requirement("domicile")
    assert [(r.name, r.param) for r in domicile.rules] == [
        ("max_age_days", 90),
        ("name_matches_applicant", None),
    ]
    company = procedures["aide-entreprise"]
    assert company.applicant is ApplicantKind.COMPANY
    assert company.requirement("urssaf").rules[0].param == 180
    transport = procedures["transport-scolaire"]
    assert transport.requirement("photo").accept == [DocType.ID_PHOTO]
    assert DEFAULT_PROCEDURES_DIR.name == "procedures"


def test_get_procedure_and_unknown_code() -> None:
    assert get_procedure("transport-scolaire").title == "Carte de transport scolaire"
    with pytest.raises(ProcedureError, match="inconnue"):
        get_procedure("permis-de-chasse")


def test_good_file_loads(tmp_path: Path) -> None:
    procedure = load_procedure_file(write(tmp_path, GOOD))
    assert procedure.auto_incomplete is True
    assert procedure.requirements[1].rules[0].param == 90


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("rules: [not_expired, name_matches_applicant]", "rules: [not_expird]", 9, "unknown rule"),
        ("accept: [identity_card, passport]", "accept: [identity_card, pasport]", 8, "pasport"),
        ("- {max_age_days: 90}", '- {max_age_days: "90"}', 14, "max_age_days"),
        ("- {max_age_days: 90}", "- {max_age_days: -3}", 14, "max_age_days"),
        ("- {max_age_days: 90}", "- {max_age_days: 90, income_year: previous}", 14, "one key"),
        (
            "rules: [not_expired, name_matches_applicant]",
            "rules: [{not_expired: 3}]",
            9,
            "no parameter",
        ),
        ("  - id: domicile", "  - id: identite", 10, "duplicate requirement id"),
        ("applicant: person", "applicant: robot", 3, "applicant"),
        ("    label: Justificatif de domicile\n", "", 10, "label"),
        ("retention_days: 30", "retention_days: 30\nretention_days: 60", 5, "duplicate key"),
        ("title: Démarche d'essai", "title: [oops", 3, "invalid YAML"),
        (
            "accept: [proof_of_address]",
            "accept: [proof_of_address]\n    colour: blue",
            13,
            "colour",
        ),
    ],
)
def test_bad_file_names_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1), name="ma-demarche.yaml")
    with pytest.raises(ProcedureError) as caught:
        load_procedure_file(path)
    message = str(caught.value)
    assert "ma-demarche.yaml" in message
    assert f"ligne {line}" in message, message
    assert words in message
    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.code == "PROCEDURE_ERROR"


def test_company_rule_in_a_person_procedure_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("rules: [not_expired, ", "rules: [siren_matches, ", 1))
    with pytest.raises(ProcedureError, match=r"ligne 9.*siren_matches"):
        load_procedure_file(path)


def test_empty_file_and_duplicate_codes(tmp_path: Path) -> None:
    with pytest.raises(ProcedureError, match=r"vide\.yaml"):
        load_procedure_file(write(tmp_path, "", name="vide.yaml"))
    folder = tmp_path / "many"
    folder.mkdir()
    write(folder, GOOD, name="a.yaml")
    write(folder, GOOD, name="b.yaml")
    with pytest.raises(ProcedureError, match=r"b\.yaml.*already in a\.yaml"):
        load_procedures(folder)
    with pytest.raises(ProcedureError):
        load_procedures(tmp_path / "absent")


def test_applicant_json_is_validated() -> None:
    person = parse_applicant(
        ApplicantKind.PERSON,
        {
            "first_name": "Anne",
            "last_name": "Martin",
            "birth_date": "2001-05-14",
            "address": {"line": "1 rue Haute", "postcode": "75001", "city": "Paris"},
        },
    )
    assert person.birth_name is None
    company = parse_applicant(
        ApplicantKind.COMPANY,
        {
            "company_name": "Alpha",
            "siret": "732 829 320 00074",
            "representative": {"first_name": "Luc", "last_name": "Moreau"},
        },
    )
    assert company.siret == SIRET and company.siren == "732829320"
    with pytest.raises(InvalidApplicant, match="siret"):
        parse_applicant(
            ApplicantKind.COMPANY,
            {
                "company_name": "Alpha",
                "siret": "73282932000075",
                "representative": {"first_name": "Luc", "last_name": "Moreau"},
            },
        )
    with pytest.raises(InvalidApplicant, match="birth_date"):
        parse_applicant(ApplicantKind.PERSON, {"first_name": "Anne", "last_name": "Martin"})
