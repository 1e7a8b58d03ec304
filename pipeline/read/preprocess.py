"""OpenCV preparation of a page image for tesseract.

Each step is `verb_noun(image) -> image` and returns a new array, so every
intermediate can be saved and looked at. `prepare_for_ocr` runs them in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.read.outline import cut_out, find_outlines

# Tesseract's LSTM works best with a text x-height of roughly 20-30 px, which
# body text reaches at about 300 dpi. Phone photos (~150-200 dpi effective) are
# upscaled; 400+ dpi scans are downscaled, which also makes OCR faster.
TARGET_DPI = 300.0
KEEP_DPI_RANGE = (260.0, 400.0)
MAX_UPSCALE = 2.5
# Text-size-driven scaling: the median height of letter-like ink blobs (a mix of
# x-height and capitals) that body text has at 300 dpi, where tesseract reads
# best. Pages whose text already measures within KEEP_TEXT_PX are left as they
# are (most scans); card photos with 6-10 px letters are enlarged.
TARGET_TEXT_PX = 26.0
KEEP_TEXT_PX = (20.0, 36.0)
MAX_TEXT_UPSCALE = 3.5
MIN_TEXT_DOWNSCALE = 0.5
# An upscaled page stays within tesseract's comfort: a 47-megapixel page took
# it over 40 s, the reading's time limit for a first read (pipeline.read.reading).
MAX_SCALED_PIXELS = 32_000_000
# A page that its letters would enlarge beyond this is first cut down to the
# part holding text: a card scanned alone on an A4 sheet at 200 dpi (7 px
# letters: 3.5x) made a 47-megapixel page of mostly blank, grainy paper.
CROP_ABOVE_SCALED_PIXELS = 16_000_000
# Crop only when the text fills at most this share of the page: otherwise the
# blank is not what costs.
CROP_MAX_TEXT_SHARE = 0.6
# Small print beside larger text (an old identity card photocopied on A4: 12-17 px
# fields under a 25-30 px MRZ) is lost when the median sets the scale: tesseract
# left such fields out of its reading, and reads them enlarged 1.6-2x. The page
# is enlarged for them when they are a substantial share of the letters
# (SMALL_TEXT_MIN_SHARE or more), a size class of their own (at most
# SMALL_TEXT_RATIO of the larger letters: a font's x-height is ~0.7 of its
# capitals and ascenders, so plain body text never qualifies), and under
# SMALL_TEXT_MIN_PX on a page the median keeps at its size. They are then brought
# to SMALL_TEXT_TARGET_PX. Ordinary A4 scans at 200 and 300 dpi keep their scale.
SMALL_TEXT_MIN_SHARE = 0.15  # of the letters
SMALL_TEXT_RATIO = 0.62
SMALL_TEXT_MIN_PX = 16.0
SMALL_TEXT_TARGET_PX = 22.0
# Enlarging costs OCR time as the square of the scale: small print alone never
# makes a page grow more than this (3x the pixels). Under 1.8 too, where
# `prepare_for_ocr` starts treating a page as an enlarged photo (5x5 median,
# only tall banners): card photos pushed to 2x by their small print lost their
# MRZ (2 of 43 generated ID photos and scans).
MAX_SMALL_TEXT_UPSCALE = 1.75
SPECK_RATIO = 0.3  # blobs under this share of the median are dots and commas, not letters
# Paper is at least this share of the page's brightest tone; a table or carpet
# under a photographed document is darker. Not higher: a tinted card photographed
# beside a white wall is itself darker than 3/4 of the wall.
LIGHT_SHARE = 0.6
# A dark area covering this share of a photo is what the document lies on,
# even where it does not reach the photo's edge.
SURROUNDINGS_SHARE = 0.15
MIN_LETTER_BLOBS = 30  # fewer letter-like blobs than this: no estimate, trust the dpi
FUSED_WORD_WIDTH = 12.0  # a blurred word run together is at most this many times as wide as high
MIN_WORD_BLOBS = 12  # ... and with words counted, fewer blobs than this: no estimate
MAX_SKEW_DEG = 8.0
DARK_REGION_FILL = 0.6  # share of its bounding box a white-on-black area fills with black
# Banners are looked for on the page evened out with a window this share of its
# short side: twice a card's title banner (about 15 % of the card's height).
PAGE_LIGHT_WINDOW = 0.4
SOLID_DARK_SHARE = 0.5  # share of a white-on-black area that is solidly dark (see dark_region_mask)
BANNER_DARKNESS = 0.55  # a banner's ground is at most this share of the paper's brightness
BANNER_RIM_MM = 0.5  # width of a banner's edge whitened rather than inverted
_SKEW_WIDTH_PX = 900  # skew is estimated on a copy this wide
# A page enlarged this much has small letters (8-10 px capitals: a card photographed
# at 200 dpi) whose optical blur and sensor grain span a large share of a stroke.
# Enlarging copies both, and tesseract then misreads blurred bold capitals (G as H,
# 1 as 2). Such a page is denoised and deblurred at its own size first (see
# `sharpen_small_print`); pages enlarged less (scans, 200-dpi pages) are left as they are.
SHARPEN_MIN_SCALE = 1.8
# Sharpening costs 0.35-0.55 s per million pixels on one core (5.4 s on a 9.5-Mpx
# photo): a larger page with small letters (a whole 12-megapixel photo whose
# document outline was not found) is enlarged as it is, not sharpened for seconds.
SHARPEN_MAX_PIXELS = 3_000_000
# Grain is averaged out over patches of similar texture (non-local means) with a
# strength of this many times the page's measured noise level: it keeps letter
# edges that a median or Gaussian of the grain's size would round off.
DENOISE_STRENGTH = 1.0
DENOISE_SEARCH_PX = 11  # search window: OpenCV's 21 costs 2.5x more (0.19 vs 0.08 s on a card)
# Optical blur is undone by Richardson-Lucy deconvolution for a Gaussian spread
# measured on the page itself (`edge_spread`), a few iterations only: a stronger
# or longer one rings around the letters. The measure gives ~1.0 px on a sharp
# page (its own floor: a step edge seen through a 3x3 gradient after denoising),
# 1.3 under a 1-px Gaussian blur, 1.55 under a 1.4-px one; the blur beyond that
# floor (in quadrature) is undone, times DEBLUR_GAIN, when it reaches
# MIN_DEBLUR_SIGMA_PX. A sharp page is left sharp: deconvolved, its letters
# ring and its word confidence drops (clean generated card: 0.90 -> 0.86).
# On the 17 generated and real card photos whose values read worst (7 of the
# seed-790000 dossiers sent to review, 10 of seed 660000): known values found in
# the text 31 -> 39 of 112, mean word confidence 0.48 -> 0.51.
SHARP_EDGE_SPREAD_PX = 1.0
DEBLUR_GAIN = 1.2
MIN_DEBLUR_SIGMA_PX = 0.5
MAX_DEBLUR_SIGMA_PX = 2.0
DEBLUR_ITERATIONS = 10
EDGE_SHARE = 0.005  # the page's strongest gradients measured for its edge spread


@dataclass(frozen=True)
class PreparedPage:
    # What tesseract reads: grey uint8, upright, deskewed, light evened out,
    # surroundings whitened and white-on-black areas turned black-on-white.
    image: np.ndarray
    dpi: float  # effective resolution after rescaling
    skew_deg: float  # counter-clockwise rotation applied to straighten the text
    # The same page in grey before binarisation (rescaled, upright, deskewed):
    # for re-reading a region (the MRZ) with a threshold of its own.
    grey: np.ndarray | None = None
    # False when only part of the page was kept (a document cut out of a photo,
    # a page cropped to its text): what was read there says nothing of the rest.
    whole_page: bool = True


def prepare_for_ocr(image: np.ndarray, dpi: float) -> PreparedPage:
    """Grey, cut a photographed document out along its outline, denoise and deblur
    it when its letters are small, rescale to the OCR sweet spot, deskew, denoise,
    invert dark banners, flatten the light and whiten the surroundings; tesseract
    does the thresholding."""
    grey = to_grey(image)
    outlines = find_outlines(grey)
    if outlines:
        grey = cut_out(grey, outlines)
    text_px = estimate_text_height(grey)
    scale = scale_for_text(text_px, grey.shape, dpi)
    whole_page = not outlines
    if scale > 1 and grey.size * scale**2 > CROP_ABOVE_SCALED_PIXELS:
        uncropped = grey.shape
        grey = crop_to_text(grey)
        whole_page = whole_page and grey.shape == uncropped
        scale = scale_for_text(text_px, grey.shape, dpi)
    if scale >= SHARPEN_MIN_SCALE and grey.size <= SHARPEN_MAX_PIXELS:
        grey = sharpen_small_print(grey)
    rescaled = rescale_image(grey, scale)
    skew = estimate_skew(rescaled)
    straight = rotate_small(rescaled, skew)
    denoised = remove_noise(straight, scale)
    # Letters brought to their 300-dpi size make region sizes those of a 300-dpi
    # page, whatever the (often wrong) dpi of a photo says.
    region_dpi = TARGET_DPI if text_px is not None else dpi * scale
    # Enlarged blurry photos fuse letters into solid word blobs: only areas
    # clearly taller than a line of text are banners there.
    min_height_px = 1.8 * TARGET_TEXT_PX if scale >= 1.8 else 0.0
    # White-on-black areas (a card's title banner, table headers) are found on
    # the page evened out at page scale, where they stay dark, and turned
    # black-on-white before the fine flattening: to that, a banner taller than
    # its window is paper, and dividing by it washes the banner's letters out.
    evened = flatten_background(denoised, window_share=PAGE_LIGHT_WINDOW)
    banners = dark_region_mask(
        binarise(evened), region_dpi, min_height_px=min_height_px, grey=evened
    )
    unbannered = invert_banners(denoised, banners, region_dpi)
    flat = flatten_background(unbannered)
    if not outlines:
        # The surroundings of a photographed sheet (a dark table) are whitened
        # before any threshold: left in, they pull a global threshold down to
        # halfway between table and paper, which thickens every letter into a
        # blob. A document cut out along its outline has none left.
        flat = blank_dark_surroundings(flat, straight, keep=banners)
    # Tesseract gets the flattened grey page, not our binarisation: its LSTM
    # reads grey levels, which keep the shape of small blurred letters that any
    # fixed threshold breaks or fuses. On 24 generated phone photos: mean word
    # confidence 0.47 -> 0.69, known field values found in the text 60 -> 91 of 185.
    return PreparedPage(flat, dpi * scale, skew, grey=straight, whole_page=whole_page)


def invert_banners(grey: np.ndarray, banners: np.ndarray, dpi: float) -> np.ndarray:
    """`grey` with its white-on-black areas turned black-on-white, their rims white.

    A banner's rim is neither ground nor letter: its blurred edge, and the paper a
    mask drawn on a 4x smaller copy overshoots by up to 3 px. Inverted, it became a
    dark rule hugging the row below a table header, and tesseract garbled that row
    (a certificate's "LOPEZ" read "oe SALOPE SSS"). Letters sit well inside a banner.
    """
    out = grey.copy()
    if not banners.any():
        return out
    rim_px = max(2, round(dpi * BANNER_RIM_MM / 25.4))
    kernel = np.ones((2 * rim_px + 1, 2 * rim_px + 1), np.uint8)
    core = cv2.erode(banners.astype(np.uint8), kernel, borderValue=1).astype(bool)
    out[core] = 255 - grey[core]
    out[banners & ~core] = 255
    return out


def ink_mask(grey: np.ndarray, *, smoothing: int = 3, window: int = 31) -> np.ndarray:
    """1 where `grey` is clearly darker than its neighbourhood (`window` px wide), else 0.

    The one local threshold behind every measure of ink on a page (letter sizes,
    text blocks, letters left unread, MRZ lines): a median blur of `smoothing`
    px first keeps grain and JPEG noise from passing as ink.
    """
    return cv2.adaptiveThreshold(
        cv2.medianBlur(grey, smoothing),
        1,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY_INV,
        window,
        20,
    )


def crop_to_text(grey: np.ndarray) -> np.ndarray:
    """The part of `grey` holding its text blocks, with a margin; the page itself
    when the text fills most of it or none is found.

    Ink is joined into blocks by a dilation of about a line's height at 200 dpi
    (1/150 of the page): letters of a block merge, while the specks of grainy
    paper stay small, isolated blobs and are left out.
    """
    height, width = grey.shape[:2]
    ink = ink_mask(grey)
    reach = max(5, round(max(height, width) / 150))
    blocks = cv2.dilate(ink, np.ones((reach, reach), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(blocks, connectivity=8)
    # A block at least six specks' dilated area: a word, not a grain of paper.
    kept = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 6 * reach * reach]
    if len(kept) == 0:
        return grey
    x0 = max(0, int(kept[:, 0].min()) - 2 * reach)
    y0 = max(0, int(kept[:, 1].min()) - 2 * reach)
    x1 = min(width, int((kept[:, 0] + kept[:, 2]).max()) + 2 * reach)
    y1 = min(height, int((kept[:, 1] + kept[:, 3]).max()) + 2 * reach)
    if (x1 - x0) * (y1 - y0) > CROP_MAX_TEXT_SHARE * height * width:
        return grey
    return grey[y0:y1, x0:x1].copy()


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.copy()
    code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(image, code)


def ocr_scale(dpi: float) -> float:
    """Scale factor that brings an image of `dpi` into KEEP_DPI_RANGE."""
    low, high = KEEP_DPI_RANGE
    if dpi <= 0 or low <= dpi <= high:
        return 1.0
    return min(TARGET_DPI / dpi, MAX_UPSCALE)


def estimate_text_height(grey: np.ndarray) -> float | None:
    """Height in pixels to scale the page's letters by, None when there are too few.

    That is the median height of the letter-like ink blobs, unless the page
    also carries a substantial class of small print that the median's scale
    would leave unreadable (see `small_text_height`): then the height that
    brings that small print to SMALL_TEXT_TARGET_PX once scaled to
    TARGET_TEXT_PX (by at most MAX_SMALL_TEXT_UPSCALE). A page so scaled
    measures within KEEP_TEXT_PX again. Costs ~0.1 s on an A4 page at 300 dpi.
    """
    heights = letter_heights(grey)
    if heights.size < MIN_LETTER_BLOBS:
        # Few separate letters: on a page of little text (a card's back
        # photocopied alone on A4) blurred letters run together into words,
        # whose height is still the letters' height.
        heights = letter_heights(grey, max_width_ratio=FUSED_WORD_WIDTH)
        if heights.size < MIN_WORD_BLOBS:
            return None
        return float(np.median(heights))
    median = float(np.median(heights))
    small = small_text_height(heights)
    if small is None:
        return median
    for_small_print = small * TARGET_TEXT_PX / SMALL_TEXT_TARGET_PX
    # A median already smaller (a card photo) keeps the larger scale it asks for.
    return min(median, max(for_small_print, TARGET_TEXT_PX / MAX_SMALL_TEXT_UPSCALE))


def median_text_height(grey: np.ndarray) -> float | None:
    """Median height in pixels of the page's letter-like ink blobs, None when too few."""
    heights = letter_heights(grey)
    return float(np.median(heights)) if heights.size >= MIN_LETTER_BLOBS else None


def letter_heights(grey: np.ndarray, *, max_width_ratio: float = 2.5) -> np.ndarray:
    """Heights in pixels of the page's letter-like ink blobs (any order).

    Letters are small dark connected components, about as wide as high (at
    most `max_width_ratio` times as wide), on a light background.
    Median-blurring first and a local threshold with a high offset keep paper
    grain and sensor noise out; the background test keeps the texture of a
    table under a photographed card out.
    """
    height = grey.shape[0]
    ink = ink_mask(grey)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    widths, heights, areas = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    light = _on_light_background(grey, centres[1:])
    letters = (
        (heights >= 5)
        & (heights <= height / 15)
        & (widths <= max_width_ratio * heights)
        & (widths >= 0.15 * heights)
        & (areas >= 0.15 * widths * heights)
        & light
    )
    return np.asarray(heights[letters], dtype=np.float64)


def small_text_height(heights: np.ndarray) -> float | None:
    """Height of the page's small print when it needs enlarging beyond the median's
    scale, else None.

    The letters are split in two size classes where the split best separates
    them (Otsu on the log of the heights, each letter counting once). The
    smaller class is small print that needs enlarging when it holds a
    substantial share of the letters, is a size class of its own (not merely
    the x-height of the larger one) and measures under SMALL_TEXT_MIN_PX on a
    page whose median needs no scaling (a 300-dpi scan).
    """
    if heights.size < MIN_LETTER_BLOBS:
        return None
    median = float(np.median(heights))
    # Dots, commas and accents are no letters and would make a class of their own.
    letters = np.sort(heights[heights >= SPECK_RATIO * median])
    split = _size_class_split(letters)
    if split is None:
        return None
    small, large = letters[:split], letters[split:]
    if small.size < SMALL_TEXT_MIN_SHARE * letters.size:
        return None
    small_px = float(np.median(small))
    if small_px > SMALL_TEXT_RATIO * float(np.median(large)):
        return None
    if _scale_for_height(median) != 1.0:
        # The page is enlarged for its main text already (a card photo, a 200-dpi
        # scan): its small print is left to that scale.
        return None
    if small_px >= SMALL_TEXT_MIN_PX:
        return None
    return small_px


def _size_class_split(sorted_heights: np.ndarray) -> int | None:
    """Index splitting sorted heights into the two classes of largest between-class
    variance of their logarithms (Otsu); None when all heights are equal."""
    logs = np.log(sorted_heights)
    # Candidate splits lie between two different heights.
    cuts = np.flatnonzero(np.diff(sorted_heights) > 0) + 1
    if cuts.size == 0:
        return None
    total = logs.size
    prefix = np.cumsum(logs)
    below = cuts.astype(np.float64)
    mean_below = prefix[cuts - 1] / below
    mean_above = (prefix[-1] - prefix[cuts - 1]) / (total - below)
    between = below * (total - below) * np.square(mean_above - mean_below)
    return int(cuts[int(np.argmax(between))])


def _scale_for_height(text_px: float) -> float:
    """Scale that brings letters of `text_px` into KEEP_TEXT_PX, before the pixel cap."""
    low, high = KEEP_TEXT_PX
    if low <= text_px <= high:
        return 1.0
    return min(max(TARGET_TEXT_PX / text_px, MIN_TEXT_DOWNSCALE), MAX_TEXT_UPSCALE)


def _on_light_background(grey: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Whether each point lies in a light area (paper), by a blurred 8x smaller copy."""
    factor = 8
    small = cv2.resize(grey, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    side = max(3, (min(small.shape[:2]) // 30) | 1)
    surround = cv2.blur(small, (side, side))
    paper = float(np.percentile(small, 95))
    xs = np.clip((centres[:, 0] / factor).astype(int), 0, small.shape[1] - 1)
    ys = np.clip((centres[:, 1] / factor).astype(int), 0, small.shape[0] - 1)
    return np.asarray(surround[ys, xs] > LIGHT_SHARE * paper)


def text_scale(grey: np.ndarray, dpi: float) -> float:
    """Scale factor that brings the page's letters to tesseract's sweet spot.

    The letters' measured height is trusted over the dpi: a photographed card
    has a low pixel density for its size but not for an A4 page, and its dpi
    estimate is wrong either way. Without a measure, falls back to the dpi.
    """
    return scale_for_text(estimate_text_height(grey), grey.shape, dpi)


def scale_for_text(text_px: float | None, shape: tuple[int, ...], dpi: float) -> float:
    """`text_scale` once the letters' height is measured (None: not measurable)."""
    if text_px is None:
        return ocr_scale(dpi)
    scale = _scale_for_height(text_px)
    if scale == 1.0:
        return 1.0
    pixels = float(shape[0] * shape[1])
    return min(scale, (MAX_SCALED_PIXELS / pixels) ** 0.5) if scale > 1 else scale


def rescale_image(image: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return image.copy()
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)


def rotate_quadrant(image: np.ndarray, clockwise_deg: int) -> np.ndarray:
    """Rotate by a multiple of 90 degrees, clockwise."""
    turns = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180}
    turns[270] = cv2.ROTATE_90_COUNTERCLOCKWISE
    code = turns[clockwise_deg % 360]
    return image.copy() if code is None else cv2.rotate(image, code)


def looks_sideways(grey: np.ndarray) -> bool:
    """True when text lines run vertically (page turned 90 or 270 degrees).

    Lines of text make the row profile of the ink far sharper than the column
    profile; a sideways page shows the opposite. Costs a few milliseconds.
    """
    ink = _small_ink(grey)
    if ink.mean() < 0.002:
        return False
    rows = float(np.square(np.diff(ink.sum(axis=1))).sum())
    columns = float(np.square(np.diff(ink.sum(axis=0))).sum())
    return columns > 1.5 * rows


def _small_ink(grey: np.ndarray) -> np.ndarray:
    scale = min(1.0, _SKEW_WIDTH_PX / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1].astype(np.float32)


def estimate_skew(grey: np.ndarray) -> float:
    """Small text skew in degrees (counter-clockwise positive), by projection profiles.

    Text lines give the sharpest row profile when horizontal. Unlike
    `minAreaRect` over all ink, this ignores logos, stamps and margins notes that
    make the ink's bounding rectangle lie about the lines' angle.
    """
    ink = _small_ink(grey)
    if ink.mean() < 0.002:
        return 0.0
    # The profile peak is sharp (a fraction of a degree wide): coarse steps of
    # 0.25 degree, then 0.05 around the best.
    coarse = _straightening_angle(ink, np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.01, 0.25))
    fine = _straightening_angle(ink, np.arange(coarse - 0.25, coarse + 0.26, 0.05))
    # The scan rotated the page by -fine; the skew is what undoing it removes.
    return round(-fine, 2)


