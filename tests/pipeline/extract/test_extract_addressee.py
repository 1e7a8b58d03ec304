"""Proof-of-address holder: the tenant, subscriber or hosted person, never the issuer side."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract import extract_fields
from pipeline.extract.addressee import Role, people_with_roles
from pipeline.extract.text import DocText
from pipeline.fields import DocType, FieldName
from pipeline.types import Box, PageReading, PieceReading, Quality, TextSource, Word

AS_OF = date(2026, 11, 26)
COLUMN = "  ||  "  # marks where a text layer merged two columns of one printed row


def page(text: str) -> PageReading:
    """A born-digital page of `text`; a COLUMN mark puts the rest of the row at mid-page,
    as a text layer gives two columns printed side by side on one line."""
    words, lines = [], []
    for row, line in enumerate(text.strip().splitlines()):
        for part_no, part in enumerate(line.split(COLUMN)):
            x = 0.1 + 0.45 * part_no
            for token in part.split():
                box = Box(x0=x, y0=row * 0.02, x1=x + 0.01 * len(token), y1=row * 0.02 + 0.012)
                words.append(Word(text=token, box=box, confidence=1.0))
                x += 0.01 * len(token) + 0.006
        lines.append(line.replace(COLUMN, " "))
    return PageReading(
        n=1,
        text_source=TextSource.TEXT_LAYER,
        text="\n".join(lines),
        words=words,
        confidence=1.0,
        quality=Quality(blur=100.0, dpi=300.0, contrast=0.8, blank=False),
        width_px=2480,
        height_px=3508,
    )


def holder(text: str) -> str | None:
    reading = PieceReading(sha256="0" * 64, pages=[page(text)])
    found = extract_fields(reading, DocType.PROOF_OF_ADDRESS, as_of=AS_OF, trust=None)
    field = found.fields.get(FieldName.HOLDER_NAME)
    return field.value if field else None


PRIVATE_LANDLORD = """
QUITTANCE DE LOYER
Période du 01/10/2026 au 31/10/2026
Bailleur :
Mme Josiane Barbier
71 rue des Lilas
Locataire :
Mme Jacqueline GÉRARD
74, chemin de Bazin
25000 Besançon
Je soussigné(e) Mme Josiane Barbier, propriétaire du logement désigné ci-dessus, déclare avoir reçu
de Mme Jacqueline GÉRARD la somme de 499,98 € au titre du loyer et des charges.
Fait à Besançon, le 04/10/2026
"""

MERGED_COLUMNS = """
QUITTANCE DE LOYER
Bailleur :  ||  Locataire :
M. Gérard LEMOINE  ||  Mme Jacqueline GÉRARD
12 rue des Lilas  ||  74, chemin de Bazin
25000 Besançon  ||  25000 Besançon
Fait à Besançon, le 04/10/2026
"""

AGENCY = """
Agence Saint-Michel – Administrateur de biens
Gestionnaire : M. Luc PETIT
Avis d'échéance et quittance du 05/10/2026
MME ZOÉ BRUN
12 RUE DES ÉCOLES
75011 PARIS
L'agence Saint-Michel, mandataire de M. Paul LEROY, propriétaire, reconnaît avoir reçu
de Mme Zoé BRUN la somme de 712,00 € pour le loyer d'octobre 2026.
"""

AGENCY_LETTERHEAD = """
Avis d'échéance et quittance — 2026-10-19
| Agence Saint-Michel
M. Jérôme MARQUES
81, rue Lacroix
57000 Metz
Quittance de loyer
Loyer principal 803,66 €
"""

ENERGY_BILL = """
Votre conseillère : Mme Claire MOREAU
Service client 09 69 32 15 15
Facture du 12/10/2026
M. Karim BEN SAÏD
3 allée des Pins
69003 Lyon
Électricité – offre Tarif Bleu
"""

HOSTING_SENTENCE = """
ATTESTATION D'HÉBERGEMENT
Je soussigné M. Paul DURAND, né le 03/04/1961 à Albi,
demeurant 5 rue Pargaminières, 31000 Toulouse,
atteste sur l'honneur héberger à mon domicile Mme Julie MARTIN, née le 12/07/1994,
depuis le 01/01/2025.
Fait à Toulouse, le 02/10/2026
"""

HOSTING_FORM = """
Attestation d'hébergement
Hébergeant :
M. Paul DURAND
5 rue Pargaminières
31000 Toulouse
Personne hébergée :
Mme Julie MARTIN
Fait à Toulouse, le 02/10/2026
"""

SIGNED_BY_LANDLORD = """
Quittance de loyer du 04/10/2026
Mme Nadia HAMIDI
8 impasse du Moulin
44000 Nantes
Reçu la somme de 520,00 € pour le loyer d'octobre 2026.
Le bailleur
M. Gérard LEMOINE
"""

INSURANCE = """
Mutuelle Assurance Habitat
Représentée par M. Alain ROCHE, directeur
Mutuelle Assurance Habitat atteste que Mme Inès FAURE est titulaire d'un contrat
d'assurance multirisque habitation garantissant les risques locatifs pour le
logement situé au 47, boulevard Stéphane Roger, 64100 Bayonne.
Fait à Niort, le 01/10/2026
"""

LANDLORD_LETTERHEAD = """
M. Gérard LEMOINE
12 rue des Lilas
25000 Besançon
Quittance de loyer du 04/10/2026
Locataire : Mme Nadia HAMIDI
Reçu la somme de 520,00 € pour le loyer d'octobre 2026.
"""

OWNER_OCCUPIER = """
AVIS DE TAXE FONCIÈRE 2026
Propriétaire(s) :
M. Olivier MERCIER
9 rue du Four
21000 Dijon
Date d'établissement : 31/08/2026
"""

LANDLORD_ONLY = """
QUITTANCE DE LOYER
Bailleur :
Mme Josiane Barbier
71 rue des Lilas
25000 Besançon
Reçu la somme de 499,98 € pour le loyer d'octobre 2026.
Fait à Besançon, le 04/10/2026
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PRIVATE_LANDLORD, "Mme Jacqueline GÉRARD"),
        (MERGED_COLUMNS, "Mme Jacqueline GÉRARD"),
        (AGENCY, "Mme Zoé BRUN"),
        (AGENCY_LETTERHEAD, "M. Jérôme MARQUES"),
        (ENERGY_BILL, "M. Karim BEN SAÏD"),
        (HOSTING_SENTENCE, "Mme Julie MARTIN"),
        (HOSTING_FORM, "Mme Julie MARTIN"),
        (SIGNED_BY_LANDLORD, "Mme Nadia HAMIDI"),
        (INSURANCE, "Mme Inès FAURE"),
        (LANDLORD_LETTERHEAD, "Mme Nadia HAMIDI"),
        (OWNER_OCCUPIER, "M. Olivier MERCIER"),
        ("Titulaire du contrat : Mme Sophie LAMBERT\nFacture du 03/10/2026", "Mme Sophie LAMBERT"),
    ],
    ids=[
        "private-landlord",
        "merged-columns",
        "agency",
        "agency-letterhead",
        "energy-adviser",
        "hosting-sentence",
        "hosting-form",
        "landlord-signature",
        "insurer-representative",
        "landlord-letterhead",
        "owner-occupier",
        "labelled-subscriber",
    ],
)
def test_holder_is_the_addressee(text: str, expected: str) -> None:
    assert holder(text) == expected


