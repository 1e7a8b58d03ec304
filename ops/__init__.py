"""Operating justif: the one-machine production-like stack (`make stack`) and its helpers."""