def _straightening_angle(ink: np.ndarray, angles: np.ndarray) -> float:
    """The rotation (cv2 convention, counter-clockwise) giving the sharpest row profile."""
    height, width = ink.shape
    centre = (width / 2, height / 2)
    scores = []
    for angle in angles:
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rotated = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
        profile = rotated.sum(axis=1)
        scores.append(float(np.square(np.diff(profile)).sum()))
    return float(angles[int(np.argmax(scores))])


def rotate_small(grey: np.ndarray, skew_deg: float) -> np.ndarray:
    """Undo a small skew, filling uncovered corners with the paper colour."""
    if abs(skew_deg) < 0.05:
        return grey.copy()
    height, width = grey.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew_deg, 1.0)
    paper = int(np.percentile(grey[::8, ::8], 90))
    return cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=paper)


def sharpen_small_print(grey: np.ndarray) -> np.ndarray:
    """A low-resolution page (a card photo) denoised, then deblurred, at its own size.

    Order matters: deconvolution amplifies grain, and once the page is enlarged
    the grain is as large as the strokes. Costs ~0.1-0.2 s on a card cut out of
    a photo (650x400), ~0.7 s on a 150-dpi photo of an A4 sheet.
    """
    denoised = denoise_grain(grey)
    sigma_px = blur_to_undo(edge_spread(denoised))
    if sigma_px < MIN_DEBLUR_SIGMA_PX:
        return denoised
    return deblur(denoised, sigma_px, DEBLUR_ITERATIONS)