def test_tenant_address_comes_with_the_tenant() -> None:
    reading = PieceReading(sha256="0" * 64, pages=[page(PRIVATE_LANDLORD)])
    found = extract_fields(reading, DocType.PROOF_OF_ADDRESS, as_of=AS_OF, trust=None)
    values = {name: f.value for name, f in found.fields.items()}
    assert values[FieldName.LAST_NAME] == "GÉRARD"
    assert values[FieldName.POSTCODE] == "25000"
    assert values[FieldName.ADDRESS_LINE] == "74, chemin de Bazin"


def test_address_ending_a_sentence() -> None:
    # An insurer's attestation prints the address inside a sentence, ended by its period.
    reading = PieceReading(sha256="0" * 64, pages=[page(INSURANCE)])
    found = extract_fields(reading, DocType.PROOF_OF_ADDRESS, as_of=AS_OF, trust=None)
    values = {name: f.value for name, f in found.fields.items()}
    assert (values[FieldName.POSTCODE], values[FieldName.CITY]) == ("64100", "Bayonne")


def test_a_landlord_alone_is_no_holder() -> None:
    # Better no holder (a doubt the case officer resolves) than the landlord's name.
    assert holder(LANDLORD_ONLY) is None


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (PRIVATE_LANDLORD, [Role.ISSUER, Role.HOLDER, Role.ISSUER, Role.HOLDER]),
        (MERGED_COLUMNS, [Role.ISSUER, Role.HOLDER]),
        (HOSTING_SENTENCE, [Role.ISSUER, Role.HOLDER]),
        (HOSTING_FORM, [Role.ISSUER, Role.HOLDER]),
        (AGENCY, [Role.ISSUER, Role.UNKNOWN, Role.ISSUER, Role.HOLDER]),
    ],
    ids=["private-landlord", "merged-columns", "hosting-sentence", "hosting-form", "agency"],
)
def test_sides_of_each_person(text: str, roles: list[Role]) -> None:
    found = people_with_roles(DocText([page(text)]))
    assert [p.role for p in found] == roles
