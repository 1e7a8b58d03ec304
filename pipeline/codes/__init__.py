"""Machine-readable codes: MRZ of identity documents and 2D-Doc barcodes."""
