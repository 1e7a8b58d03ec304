"""French 2D-Doc barcodes (ANTS specification "2D-Doc", DataMatrix, C40 text).

Layout (ANTS, "Spécifications techniques des codes à barres 2D-Doc", v3.1.x):
`header + message + US (0x1F) + signature [+ GS (0x1D) + annex]`.
- Header: 'DC', version (2 digits), certification authority id (4), certificate id
  (4), document date (4 hex = days since 2000-01-01, 'FFFF' = none), signature
  date (4 hex, same), document type id (2); from version 03 the perimeter id (2);
  in version 04 also the issuing country (2, ISO 3166 alpha-2). Versions 01/02
  are perimeter 01 implicitly. 22, 24 and 26 characters long.
- Message: data fields `id (2) + value`; a fixed-length value has no separator, a
  variable one ends at GS (or at US if it is the last), and RS (0x1E) ends a value
  the issuer truncated.
- Signature: base32 of the raw ECDSA `r || s` over header + message (P-256 with
  SHA-256 or P-384 with SHA-384, following the certificate's curve).
The annex after the signature is not signed: it is kept apart and never trusted.

Modules: `payload` (header, message, field table, the decoded `TwoDDoc`),
`trust` (trust list and ECDSA signature), `decode` (a payload or a page image
to verified 2D-Docs), `crosscheck` (signed values against the printed page).
"""
