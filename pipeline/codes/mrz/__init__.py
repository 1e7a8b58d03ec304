"""Machine-readable zones (MRZ) of identity documents, one job per module.

- `formats`: the layouts (TD1, TD2, TD3, old French card) and how to tell them;
- `checks`: ICAO 9303 check digits;
- `repair`: OCR output brought back to the MRZ alphabet and length;
- `corrections`: look-alike corrections of fields whose check digits fail;
- `parse`: lines into an `MrzReading` (`reading`), the best candidate chosen;
- `lines`: the one test of whether a text looks like an MRZ line;
- `find`: the MRZ in a page's text;
- `band`, `glyphs`: the MRZ band of a page image located and re-read.
"""