def edge_spread(grey: np.ndarray) -> float:
    """How wide the page's sharpest edges are, as the sigma of a blurred step, in pixels.

    A step of height H blurred by a Gaussian of sigma s has a steepest slope of
    H / (s * sqrt(2 pi)); H is taken as the grey range around each of the
    page's strongest gradients, and the median over them is robust to the few
    that are no letter edge. Meant for a denoised page: grain makes steep slopes.
    """
    page = grey.astype(np.float32)
    slope = np.hypot(cv2.Sobel(page, cv2.CV_32F, 1, 0), cv2.Sobel(page, cv2.CV_32F, 0, 1)) / 8.0
    window = np.ones((7, 7), np.uint8)
    step = cv2.dilate(page, window) - cv2.erode(page, window)
    strongest = slope >= max(float(np.quantile(slope, 1.0 - EDGE_SHARE)), 1.0)
    if not strongest.any():
        return SHARP_EDGE_SPREAD_PX
    return float(np.median(step[strongest] / (np.sqrt(2 * np.pi) * slope[strongest])))


def blur_to_undo(spread_px: float) -> float:
    """Sigma of the Gaussian blur to deconvolve for an `edge_spread` of `spread_px`."""
    beyond_sharp = max(spread_px**2 - SHARP_EDGE_SPREAD_PX**2, 0.0) ** 0.5
    return min(DEBLUR_GAIN * beyond_sharp, MAX_DEBLUR_SIGMA_PX)


