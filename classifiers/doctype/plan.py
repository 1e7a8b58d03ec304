"""What a training or evaluation set holds: templates held out, types, sizes and seeds.

Plain data, cheap to import: the command line shows these defaults in its help,
so the document types (pydantic models beside them) load only when a plan is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.fields import DocType

# One template per type never used for fitting: evaluation measures how the
# model copes with a layout and wording it has not seen.
HOLDOUT_TEMPLATES: tuple[str, ...] = (
    "bank_details.rib_online",
    "company_extract.kbis_infogreffe",
    "id_photo.studio",
    "identity_card.cni_old",
    "other.minutes",
    "passport.copy_a4",
    "payslip.simplified",
    "proof_of_address.water",
    "residence_permit.recepisse_a4",
    "resume.sidebar",
    "school_certificate.ifsi",
    "tax_notice.situation_declarative",
    "urssaf_certificate.msa_style",
)


@dataclass(frozen=True)
class SetSpec:
    """Which generated documents a sample set holds and how each is read.

    `include`/`exclude` select templates (glob patterns); the first
    `ocr_count` documents (of `ocr_types` only, when given) are real scans or
    photos read by OCR; a `simulate_share` of the others also get a simulated
    scan reading, kept beside the clean one with `keep_clean` (training
    augmentation) or replacing it without (an evaluation mix).
    """

    count: int
    seed: int
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    ocr_count: int = 0
    ocr_types: frozenset[DocType] | None = None
    simulate_share: float = 0.5
    keep_clean: bool = True


def evaluation_spec(count: int, seed: int, ocr_count: int) -> SetSpec:
    """Documents of the held-out templates only, each read once as a citizen would send it."""
    return SetSpec(
        count=count, seed=seed, include=HOLDOUT_TEMPLATES, ocr_count=ocr_count, keep_clean=False
    )


@dataclass(frozen=True)
class TrainingPlan:
    """What `justif train doctype` generates and fits; defaults fit in 3 minutes on 2 cores."""

    count: int = 520  # training documents (40 per type)
    seed: int = 1
    validation_count: int = 390  # held-out templates, for the threshold and promotion
    validation_seed: int = 2
    ocr_count: int = 6  # training documents really scanned or photographed and OCRed
    validation_ocr_count: int = 6  # the same in validation, where the threshold is chosen
    # Real OCR is costly: spend it where the OCR-noise model is least faithful,
    # on photos of cards (tesseract often returns debris of them). Id photos are
    # raster images, measured for real in every set anyway.
    ocr_types: frozenset[DocType] = field(default_factory=lambda: _photographed_cards())
    holdout: tuple[str, ...] = HOLDOUT_TEMPLATES
    workers: int = 2
    random_state: int = 0

    def training_spec(self) -> SetSpec:
        """Every template but the held-out ones, with simulated scans beside the clean readings."""
        return SetSpec(
            count=self.count,
            seed=self.seed,
            exclude=self.holdout,
            ocr_count=self.ocr_count,
            ocr_types=self.ocr_types,
        )

    def validation_spec(self) -> SetSpec:
        """The held-out templates, every born-digital document read twice: as its text
        layer and as a simulated scan. The threshold is the extreme of the validation
        errors; twice the readings for the same generation cost make it less a
        matter of one or two documents."""
        return SetSpec(
            count=self.validation_count,
            seed=self.validation_seed,
            include=self.holdout,
            ocr_count=self.validation_ocr_count,
            ocr_types=self.ocr_types,
            simulate_share=1.0,
            keep_clean=True,
        )


def _photographed_cards() -> frozenset[DocType]:
    """The card types but id photos (the default `ocr_types`)."""
    from classifiers.doctype.noise import CARD_TYPES
    from pipeline.fields import DocType

    return CARD_TYPES - {DocType.ID_PHOTO}
