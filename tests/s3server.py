"""Session fixture starting a real S3 server (SeaweedFS `weed mini`). Owned by the storage work."""