def noise_level(grey: np.ndarray) -> float:
    """Standard deviation of the page's sensor noise, in grey levels (robust estimate).

    The residual from a light blur is mostly grain on paper and edges on ink;
    the median absolute deviation keeps the (rarer) edges out.
    """
    residual = grey.astype(np.float32) - cv2.GaussianBlur(grey, (0, 0), 1.5).astype(np.float32)
    return 1.4826 * float(np.median(np.abs(residual - np.median(residual))))


def denoise_grain(grey: np.ndarray) -> np.ndarray:
    """Sensor grain removed by non-local means, as strongly as the page is noisy."""
    strength = DENOISE_STRENGTH * noise_level(grey)
    if strength < 1.0:
        return grey.copy()
    return cv2.fastNlMeansDenoising(
        grey, None, h=strength, templateWindowSize=7, searchWindowSize=DENOISE_SEARCH_PX
    )


def deblur(grey: np.ndarray, sigma_px: float, iterations: int) -> np.ndarray:
    """Richardson-Lucy deconvolution for a Gaussian blur of `sigma_px`.

    The Gaussian is symmetric, so it is its own adjoint: each iteration is two
    blurs and a division, cheap at a photo's size.
    """
    # Offset by one grey level: the algorithm divides by the estimate, which a
    # black pixel would make zero.
    observed = grey.astype(np.float32) + 1.0
    estimate = observed.copy()
    for _ in range(iterations):
        blurred = cv2.GaussianBlur(estimate, (0, 0), sigma_px)
        estimate *= cv2.GaussianBlur(observed / np.maximum(blurred, 1e-3), (0, 0), sigma_px)
    return np.clip(estimate - 1.0, 0, 255).astype(np.uint8)


