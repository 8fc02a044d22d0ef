"""The certificate classes of the charm library ``tls_certificates_interface`` v4, on kpki.

Charm code switches by changing one import::

    # from charms.tls_certificates_interface.v4.tls_certificates import (
    from kpki.tls_certificates import (
        Certificate, CertificateRequestAttributes, CertificateSigningRequest, PrivateKey,
    )

    ca_key = PrivateKey.generate()
    ca = Certificate.generate_self_signed_ca(
        CertificateRequestAttributes(common_name="my-ca"), ca_key, timedelta(days=365))
    key = PrivateKey.generate()
    csr = CertificateSigningRequest.generate(
        CertificateRequestAttributes(common_name="unit-0", sans_dns=["unit-0.svc"]), key)
    cert = csr.sign(ca, ca_key, timedelta(days=90))
    assert cert.matches_private_key(key)

Only the certificate, key and CSR classes are provided; the relation machinery
(``TLSCertificatesRequiresV4``/``ProvidesV4``, events, ``ProviderCertificate``) stays in
the charm library, which can be handed these objects' ``.raw`` PEM.

Where behaviour deliberately differs from ``tls_certificates_interface`` v4:

- **Any key algorithm.** ``PrivateKey.generate(algorithm="ecdsa-p256")`` (also
  ``ecdsa-p384``, ``ed25519``, RSA 2048/3072/4096); v4 knows only RSA, and its
  ``is_valid()``/``matches_private_key()`` return False for anything else. Here every
  supported key is valid and matches by its public key.
- **Several organizations.** ``CertificateRequestAttributes(organizations=[...])`` writes
  one O per entry (Kubernetes reads each O as a group); v4 takes one ``organization``.
- **Correct extended key usages.** Signed certificates carry ``serverAuth`` and
  ``clientAuth`` (what a TLS certificate of a charm is used for) or exactly the
  ``usages`` asked for; v4 sets no extendedKeyUsage at all. keyUsage is digitalSignature
  (+ keyEncipherment for RSA keys); CA certificates get keyCertSign.
- **Backdating.** ``not_valid_before`` is now − 5 minutes (tolerates clock skew between
  units, as kubeadm does); v4 starts at now. A certificate never outlives its CA.
- **Subject = CN and O only.** kpki writes only CN and O (all Kubernetes reads);
  ``organizational_unit``, ``country_name``, ``state_or_province_name``,
  ``locality_name``, ``email_address``, ``sans_oid`` and
  ``additional_critical_extensions`` are refused with ``TLSCertificatesError`` rather
  than silently dropped, and the random ``x500UniqueIdentifier`` v4 adds by default
  (``add_unique_id_to_subject_name``) is not written. The corresponding read-side
  properties return ``None``.
- **Issuer name.** A signed certificate's issuer is the CA's subject (v4 copies the
  CA's *issuer*, which is only the same for a self-signed CA).
- **Self-signed CA.** Subject is ``CN=<common_name>`` only, with the CN as DNS SAN when
  it is a valid DNS name, as kubeadm's CAs (keyUsage digitalSignature, keyCertSign, and
  keyEncipherment for RSA); SANs other than that are not written.
- **A common name is required** (kpki refuses an empty CN); v4 allows SAN-only requests.
- ``sign(..., is_ca=True)`` (an intermediate CA from a CSR) is refused: kpki issues
  intermediates with ``kpki.CertificateAuthority.intermediate`` from the key.
- Errors are ``kpki`` exceptions; ``TLSCertificatesError`` is ``kpki.KpkiError``, so
  ``except TLSCertificatesError`` catches them all.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Collection, List, Optional, Set, Union

import kpki

__all__ = [
    "Certificate",
    "CertificateRequestAttributes",
    "CertificateSigningRequest",
    "PrivateKey",
    "TLSCertificatesError",
]

TLSCertificatesError = kpki.KpkiError
"""Base of every error (an alias of ``kpki.KpkiError``)."""

_RSA_SIZES = {2048: "rsa-2048", 3072: "rsa-3072", 4096: "rsa-4096"}


def _unsupported(what: str) -> kpki.InvalidInputError:
    return kpki.InvalidInputError(
        f"{what} is not supported: kpki writes only CN and O in subjects (what Kubernetes reads)"
    )


class PrivateKey:
    """A private key (any algorithm kpki supports)."""

    def __init__(self, raw: Optional[str] = None, x509_object: object = None) -> None:
        """From PEM text (``raw``) or a ``cryptography`` private key (``x509_object``)."""
        if x509_object is not None:
            self._key = kpki.PrivateKey.from_cryptography(x509_object)  # type: ignore[arg-type]
        elif raw:
            self._key = kpki.PrivateKey.from_pem(raw)
        else:
            raise ValueError("Either raw private key string or x509_object must be provided")

    @classmethod
    def _wrap(cls, key: kpki.PrivateKey) -> PrivateKey:
        obj = cls.__new__(cls)
        obj._key = key
        return obj

    def to_kpki(self) -> kpki.PrivateKey:
        """The underlying ``kpki.PrivateKey``."""
        return self._key

    @property
    def raw(self) -> str:
        """PEM: PKCS#1 for RSA, SEC1 for ECDSA (as v4's TraditionalOpenSSL), PKCS#8 for Ed25519."""
        return str(self)

    def __str__(self) -> str:
        return self._key.to_pem().strip()

    @classmethod
    def from_string(cls, private_key: str) -> PrivateKey:
        """From PEM text."""
        return cls(raw=private_key)

    def is_valid(self) -> bool:
        """True: every key kpki loads is usable (v4: RSA ≥ 2048 bits only)."""
        return True

    @classmethod
    def generate(
        cls,
        key_size: int = 2048,
        public_exponent: int = 65537,
        *,
        algorithm: Optional[str] = None,
    ) -> PrivateKey:
        """An RSA key of ``key_size`` bits (2048, 3072, 4096), or a key of ``algorithm``
        (``ecdsa-p256``, ``ecdsa-p384``, ``ed25519``, ``rsa-*``). The GIL is released
        while the key is generated."""
        if public_exponent != 65537:
            raise kpki.InvalidInputError(
                f"public_exponent {public_exponent}: only 65537 is supported"
            )
        if algorithm is None:
            if key_size not in _RSA_SIZES:
                raise kpki.InvalidInputError(
                    f"RSA key_size {key_size}: use 2048, 3072 or 4096 (or algorithm=...)"
                )
            algorithm = _RSA_SIZES[key_size]
        return cls._wrap(kpki.PrivateKey.generate(algorithm))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)


