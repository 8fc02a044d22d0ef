"""kpki.tls_certificates on its own (no charm library installed needed): the charm
library's crypto surface, what it writes, its clock, its errors, and a real TLS
handshake with what it issues. The comparison with the library itself is in
test_tls_differential.py; relations are in test_tls_relations.py."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

import kpki
from kpki import tls_certificates as tls
from kpki.tls_certificates import (
    Certificate,
    CertificateRequestAttributes,
    CertificateSigningRequest,
    KeyAlgorithm,
    PrivateKey,
    TLSCertificatesError,
)


@pytest.fixture(scope="module")
def ca() -> tuple[Certificate, PrivateKey]:
    key = PrivateKey.generate()
    cert = Certificate.generate_self_signed_ca(
        CertificateRequestAttributes(common_name="self-signed-ca"), key, timedelta(days=365)
    )
    return cert, key


def crypto(cert: Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert.raw.encode())


def test_a_requirers_csr_signed_by_a_provider_reads_back_field_by_field(
    ca: tuple[Certificate, PrivateKey],
) -> None:
    ca_cert, ca_key = ca
    key = PrivateKey.generate(key_algorithm=KeyAlgorithm.ECDSA)
    attributes = CertificateRequestAttributes(
        common_name="db-0.db.svc",
        sans_dns=["db-0.db.svc", "db.svc"],
        sans_ip=["10.1.2.3", "fd00::1"],
        sans_oid=["1.3.6.1.4.1.28978"],
        email_address="ops@example.com",
        organization="Example",
        organizational_unit="Databases",
        country_name="GB",
        state_or_province_name="London",
        locality_name="Shoreditch",
    )
    csr = attributes.generate_csr(key)
    assert csr.matches_private_key(key) and not csr.matches_private_key(ca_key)
    assert CertificateRequestAttributes.from_csr(csr, is_ca=False) == attributes
    assert csr.has_unique_identifier  # the library's default
    cert = csr.sign(ca_cert, ca_key, timedelta(days=90))

    assert cert.matches_private_key(key) and csr.matches_certificate(cert)
    assert not cert.matches_private_key(ca_key)
    assert (cert.common_name, cert.organization, cert.organizational_unit) == (
        "db-0.db.svc",
        "Example",
        "Databases",
    )
    assert (cert.country_name, cert.state_or_province_name, cert.locality_name) == (
        "GB",
        "London",
        "Shoreditch",
    )
    assert cert.email_address == "ops@example.com"
    assert cert.sans_dns == {"db-0.db.svc", "db.svc"}
    assert cert.sans_ip == {"10.1.2.3", "fd00::1"}
    assert cert.sans_oid == {"1.3.6.1.4.1.28978"}
    assert not cert.is_ca and ca_cert.is_ca
    now = datetime.now(timezone.utc)
    assert abs(cert.validity_start_time - now) < timedelta(minutes=1)  # no backdating
    assert cert.expiry_time - cert.validity_start_time == timedelta(days=90)

    # An independent reader (pyca/cryptography) sees the library's extensions.
    x = crypto(cert)
    ext = {e.oid: e for e in x.extensions}
    assert list(ext) == [
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.KEY_USAGE,
    ]
    ski = crypto(ca_cert).extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ext[ExtensionOID.AUTHORITY_KEY_IDENTIFIER].value.key_identifier == ski.value.digest
    assert ext[ExtensionOID.SUBJECT_KEY_IDENTIFIER].value == (
        x509.SubjectKeyIdentifier.from_public_key(x.public_key())
    )
    assert ext[ExtensionOID.KEY_USAGE].critical and ext[ExtensionOID.KEY_USAGE].value.digital_signature
    san = ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME].value
    assert san.get_values_for_type(x509.RFC822Name) == ["ops@example.com"]  # from the subject
    assert x.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    assert x.issuer == crypto(ca_cert).subject
    x.verify_directly_issued_by(crypto(ca_cert))


def test_str_equality_hash_and_loading_behave_as_the_librarys() -> None:
    key = PrivateKey.generate()
    assert key.raw.startswith("-----BEGIN RSA PRIVATE KEY-----") and not key.raw.endswith("\n")
    assert str(key) == key.raw and PrivateKey.from_string(key.raw) == key
    assert len({key, PrivateKey.from_string(key.raw + "\n")}) == 1
    ec = PrivateKey.generate(key_algorithm="ecdsa", key_size=384)
    assert ec.raw.startswith("-----BEGIN EC PRIVATE KEY-----")
    assert (ec.algorithm, ec.key_size) == (KeyAlgorithm.ECDSA, 384)
    assert (key.algorithm, key.key_size) == (KeyAlgorithm.RSA, 2048)
    assert PrivateKey(x509_object=ec.to_kpki().to_cryptography()) == ec
    assert key != ec and key.__eq__("x") is NotImplemented

    csr = CertificateRequestAttributes(common_name="a").generate_csr(key)
    assert CertificateSigningRequest.from_string(csr.raw) == csr
    assert CertificateSigningRequest(x509_object=csr._csr) == csr
    assert CertificateSigningRequest.from_csr(csr._csr) == csr
    assert csr.get_sha256_hex() == __import__("hashlib").sha256(csr.raw.encode()).hexdigest()
    ca = Certificate.generate_self_signed_ca(
        CertificateRequestAttributes(common_name="ca"), key, timedelta(days=1)
    )
    assert Certificate(ca.raw, common_name="ignored") == ca == Certificate.from_string(ca.raw)
    assert Certificate(x509_object=ca._cert) == ca
    assert hash(ca) == hash(Certificate.from_string(ca.raw + "\n"))
    attrs = CertificateRequestAttributes(common_name="x", sans_dns=["b", "a"])
    assert attrs == CertificateRequestAttributes(common_name="x", sans_dns={"a", "b"})
    assert hash(attrs) == hash(CertificateRequestAttributes(common_name="x", sans_dns={"a", "b"}))
    assert attrs != CertificateRequestAttributes(common_name="x", sans_dns={"a", "b"}, is_ca=True)


def test_key_usages_follow_the_librarys_rules(ca: tuple[Certificate, PrivateKey]) -> None:
    ca_cert, ca_key = ca
    x = crypto(ca_cert)
    ku = x.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.key_encipherment  # RSA CA
    assert x.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(x509.ExtensionNotFound):  # no SAN unless asked for
        x.extensions.get_extension_for_class(x509.SubjectAlternativeName)

    rsa_leaf = crypto(
        CertificateRequestAttributes(common_name="rsa")
        .generate_csr(PrivateKey.generate())
        .sign(ca_cert, ca_key, timedelta(days=1))
    )
    with pytest.raises(x509.ExtensionNotFound):  # the library sets none for RSA leaves
        rsa_leaf.extensions.get_extension_for_class(x509.KeyUsage)

    sub_key = PrivateKey.generate(key_algorithm="ecdsa")
    sub = CertificateRequestAttributes(common_name="sub", is_ca=True).generate_csr(sub_key)
    sub_ca = sub.sign(ca_cert, ca_key, timedelta(days=10), is_ca=True)
    sub_ku = crypto(sub_ca).extensions.get_extension_for_class(x509.KeyUsage).value
    assert sub_ku.key_cert_sign and sub_ku.crl_sign and not sub_ku.digital_signature
    # An intermediate's leaf chains (its issuer is the intermediate's subject).
    leaf = CertificateRequestAttributes(common_name="leaf").generate_csr(sub_key).sign(
        sub_ca, sub_key, timedelta(days=1)
    )
    assert tls.chain_has_valid_order([leaf.raw, sub_ca.raw, ca_cert.raw])
    assert not tls.chain_has_valid_order([sub_ca.raw, leaf.raw])
    assert tls.chain_has_valid_order([leaf.raw])


def test_critical_extensions_and_no_unique_id_round_trip(
    ca: tuple[Certificate, PrivateKey],
) -> None:
    ca_cert, ca_key = ca
    attrs = CertificateRequestAttributes(
        common_name="x",
        add_unique_id_to_subject_name=False,
        additional_critical_extensions=[x509.OCSPNoCheck()],
    )
    csr = attrs.generate_csr(PrivateKey.generate(key_algorithm="ecdsa"))
    assert not csr.has_unique_identifier
    assert csr.additional_critical_extensions == [x509.OCSPNoCheck()]
    assert CertificateRequestAttributes.from_csr(csr, is_ca=False) == attrs
    cert = crypto(csr.sign(ca_cert, ca_key, timedelta(days=1)))
    ext = cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert ext.critical
    assert cert.subject == x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])


def test_time_comes_from_the_modules_datetime(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return fixed

    monkeypatch.setattr(tls, "datetime", Frozen)
    key = PrivateKey.generate(key_algorithm="ecdsa")
    ca = Certificate.generate_self_signed_ca(
        CertificateRequestAttributes(common_name="ca"), key, timedelta(days=2)
    )
    assert ca.validity_start_time == fixed and ca.expiry_time == fixed + timedelta(days=2)
    leaf = CertificateRequestAttributes(common_name="l").generate_csr(key).sign(
        ca, key, timedelta(hours=1)
    )
    assert leaf.validity_start_time == fixed
    half = tls.calculate_relative_datetime(fixed + timedelta(days=10), 0.5)
    assert half == fixed + timedelta(days=5)


def test_bad_input_raises_what_the_library_raises() -> None:
    key = PrivateKey.generate(key_algorithm="ecdsa")
    cases: tuple[dict[str, Any], ...] = (
        {"common_name": "a" * 65},
        {"common_name": "x", "country_name": "GBR"},
        {"common_name": "x", "sans_ip": ["300.1.1.1"]},
        {"common_name": "x", "sans_oid": ["1.2.abc"]},
        {"sans_dns": ["a.b"], "add_unique_id_to_subject_name": False},  # empty subject
    )
    for kwargs in cases:
        with pytest.raises(ValueError):
            CertificateRequestAttributes(**kwargs).generate_csr(key)
    with pytest.raises(ValueError, match="At least one of"):
        CertificateRequestAttributes()
    with pytest.raises(ValueError):
        PrivateKey.generate(key_size=521, key_algorithm="ecdsa")
    with pytest.raises(ValueError):
        PrivateKey.generate(key_algorithm="dsa")
    with pytest.raises(ValueError):
        PrivateKey(raw="junk")
    with pytest.raises(ValueError):
        PrivateKey()
    with pytest.raises(TLSCertificatesError, match="Could not load certificate"):
        Certificate.from_string("junk")
    with pytest.raises(ValueError):
        Certificate(raw="junk")
    with pytest.raises(TLSCertificatesError, match="Could not load CSR"):
        CertificateSigningRequest.from_string("junk")
    with pytest.raises(ValueError):
        tls.calculate_relative_datetime(datetime.now(timezone.utc), 1.5)
    # Errors are kpki's too.
    assert issubclass(TLSCertificatesError, kpki.KpkiError)
    assert issubclass(tls.DataValidationError, TLSCertificatesError)
    ed = PrivateKey(raw=kpki.PrivateKey.generate("ed25519").to_pem())
    assert not ed.is_valid()
    with pytest.raises(TLSCertificatesError):
        _ = ed.algorithm


def test_deprecated_functions_warn_and_work() -> None:
    with pytest.warns(DeprecationWarning, match="generate_private_key"):
        key = tls.generate_private_key()
    with pytest.warns(DeprecationWarning, match="generate_ca"):
        ca = tls.generate_ca(key, timedelta(days=1), "ca", sans_dns=frozenset({"ca.example"}))
    assert ca.is_ca and ca.sans_dns == {"ca.example"}
    with pytest.warns(DeprecationWarning, match="generate_csr"):
        csr = tls.generate_csr(key, "leaf", organization="O")
    with pytest.warns(DeprecationWarning, match="generate_certificate"):
        cert = tls.generate_certificate(csr, ca, key, timedelta(hours=1))
    assert cert.organization == "O"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PrivateKey.generate()


def test_relation_names_say_how_to_get_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from kpki import _tls_relations

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_tls_relations.metadata, "version", missing)
    with pytest.raises(ImportError, match=r"pip install 'kpki\[charm\]'"):
        _tls_relations._load(tls)
    monkeypatch.setattr(_tls_relations.metadata, "version", lambda name: "1.11.0")
    with pytest.raises(ImportError, match="installed: 1.11.0"):
        _tls_relations._load(tls)
    with pytest.raises(AttributeError):
        _ = tls.NoSuchName


@pytest.fixture
def served(tmp_path: Path, ca: tuple[Certificate, PrivateKey]) -> Iterator[tuple[Path, str]]:
    ca_cert, ca_key = ca
    key = PrivateKey.generate(key_algorithm="ecdsa")
    cert = CertificateRequestAttributes(common_name="unit-0", sans_dns=["unit-0.svc"]).generate_csr(
        key
    ).sign(ca_cert, ca_key, timedelta(days=1))
    (tmp_path / "cert.pem").write_text(cert.raw + "\n")
    (tmp_path / "key.pem").write_text(key.raw + "\n")
    (tmp_path / "ca.pem").write_text(ca_cert.raw + "\n")
    yield tmp_path, "unit-0.svc"


def handshake(d: Path, host: str) -> list[BaseException]:
    """One TLS connection: a server with the facade's certificate, a client trusting the
    facade's CA and checking `host`; echoes 5 bytes. Returns the server's errors."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    client_ctx = ssl.create_default_context(cafile=str(d / "ca.pem"))
    a, b = socket.socketpair()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(a, server_side=True) as s:
                s.sendall(s.recv(5))
        except (OSError, ssl.SSLError) as e:  # reported to the caller
            errors.append(e)

    t = threading.Thread(target=serve)
    t.start()
    try:
        with client_ctx.wrap_socket(b, server_hostname=host) as c:
            c.sendall(b"hello")
            assert c.recv(5) == b"hello"
    finally:
        b.close()
        t.join()
        a.close()
    return errors


def test_a_real_tls_handshake_with_what_the_facade_issues(served: tuple[Path, str]) -> None:
    """OpenSSL (through Python's ssl) verifies the chain and the host name."""
    d, host = served
    assert handshake(d, host) == []
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(d, "other.svc")
