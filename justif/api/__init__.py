"""The HTTP API of justif (FastAPI): procedure backends submit dossiers and read decisions."""
