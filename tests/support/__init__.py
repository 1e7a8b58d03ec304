"""Helpers shared by the tests: generated documents, field kits, the S3 test server."""
