"""Reading: the pages of a file, text layer or OCR, legibility and image signals."""
