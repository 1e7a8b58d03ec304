"""Procedure rules and the checks they produce, piece by piece."""
