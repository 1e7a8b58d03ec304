"""Intake of untrusted files: real type, limits, and the isolated child that parses them."""
