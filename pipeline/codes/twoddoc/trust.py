"""The trust list of 2D-Doc issuers' certificates, and the ECDSA check of a signature."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pipeline.errors import ConfigurationError


class TrustList:
    """Certificates of 2D-Doc issuers, keyed by (certification authority id, certificate id).

    Loaded from a JSON bundle or a folder; see docs/2ddoc.md for both formats.
    """

    def __init__(self, certificates: dict[tuple[str, str], x509.Certificate]) -> None:
        self.certificates = certificates

    def get(self, ca_id: str, cert_id: str) -> x509.Certificate | None:
        return self.certificates.get((ca_id, cert_id))

    @classmethod
    def load(cls, path: Path) -> TrustList:
        try:
            if path.is_dir():
                return cls(_load_folder(path))
            return cls(_load_bundle(path))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigurationError(
                "La liste de confiance 2D-Doc est illisible.", detail=f"{path}: {e}"
            ) from e


def _load_bundle(path: Path) -> dict[tuple[str, str], x509.Certificate]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        (entry["ca_id"], entry["cert_id"]): x509.load_pem_x509_certificate(
            entry["pem"].encode("ascii")
        )
        for entry in data["certificates"]
    }


def _load_folder(folder: Path) -> dict[tuple[str, str], x509.Certificate]:
    # Files named <CA id>_<certificate id>.pem or .der, e.g. FR01_FR03.der.
    out: dict[tuple[str, str], x509.Certificate] = {}
    for file in sorted(folder.iterdir()):
        match = re.fullmatch(r"([0-9A-Z]{4})_([0-9A-Z]{4})\.(pem|der|crt|cer)", file.name)
        if not match:
            continue
        raw = file.read_bytes()
        cert = (
            x509.load_pem_x509_certificate(raw)
            if raw.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(raw)
        )
        out[(match.group(1), match.group(2))] = cert
    return out


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


def verify_signature(signed: str, signature_b32: str, certificate: x509.Certificate) -> bool:
    """ECDSA check of the base32 raw `r || s` signature against the certificate's public key."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in _HASHES:
        return False
    try:
        raw = base64.b32decode(signature_b32 + "=" * (-len(signature_b32) % 8))
    except ValueError:
        return False
    half = len(raw) // 2
    if half == 0 or len(raw) % 2:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    try:
        key.verify(der, signed.encode("latin-1"), ec.ECDSA(_HASHES[key.curve.name]()))
    except InvalidSignature:
        return False
    return True
