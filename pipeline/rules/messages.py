# ruff: noqa: E501  (a wording table: one message per line reads best)
"""The one table of check codes and their French wording.

Every check the rules and the decision emit takes its citizen message and its
case-officer message from here, so the same problem is always worded the same
way. Placeholders are filled with `str.format_map`; a missing placeholder is a
bug and raises `KeyError`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from pipeline.rules.names import NameReason


class CheckCode(StrEnum):
    # piece rules (procedure YAML)
    EXPIRED = "EXPIRED"
    TOO_OLD = "TOO_OLD"
    DATE_MISSING = "DATE_MISSING"
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    WRONG_YEAR = "WRONG_YEAR"
    NAME_MISMATCH = "NAME_MISMATCH"
    HOLDER_MISMATCH = "HOLDER_MISMATCH"
    IBAN_INVALID = "IBAN_INVALID"
    SIREN_MISMATCH = "SIREN_MISMATCH"
    SIRET_INVALID = "SIRET_INVALID"
    PHOTO_INVALID = "PHOTO_INVALID"
    FIELD_MISSING = "FIELD_MISSING"
    # pipeline checks (authenticity, legibility, classification)
    MRZ_INVALID = "MRZ_INVALID"
    TWODDOC_INVALID = "TWODDOC_INVALID"
    TWODDOC_MISMATCH = "TWODDOC_MISMATCH"
    LEGIBILITY_LOW = "LEGIBILITY_LOW"
    TYPE_UNCERTAIN = "TYPE_UNCERTAIN"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    OTHER_SIDE_VERIFIED = "OTHER_SIDE_VERIFIED"
    # dossier checks
    MISSING_PIECE = "MISSING_PIECE"
    DUPLICATE_FILE = "DUPLICATE_FILE"


class Wording(NamedTuple):
    ok: str  # shown to both audiences when the check passes
    citizen: str  # what is wrong and what to send
    officer: str  # what was read and why it was flagged


MESSAGES: dict[CheckCode, Wording] = {
    CheckCode.EXPIRED: Wording(
        ok="Le document est en cours de validité.",
        citizen="Le document a expiré le {expiry}. Envoyez un document en cours de validité.",
        officer="Date d'expiration lue : {expiry} ; date de référence : {as_of}.",
    ),
    CheckCode.TOO_OLD: Wording(
        ok="Le document date de moins de {max_age_days} jours.",
        citizen=(
            "Le document est daté du {document_date} : il a plus de {max_age_days} jours. "
            "Envoyez un document de moins de {max_age_days} jours."
        ),
        officer="Date du document lue : {document_date} ({age_days} jours, maximum {max_age_days}).",
    ),
    CheckCode.DATE_MISSING: Wording(
        ok="La date du document a été lue.",
        citizen="La date du document n'a pas pu être lue. Envoyez un document dont la date est lisible.",
        officer="Aucune date lue sur le document (champ {field}) : vérifiez la date à l'œil.",
    ),
    CheckCode.DATE_IN_FUTURE: Wording(
        ok="La date du document n'est pas dans le futur.",
        citizen="La date du document ({document_date}) est postérieure à la date de dépôt.",
        officer="Date lue dans le futur : {document_date} (date de référence {as_of}) : erreur de lecture ou document suspect.",
    ),
    CheckCode.WRONG_YEAR: Wording(
        ok="Le document porte sur la bonne année.",
        citizen="Le document porte sur l'année {found}. Envoyez celui de l'année {expected}.",
        officer="Année lue : {found} ; année attendue : {expected}.",
    ),
    CheckCode.NAME_MISMATCH: Wording(
        ok="Le nom sur le document correspond au demandeur.",
        citizen=(
            "Le nom figurant sur le document ne correspond pas à celui du demandeur. "
            "Envoyez un document établi au nom du demandeur."
        ),
        officer="Nom lu : « {found} » ; nom attendu : « {expected} » (score {score}).",
    ),
    CheckCode.HOLDER_MISMATCH: Wording(
        ok="Le titulaire du compte correspond au demandeur.",
        citizen=(
            "Le titulaire du compte bancaire ne correspond pas au demandeur. "
            "Envoyez un RIB d'un compte au nom du demandeur."
        ),
        officer="Titulaire lu : « {found} » ; titulaire attendu : « {expected} » (score {score}).",
    ),
    CheckCode.IBAN_INVALID: Wording(
        ok="L'IBAN est valide.",
        citizen="L'IBAN du RIB n'est pas valide. Envoyez un RIB lisible et complet.",
        officer="IBAN lu : {iban} ; clé de contrôle ou format invalide.",
    ),
    CheckCode.SIREN_MISMATCH: Wording(
        ok="Le numéro SIREN correspond à l'entreprise demandeuse.",
        citizen=(
            "Le numéro SIREN du document ne correspond pas à celui de l'entreprise. "
            "Envoyez le document de l'entreprise qui fait la demande."
        ),
        officer="SIREN lu : {found} ; SIREN attendu (d'après le SIRET déclaré) : {expected}.",
    ),
    CheckCode.SIRET_INVALID: Wording(
        ok="Le numéro SIRET est valide.",
        citizen=(
            "Le numéro SIRET du document n'est pas valide. "
            "Envoyez le document original, complet et lisible."
        ),
        officer="SIRET lu : {siret} ; clé de contrôle (Luhn) incorrecte : faute de frappe ou document modifié.",
    ),
    CheckCode.PHOTO_INVALID: Wording(
        ok="La photo montre un seul visage sur un fond uni.",
        citizen=(
            "La photo d'identité ne convient pas : elle doit montrer un seul visage, "
            "de face, sur un fond uni et clair. Envoyez une photo d'identité conforme."
        ),
        officer="Visages détectés : {face_count} ; uniformité du fond : {background_uniformity} (minimum {min_uniformity}).",
    ),
    CheckCode.FIELD_MISSING: Wording(
        ok="L'information nécessaire a été lue.",
        citizen="Une information nécessaire ({field_label}) n'a pas pu être lue sur le document.",
        officer="Champ « {field} » non trouvé ou illisible : vérifiez-le à l'œil.",
    ),
    CheckCode.MRZ_INVALID: Wording(
        ok="Les clés de contrôle de la bande MRZ sont correctes.",
        citizen="La bande de lecture automatique du document d'identité est illisible ou incohérente. Envoyez une copie nette et complète du document.",
        officer="Bande MRZ : clé de contrôle incorrecte ({detail}).",
    ),
    CheckCode.TWODDOC_INVALID: Wording(
        ok="La signature du code 2D-Doc est valide.",
        citizen="Le code 2D-Doc du document n'est pas valide. Envoyez le document original, sans modification.",
        officer="Code 2D-Doc : signature ou format invalide ({detail}).",
    ),
    CheckCode.TWODDOC_MISMATCH: Wording(
        ok="Le contenu du code 2D-Doc correspond au texte du document.",
        citizen="Les informations du document ne correspondent pas à son code 2D-Doc. Envoyez le document original, sans modification.",
        officer="Champ {field} : « {found} » dans le texte, « {expected} » dans le 2D-Doc.",
    ),
    CheckCode.LEGIBILITY_LOW: Wording(
        ok="Le document est lisible.",
        citizen="Le document est peu lisible (page {page}). Envoyez une copie nette, bien éclairée et complète.",
        officer="Page {page} peu lisible : {detail}.",
    ),
    CheckCode.TYPE_UNCERTAIN: Wording(
        ok="Le type de document a été reconnu.",
        citizen="Le type du document n'a pas pu être reconnu avec certitude.",
        officer="Type incertain : « {doc_type_label} » avec une probabilité de {confidence} (seuil {threshold}).",
    ),
    CheckCode.TYPE_MISMATCH: Wording(
        ok="Le type de document est attendu par la démarche.",
        citizen="Le document « {file} » ({doc_type_label}) n'est pas demandé pour cette démarche.",
        officer="Document de type « {doc_type_label} » non attendu par la démarche {procedure}.",
    ),
    CheckCode.OTHER_SIDE_VERIFIED: Wording(
        ok="Face {why} : le titulaire est établi par la bande MRZ vérifiée de l'autre face, « {companion} ».",
        citizen="Cette face du titre est {why} et son autre face ne suffit pas à établir le titulaire.",
        officer="Face {why} dont l'autre face, « {companion} », n'a pas de bande MRZ vérifiée.",
    ),
    CheckCode.MISSING_PIECE: Wording(
        ok="La pièce « {label} » est présente.",
        citizen="Pièce manquante : « {label} ». Envoyez ce document ({accepted}).",
        officer="Aucun fichier reconnu pour « {label} » ({count} fichier(s) reçu(s), {min_files} attendu(s)).",
    ),
    CheckCode.DUPLICATE_FILE: Wording(
        ok="Le fichier n'est pas un doublon.",
        citizen="Le fichier « {file} » est identique au fichier « {original} » : il n'a été pris en compte qu'une fois.",
        officer="Doublon exact (même empreinte SHA-256) de « {original} ».",
    ),
}

# Why a name comparison is a doubt, for the case officer (after the names read and expected).
NAME_DOUBTS_FR: dict[NameReason, str] = {
    NameReason.SURNAME_ONE_LETTER_OFF: "Le nom diffère d'une lettre : faute de frappe ou autre personne, à vérifier.",
    NameReason.NO_GIVEN_NAME: "Aucun prénom lu : le nom seul ne suffit pas à identifier la personne, à vérifier.",
    NameReason.GIVEN_NAME_INITIAL: "Le prénom n'est lu qu'en initiale : à vérifier.",
    NameReason.GIVEN_NAME_ONE_LETTER_OFF: "Le prénom diffère d'une lettre : à vérifier.",
    NameReason.COMPANY_NAMES_CLOSE: "Raisons sociales proches mais différentes : à vérifier.",
    NameReason.NO_COMPANY_NAME: "Aucune raison sociale lue : à vérifier.",
    NameReason.MAYBE_USAGE_NAME: "Même prénom, autre nom : peut-être un nom de naissance ou d'usage non déclaré, à vérifier.",
    NameReason.OTHER_PERSON_NAMED: "Le demandeur est nommé ailleurs sur le document : le nom lu peut être celui d'une autre personne citée, à vérifier.",
    NameReason.MISREAD_TAIL: "Le prénom lu commence par le prénom attendu, suivi de caractères parasites : à vérifier.",
}
DOUBT_SUFFIX_FR = " Lecture peu sûre (confiance {confidence}) : à vérifier."
DEFAULT_DOUBT_FR = " À vérifier par un agent."
# A refusing date read by OCR while another date on the page would pass.
OTHER_DATE_FR = (
    "Une autre date lue sur la page ({other}) serait recevable : "
    "la date retenue est peut-être mal lue."
)


def format_percent_fr(ratio: float) -> str:
    """0.834 -> '83 %' (French typography: a space before the percent sign)."""
    return f"{round(ratio * 100)}\u00a0%"