def remove_noise(grey: np.ndarray, scale: float = 1.0) -> np.ndarray:
    # A 3x3 median removes sensor speckle without eating thin strokes at 300 dpi;
    # an enlarged photo has enlarged grain (and letters thick enough) for a 5x5.
    return cv2.medianBlur(grey, 5 if scale >= 1.8 else 3)


def flatten_background(grey: np.ndarray, *, window_share: float = 0.0) -> np.ndarray:
    """Divide by the estimated paper brightness so uneven light (phone photos) becomes flat.

    The background is a closing (removes ink) computed on a small copy, which
    keeps this cheap on full pages. Its window is about 6 mm at 300 dpi, so it
    follows the light closely; `window_share` widens it to that share of the
    page's short side, wide enough that a dark banner counts as ink.
    """
    factor = 8
    small = cv2.resize(grey, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    side = max(9, int(window_share * min(small.shape[:2])) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(grey, np.maximum(paper, 1), scale=255)
    return flat


def dark_region_mask(
    binary: np.ndarray,
    dpi: float,
    *,
    min_height_px: float = 0.0,
    grey: np.ndarray | None = None,
) -> np.ndarray:
    """Where the white-on-black areas of a binary page are (banners, table headers).

    Such an area is one large connected blob of black that fills most of its
    bounding box (the white letters are its holes); letters are small blobs and
    table rules fill little of their box. Inverting them once per page (in
    `prepare_for_ocr`) lets tesseract skip its own per-line inverted re-reads.

    With the page's `grey`, an area must also be solidly dark: most of it at
    least halfway from the threshold to the ink's darkest tone. A line of bold
    words, blurred and enlarged, thresholds into one solid blob too, but the
    gaps between its strokes stay mid-grey.
    """
    # Blobs are found on a 4x smaller copy (a banner stays a banner), for speed.
    factor = 4
    small = cv2.resize(binary, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    ink = (small < 128).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    # About 2 mm: taller than text strokes, shorter than a banner.
    min_side = max(dpi / 12, min_height_px) / factor
    solid = _solidly_dark(grey) if grey is not None else None
    mask = np.zeros(binary.shape[:2], bool)
    for x, y, w, h, area in stats[1:count]:
        if h >= min_side and w >= 3 * min_side and area >= DARK_REGION_FILL * w * h:
            region = (slice(y * factor, (y + h) * factor), slice(x * factor, (x + w) * factor))
            if solid is None or float(solid[region].mean()) >= SOLID_DARK_SHARE:
                mask[region] = True
    return mask


def _solidly_dark(grey: np.ndarray) -> np.ndarray:
    threshold = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    darkest = float(np.percentile(grey[::4, ::4], 1))
    paper = float(np.percentile(grey[::4, ::4], 95))
    # Dark in absolute terms too: on a page of little ink, Otsu's threshold falls
    # between paper and a light tint (a grey card photocopied on white paper),
    # which is no banner; inverted, its black letters turned white.
    return np.asarray(grey < min((darkest + threshold) / 2, BANNER_DARKNESS * paper))


def blank_dark_surroundings(
    binary: np.ndarray, grey: np.ndarray, *, keep: np.ndarray | None = None
) -> np.ndarray:
    """Whiten the dark areas around a photographed document (a table, a carpet).

    Binarised, a textured table becomes a field of black noise that ruins layout
    analysis and orientation detection. It is told from the document by being
    dark on average and either reaching the edge of the image or covering a
    large share of it (a wall or floor beyond the table, or the corners a
    deskew filled in, can keep it off the edge); dark banners inside the
    document do neither and are left to `dark_region_mask`. `keep` (the banners
    already turned black-on-white) is never whitened: a bill's header band cut
    by the photo's top edge reaches the edge too, and it holds the bill's date.
    """
    factor = 8
    small = cv2.resize(grey, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    if min(small.shape[:2]) < 8:
        return binary.copy()
    side = max(3, (min(small.shape[:2]) // 40) | 1)
    surround = cv2.blur(small, (side, side))
    dark = (surround < LIGHT_SHARE * float(np.percentile(small, 95))).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    height, width = dark.shape
    surroundings = [
        i
        for i in range(1, count)
        if stats[i, 0] == 0
        or stats[i, 1] == 0
        or stats[i, 0] + stats[i, 2] >= width
        or stats[i, 1] + stats[i, 3] >= height
        or stats[i, 4] >= SURROUNDINGS_SHARE * height * width
    ]
    if not surroundings:
        return binary.copy()
    # Grown by a cell so the document's own edge shadow goes too.
    mask = cv2.dilate(np.isin(labels, surroundings).astype(np.uint8), np.ones((3, 3), np.uint8))
    full = cv2.resize(mask, (binary.shape[1], binary.shape[0]), interpolation=cv2.INTER_NEAREST)
    out = binary.copy()
    out[(full > 0) & (True if keep is None else ~keep)] = 255
    return out


def binarise(grey: np.ndarray) -> np.ndarray:
    return cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
