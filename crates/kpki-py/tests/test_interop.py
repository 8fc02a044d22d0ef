"""Keys, certificates and CSRs cross between kpki and cryptography without a byte
changing, in both directions."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

import kpki

ALGORITHMS = ["rsa-2048", "ecdsa-p256", "ecdsa-p384", "ed25519"]
_keys = {a: kpki.PrivateKey.generate(a) for a in ALGORITHMS}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_private_key_round_trips_through_cryptography(algorithm: str) -> None:
    key = _keys[algorithm]
    assert key.algorithm == algorithm
    theirs = key.to_cryptography()
    # Same PKCS#8 bytes, both ways.
    assert (
        theirs.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        == key.to_pkcs8_der()
    )
    back = kpki.PrivateKey.from_cryptography(theirs)
    assert back == key and back.to_pkcs8_der() == key.to_pkcs8_der()
    # kubeadm's PEM forms are exactly what cryptography writes for them.
    fmt = (
        serialization.PrivateFormat.PKCS8
        if algorithm == "ed25519"
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    assert key.to_pem() == theirs.private_bytes(
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode()
    assert kpki.PrivateKey.from_pem(key.to_pem().encode()) == key
    assert kpki.PrivateKey.from_pem(key.to_pkcs8_pem()) == key
    assert kpki.PrivateKey.from_der(key.to_pkcs8_der()) == key
    # Public halves agree.
    pub = key.public_key
    assert pub.to_der() == theirs.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert kpki.PublicKey.from_cryptography(theirs.public_key()) == pub
    assert kpki.PublicKey.from_pem(pub.to_pem()) == pub
    assert pub.to_cryptography() == theirs.public_key()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_signatures_verify_with_cryptography(algorithm: str) -> None:
    key = _keys[algorithm]
    sig = key.sign(b"message")
    theirs = key.public_key.to_cryptography()
    if isinstance(theirs, rsa.RSAPublicKey):
        theirs.verify(sig, b"message", padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(theirs, ec.EllipticCurvePublicKey):
        h = hashes.SHA384() if algorithm == "ecdsa-p384" else hashes.SHA256()
        theirs.verify(sig, b"message", ec.ECDSA(h))
    else:
        assert isinstance(theirs, ed25519.Ed25519PublicKey)
        theirs.verify(sig, b"message")
    assert key.public_key.verify(b"message", sig)
    assert not key.public_key.verify(b"messagE", sig)


def test_keys_made_by_cryptography_are_accepted_everywhere() -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = kpki.CertificateAuthority.root("cryptography-made", ca_key)
    cert = ca.issue(kpki.Identity.kube_scheduler(), leaf_key.public_key())
    theirs = cert.to_cryptography()
    assert theirs.public_key() == leaf_key.public_key()
    theirs.verify_directly_issued_by(ca.certificate.to_cryptography())
    # And PEM bytes / str of those keys too.
    pem = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert kpki.PrivateKey.from_pem(pem).matches(cert)


def test_certificate_round_trips_without_re_encoding() -> None:
    ca = kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")
    cert = ca.issue_with_new_key(
        kpki.Identity.user("alice", ["dev", "ops"]), algorithm="ecdsa-p256"
    ).certificate
    theirs = cert.to_cryptography()
    assert theirs.public_bytes(serialization.Encoding.DER) == cert.to_der()
    assert theirs.public_bytes(serialization.Encoding.PEM).decode() == cert.to_pem()
    back = kpki.Certificate.from_cryptography(theirs)
    assert back == cert and hash(back) == hash(cert)
    assert kpki.Certificate.from_pem(cert.to_pem().encode()) == cert
    assert kpki.Certificate.from_der(cert.to_der()) == cert
    assert theirs.serial_number == cert.serial_number
    assert theirs.not_valid_after_utc == cert.not_after
    assert theirs.not_valid_before_utc == cert.not_before
    # cryptography objects are accepted wherever kpki takes a certificate.
    ca.verify_issued(theirs)
    cert.verify_issued_by(ca.certificate.to_cryptography())


def test_csr_round_trips_and_cryptography_csrs_are_signed() -> None:
    key = _keys["ecdsa-p256"]
    csr = kpki.Csr.generate(kpki.Identity.node("node07"), key, ["node07", "10.0.0.7"])
    theirs = csr.to_cryptography()
    assert theirs.is_signature_valid
    assert theirs.public_bytes(serialization.Encoding.DER) == csr.to_der()
    assert kpki.Csr.from_cryptography(theirs) == csr
    # A CSR built by cryptography, signed by kpki under the kubelet-serving policy.
    their_key = ec.generate_private_key(ec.SECP256R1())
    req = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "system:nodes"),
                    x509.NameAttribute(x509.NameOID.COMMON_NAME, "system:node:node08"),
                ]
            )
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("node08")]), critical=False)
        .sign(their_key, hashes.SHA256())
    )
    ca = kpki.CertificateAuthority.root("kubernetes", algorithm="ecdsa-p256")
    cert = ca.sign_csr(req, kpki.SignerPolicy.kubelet_serving())
    assert cert.dns_names == ["node08"]
    assert cert.extended_key_usages == ["server auth"]
    assert cert.organizations == ["system:nodes"]
    assert cert.to_cryptography().public_key() == their_key.public_key()
