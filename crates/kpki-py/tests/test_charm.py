"""kpki.tls_certificates used the way a charm uses tls_certificates_interface v4: a
self-signed CA in a provider charm, a requirer unit's key and CSR, signing, and the
checks a requirer runs on what it gets back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509

from conftest import verify_client, verify_server
from kpki.tls_certificates import (
    Certificate,
    CertificateRequestAttributes,
    CertificateSigningRequest,
    PrivateKey,
    TLSCertificatesError,
)


class ProviderCharm:
    """A self-signed-certificates-style provider: one CA, signs what requirers send."""

    def __init__(self) -> None:
        self.ca_key = PrivateKey.generate()
        self.ca = Certificate.generate_self_signed_ca(
            attributes=CertificateRequestAttributes(common_name="self-signed-ca"),
            private_key=self.ca_key,
            validity=timedelta(days=365),
        )

    def on_certificate_request(self, csr_pem: str) -> str:
        csr = CertificateSigningRequest.from_string(csr_pem)
        return csr.sign(ca=self.ca, ca_private_key=self.ca_key, validity=timedelta(days=90)).raw


class RequirerUnit:
    def __init__(self, unit: str) -> None:
        self.private_key = PrivateKey.generate(algorithm="ecdsa-p256")  # not possible in v4
        self.attributes = CertificateRequestAttributes(
            common_name=f"{unit}.db.svc",
            sans_dns=[f"{unit}.db.svc", "db.svc"],
            sans_ip=["10.1.2.3"],
            organizations=["db", "backup"],  # several O: not possible in v4
        )
        self.csr = CertificateSigningRequest.generate(self.attributes, self.private_key)

    def on_certificate_available(self, certificate_pem: str, ca_pem: str) -> Certificate:
        certificate = Certificate.from_string(certificate_pem)
        ca = Certificate.from_string(ca_pem)
        assert certificate.matches_private_key(self.private_key)
        assert self.csr.matches_certificate(certificate)
        assert not certificate.matches_private_key(PrivateKey.generate())
        return certificate


def test_a_provider_signs_a_requirers_csr() -> None:
    provider = ProviderCharm()
    unit = RequirerUnit("db-0")
    assert unit.csr.matches_private_key(unit.private_key)
    cert_pem = provider.on_certificate_request(unit.csr.raw)
    cert = unit.on_certificate_available(cert_pem, provider.ca.raw)

    assert cert.common_name == "db-0.db.svc"
    assert cert.sans_dns == {"db-0.db.svc", "db.svc"}
    assert cert.sans_ip == {"10.1.2.3"}
    assert cert.organization == "db" and cert.organizations == ["db", "backup"]
    assert not cert.is_ca and provider.ca.is_ca
    now = datetime.now(timezone.utc)
    assert cert.validity_start_time <= now - timedelta(minutes=4)  # backdated
    assert timedelta(days=89) < cert.expiry_time - now <= timedelta(days=90)
    # Correct EKUs: the certificate works as TLS server and as TLS client.
    ca = provider.ca.to_kpki().to_cryptography()
    leaf = x509.load_pem_x509_certificate(cert.raw.encode())
    verify_server(leaf, [ca], "db-0.db.svc")
    verify_client(leaf, [ca])
    # Objects behave like v4's: str() is the PEM, equality by PEM.
    assert str(cert) == cert.raw and Certificate.from_string(cert.raw) == cert
    assert len({cert, Certificate.from_string(cert.raw)}) == 1
    assert PrivateKey.from_string(unit.private_key.raw) == unit.private_key
    assert CertificateSigningRequest.from_string(unit.csr.raw) == unit.csr


def test_v4_defaults_still_work_rsa_single_org() -> None:
    provider = ProviderCharm()
    key = PrivateKey.generate()
    assert key.raw.startswith("-----BEGIN RSA PRIVATE KEY-----") and key.is_valid()
    attrs = CertificateRequestAttributes(common_name="app", sans_dns=["app"], organization="acme")
    csr = attrs.generate_csr(key)
    assert csr.organization == "acme" and csr.sans_dns == {"app"}
    cert = Certificate.generate(csr, provider.ca, provider.ca_key, timedelta(days=30))
    assert cert.organization == "acme" and cert.matches_private_key(key)


def test_unsupported_attributes_and_bad_input_raise_tls_errors() -> None:
    key = PrivateKey.generate(algorithm="ed25519")
    with pytest.raises(TLSCertificatesError, match="country_name"):
        CertificateSigningRequest.generate(
            CertificateRequestAttributes(common_name="x", country_name="US"), key
        )
    with pytest.raises(TLSCertificatesError):
        Certificate.from_string("not a certificate")
    with pytest.raises(TLSCertificatesError):
        CertificateSigningRequest.from_string("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
    with pytest.raises(ValueError):
        CertificateRequestAttributes()
    provider = ProviderCharm()
    csr = CertificateSigningRequest.generate(CertificateRequestAttributes(common_name="y"), key)
    with pytest.raises(TLSCertificatesError):
        csr.sign(provider.ca, PrivateKey.generate(), timedelta(days=1))  # wrong CA key
