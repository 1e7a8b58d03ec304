"""The dossier decision and its report."""
