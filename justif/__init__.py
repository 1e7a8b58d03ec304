"""Entry points of justif: the `justif` command line (and later the HTTP API and review UI)."""
