"""Photo rule: an identity photo shows one face on a plain background."""

from __future__ import annotations

from typing import Any

from pipeline.rules.applicants import Applicant
from pipeline.rules.checks import Check, CheckStatus, doubt, make_check, ok
from pipeline.rules.context import Fields, RuleContext, field_missing
from pipeline.rules.messages import CheckCode, format_percent_fr

PHOTO_MIN_BACKGROUND_UNIFORMITY = 0.80


def one_face_plain_background(
    fields: Fields, applicant: Applicant, ctx: RuleContext, param: None
) -> list[Check]:
    """Exactly one face on a plain background, from the caller's measurement of the image."""
    photo = ctx.photo
    if photo is None:
        return [field_missing("photo")]
    params: dict[str, Any] = {
        "face_count": photo.face_count,
        "background_uniformity": format_percent_fr(photo.background_uniformity),
        "min_uniformity": format_percent_fr(PHOTO_MIN_BACKGROUND_UNIFORMITY),
    }
    if photo.face_count == 1 and photo.background_uniformity >= PHOTO_MIN_BACKGROUND_UNIFORMITY:
        return [ok(CheckCode.PHOTO_INVALID, **params)]
    if photo.face_count == 0 and photo.background_uniformity >= PHOTO_MIN_BACKGROUND_UNIFORMITY:
        # face detectors miss real faces (tilt, glasses, light): a human looks
        return [doubt(CheckCode.PHOTO_INVALID, **params)]
    return [make_check(CheckCode.PHOTO_INVALID, CheckStatus.KO, **params)]