class Certificate:
    """An X.509 certificate."""

    def __init__(self, raw: Optional[str] = None, x509_object: object = None) -> None:
        """From PEM text (``raw``) or a ``cryptography.x509.Certificate``."""
        if x509_object is not None:
            self._cert = kpki.Certificate.from_cryptography(x509_object)  # type: ignore[arg-type]
        elif raw:
            self._cert = kpki.Certificate.from_pem(raw)
        else:
            raise ValueError("Either raw certificate string or x509_object must be provided")

    @classmethod
    def _wrap(cls, cert: kpki.Certificate) -> Certificate:
        obj = cls.__new__(cls)
        obj._cert = cert
        return obj

    def to_kpki(self) -> kpki.Certificate:
        """The underlying ``kpki.Certificate``."""
        return self._cert

    @property
    def raw(self) -> str:
        """PEM text (no trailing newline, as v4)."""
        return str(self)

    def __str__(self) -> str:
        return self._cert.to_pem().strip()

    @property
    def common_name(self) -> str:
        """The subject CN, or ``""``."""
        return self._cert.subject_common_name or ""

    @property
    def expiry_time(self) -> datetime:
        """notAfter (aware UTC)."""
        return self._cert.not_after

    @property
    def validity_start_time(self) -> datetime:
        """notBefore (aware UTC)."""
        return self._cert.not_before

    @property
    def is_ca(self) -> bool:
        """basicConstraints cA."""
        return self._cert.is_ca

    @property
    def sans_dns(self) -> Optional[Set[str]]:
        """DNS SANs, or ``None`` without any SAN."""
        return set(self._cert.dns_names) if self._has_sans() else None

    @property
    def sans_ip(self) -> Optional[Set[str]]:
        """IP SANs as text, or ``None`` without any SAN."""
        return {str(ip) for ip in self._cert.ip_addresses} if self._has_sans() else None

    @property
    def sans_oid(self) -> Optional[Set[str]]:
        """Always ``None``: kpki does not write registeredID SANs."""
        return None

    def _has_sans(self) -> bool:
        c = self._cert
        return bool(c.dns_names or c.ip_addresses or c.email_addresses or c.uris)

    @property
    def organization(self) -> Optional[str]:
        """The first O, or ``None``."""
        orgs = self._cert.organizations
        return orgs[0] if orgs else None

    @property
    def organizations(self) -> List[str]:
        """Every O, in order (kpki addition)."""
        return self._cert.organizations

    @property
    def email_address(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    @property
    def organizational_unit(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    @property
    def country_name(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    @property
    def state_or_province_name(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    @property
    def locality_name(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    @classmethod
    def from_string(cls, certificate: str) -> Certificate:
        """From PEM text; raises ``TLSCertificatesError`` (``kpki.DecodeError``) if bad."""
        return cls._wrap(kpki.Certificate.from_pem(certificate))

    def matches_private_key(self, private_key: PrivateKey) -> bool:
        """Whether ``private_key`` is this certificate's key (any algorithm)."""
        return private_key.to_kpki().matches(self._cert)

    @classmethod
    def generate(
        cls,
        csr: CertificateSigningRequest,
        ca: Certificate,
        ca_private_key: PrivateKey,
        validity: timedelta,
        is_ca: bool = False,
    ) -> Certificate:
        """Signs ``csr`` with the CA (see ``CertificateSigningRequest.sign``)."""
        return csr.sign(ca, ca_private_key, validity, is_ca=is_ca)

    @classmethod
    def generate_self_signed_ca(
        cls,
        attributes: CertificateRequestAttributes,
        private_key: PrivateKey,
        validity: timedelta,
    ) -> Certificate:
        """A self-signed CA certificate for ``attributes.common_name``."""
        attributes._check_supported()
        if attributes.organizations:
            raise _unsupported("organization on a CA certificate")
        if not attributes.common_name:
            raise kpki.InvalidInputError("a CA certificate needs a common_name")
        ca = kpki.CertificateAuthority.root(
            attributes.common_name, private_key.to_kpki(), validity=validity
        )
        return cls._wrap(ca.certificate)


class CertificateSigningRequest:
    """A PKCS#10 certificate signing request (its signature is verified on load)."""

    def __init__(self, raw: Optional[str] = None, x509_object: object = None) -> None:
        """From PEM text (``raw``) or a ``cryptography.x509.CertificateSigningRequest``."""
        if x509_object is not None:
            self._csr = kpki.Csr.from_cryptography(x509_object)  # type: ignore[arg-type]
        elif raw:
            self._csr = kpki.Csr.from_pem(raw)
        else:
            raise ValueError("Either raw CSR string or x509_object must be provided")

    @classmethod
    def _wrap(cls, csr: kpki.Csr) -> CertificateSigningRequest:
        obj = cls.__new__(cls)
        obj._csr = csr
        return obj

    def to_kpki(self) -> kpki.Csr:
        """The underlying ``kpki.Csr``."""
        return self._csr

    @property
    def common_name(self) -> str:
        """The subject CN, or ``""``."""
        return self._csr.common_name or ""

    @property
    def sans_dns(self) -> Set[str]:
        """Requested DNS SANs."""
        return set(self._csr.dns_names)

    @property
    def sans_ip(self) -> Set[str]:
        """Requested IP SANs as text."""
        return {str(ip) for ip in self._csr.ip_addresses}

    @property
    def sans_oid(self) -> Set[str]:
        """Always empty (kpki does not request registeredID SANs)."""
        return set()

    @property
    def email_address(self) -> Optional[str]:
        """Always ``None`` (kpki writes only CN and O)."""
        return None

    @property
    def organization(self) -> Optional[str]:
        """The first O, or ``None``."""
        orgs = self._csr.organizations
        return orgs[0] if orgs else None

    @property
    def organizations(self) -> List[str]:
        """Every O, in order (kpki addition)."""
        return self._csr.organizations

    @property
    def raw(self) -> str:
        """PEM text (no trailing newline)."""
        return str(self)

    def __str__(self) -> str:
        return self._csr.to_pem().strip()

    @classmethod
    def from_string(cls, csr: str) -> CertificateSigningRequest:
        """From PEM text; raises ``TLSCertificatesError`` (``kpki.DecodeError``) if bad."""
        return cls(raw=csr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CertificateSigningRequest):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def matches_certificate(self, certificate: Certificate) -> bool:
        """Whether ``certificate`` certifies this request's key."""
        return self._csr.matches(certificate.to_kpki())

    def matches_private_key(self, key: PrivateKey) -> bool:
        """Whether ``key`` is this request's key (any algorithm)."""
        return self._csr.matches(key.to_kpki())

    def get_sha256_hex(self) -> str:
        """SHA-256 of the PEM text, hex."""
        return hashlib.sha256(self.raw.encode()).hexdigest()

    def sign(
        self,
        ca: Certificate,
        ca_private_key: PrivateKey,
        validity: timedelta,
        is_ca: bool = False,
        *,
        usages: Optional[Collection[str]] = None,
    ) -> Certificate:
        """Signs this request with ``ca``/``ca_private_key`` for ``validity``: subject and
        DNS/IP SANs from the request, EKUs serverAuth + clientAuth (or exactly
        ``usages``, Kubernetes names such as ``"client auth"``), backdated 5 minutes,
        never past the CA's notAfter."""
        if is_ca:
            raise kpki.InvalidInputError(
                "is_ca=True is not supported: issue intermediate CAs with "
                "kpki.CertificateAuthority.intermediate()"
            )
        authority = kpki.CertificateAuthority.from_pem(ca.to_kpki(), ca_private_key.to_kpki())
        identity = kpki.Identity(self._csr.common_name or "", self._csr.organizations)
        names: List[Union[str, object]] = [*self._csr.dns_names, *self._csr.ip_addresses]
        cert = authority.issue(
            identity,
            self._csr.public_key,
            profile="server-and-client",
            sans=names,  # type: ignore[arg-type]
            validity=validity,
            usages=list(usages) if usages is not None else None,
        )
        return Certificate._wrap(cert)

    @classmethod
    def generate(
        cls,
        attributes: CertificateRequestAttributes,
        private_key: PrivateKey,
    ) -> CertificateSigningRequest:
        """A CSR for ``attributes`` signed with ``private_key``."""
        attributes._check_supported()
        identity = kpki.Identity(attributes.common_name, attributes.organizations)
        sans = [*(attributes.sans_dns or ()), *(attributes.sans_ip or ())]
        return cls._wrap(kpki.Csr.generate(identity, private_key.to_kpki(), sans))


class CertificateRequestAttributes:
    """What to request: CN, SANs, organization(s)."""

    def __init__(
        self,
        common_name: Optional[str] = None,
        sans_dns: Optional[Collection[str]] = None,
        sans_ip: Optional[Collection[str]] = None,
        sans_oid: Optional[Collection[str]] = None,
        email_address: Optional[str] = None,
        organization: Optional[str] = None,
        organizational_unit: Optional[str] = None,
        country_name: Optional[str] = None,
        state_or_province_name: Optional[str] = None,
        locality_name: Optional[str] = None,
        is_ca: bool = False,
        add_unique_id_to_subject_name: bool = True,
        additional_critical_extensions: Optional[Collection[object]] = None,
        *,
        organizations: Optional[Collection[str]] = None,
    ) -> None:
        if not common_name and not sans_dns and not sans_ip and not sans_oid:
            raise ValueError(
                "At least one of common_name, sans_dns, sans_ip, or sans_oid must be provided"
            )
        if organization is not None and organizations is not None:
            raise ValueError("pass organization or organizations, not both")
        self._common_name = common_name
        self._sans_dns = set(sans_dns) if sans_dns else None
        self._sans_ip = set(sans_ip) if sans_ip else None
        self._sans_oid = set(sans_oid) if sans_oid else None
        self._email_address = email_address
        self._organizations = (
            list(organizations)
            if organizations is not None
            else ([organization] if organization else [])
        )
        self._organizational_unit = organizational_unit
        self._country_name = country_name
        self._state_or_province_name = state_or_province_name
        self._locality_name = locality_name
        self._is_ca = is_ca
        self._add_unique_id_to_subject_name = add_unique_id_to_subject_name
        self._additional_critical_extensions = list(additional_critical_extensions or [])

    def _check_supported(self) -> None:
        for name, value in [
            ("sans_oid", self._sans_oid),
            ("email_address", self._email_address),
            ("organizational_unit", self._organizational_unit),
            ("country_name", self._country_name),
            ("state_or_province_name", self._state_or_province_name),
            ("locality_name", self._locality_name),
            ("additional_critical_extensions", self._additional_critical_extensions),
        ]:
            if value:
                raise _unsupported(name)

    @property
    def common_name(self) -> str:
        """The CN, or ``""``."""
        return self._common_name or ""

    @property
    def sans_dns(self) -> Optional[Set[str]]:
        """DNS SANs."""
        return self._sans_dns

    @property
    def sans_ip(self) -> Optional[Set[str]]:
        """IP SANs."""
        return self._sans_ip

    @property
    def sans_oid(self) -> Optional[Set[str]]:
        """registeredID SANs (refused when generating)."""
        return self._sans_oid

    @property
    def email_address(self) -> Optional[str]:
        """Email (refused when generating)."""
        return self._email_address

    @property
    def organization(self) -> Optional[str]:
        """The first organization."""
        return self._organizations[0] if self._organizations else None

    @property
    def organizations(self) -> List[str]:
        """Every organization (kpki addition)."""
        return list(self._organizations)

    @property
    def organizational_unit(self) -> Optional[str]:
        """OU (refused when generating)."""
        return self._organizational_unit

    @property
    def country_name(self) -> Optional[str]:
        """C (refused when generating)."""
        return self._country_name

    @property
    def state_or_province_name(self) -> Optional[str]:
        """ST (refused when generating)."""
        return self._state_or_province_name

    @property
    def locality_name(self) -> Optional[str]:
        """L (refused when generating)."""
        return self._locality_name

    @property
    def is_ca(self) -> bool:
        """Whether a CA certificate is wanted."""
        return self._is_ca

    @property
    def add_unique_id_to_subject_name(self) -> bool:
        """Accepted for compatibility; kpki never writes a unique identifier."""
        return self._add_unique_id_to_subject_name

    @property
    def additional_critical_extensions(self) -> List[object]:
        """Extra critical extensions (refused when generating)."""
        return list(self._additional_critical_extensions)

    def is_valid(self) -> bool:
        """At least one of CN or a SAN is set."""
        return bool(self._common_name or self._sans_dns or self._sans_ip or self._sans_oid)

    def generate_csr(self, private_key: PrivateKey) -> CertificateSigningRequest:
        """``CertificateSigningRequest.generate(self, private_key)``."""
        return CertificateSigningRequest.generate(self, private_key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CertificateRequestAttributes):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:  # type: ignore[type-arg]
        return (
            self._common_name,
            frozenset(self._sans_dns or ()),
            frozenset(self._sans_ip or ()),
            frozenset(self._sans_oid or ()),
            self._email_address,
            tuple(self._organizations),
            self._organizational_unit,
            self._country_name,
            self._state_or_province_name,
            self._locality_name,
            self._is_ca,
            self._add_unique_id_to_subject_name,
        )
