"""A drop-in for the charm TLS library, on kpki.

It targets ``charmlibs-interfaces-tls-certificates`` **1.12** (PyPI; the Charmhub
``tls_certificates_interface`` v4 that it continues). A charm switches by changing one
import::

    # from charmlibs.interfaces.tls_certificates import (
    from kpki.tls_certificates import (
        Certificate, CertificateRequestAttributes, CertificateSigningRequest, PrivateKey,
    )

    ca_key = PrivateKey.generate()
    ca = Certificate.generate_self_signed_ca(
        CertificateRequestAttributes(common_name="my-ca"), ca_key, timedelta(days=365))
    key = PrivateKey.generate(key_algorithm="ecdsa")
    csr = CertificateSigningRequest.generate(
        CertificateRequestAttributes(common_name="unit-0", sans_dns=["unit-0.svc"]), key)
    cert = csr.sign(ca, ca_key, timedelta(days=90))
    assert cert.matches_private_key(key)

Every public name of the library is here with its signature, defaults, ``str()``,
equality, hashing and exceptions, and certificates carry the library's fields: the same
subject attributes (with the random ``x500UniqueIdentifier`` the library adds unless
``add_unique_id_to_subject_name=False``), SANs (DNS, IP, OID, email), extensions
(authority/subject key identifiers, basic constraints, key usages) and validity (now to
now + validity, read through this module's ``datetime``, so a test can patch it). Keys,
CSRs and certificates are made by kpki's core (Rust, through ``kpki._kpki``), not by
``cryptography``; ``cryptography`` is imported only to return the
``cryptography.x509.ExtensionType`` objects of ``additional_critical_extensions`` and for
the ``x509_object=`` arguments, as the library takes them.

The relation classes (``TLSCertificatesRequiresV4``, ``TLSCertificatesProvidesV4``, their
events, ``CertificateError``, ``ProviderCapabilities``) need ``ops`` and ``pydantic``:
install ``kpki[charm]``. They are the pinned library's own relation code, loaded as a
private copy whose certificate, key and CSR classes are these
(``kpki._tls_relations``): the relation data, secret labels and upgrade paths are the
library's exactly, so a kpki charm and a library charm talk to each other, and the
crypto underneath is kpki's.

Where this differs from the library, each on purpose:

- **Issuer.** A signed certificate's issuer is the CA's subject. The library copies the
  CA's *issuer*: the same for a self-signed CA, but for an intermediate it gives
  certificates that no verifier chains (``openssl verify`` fails).
- **Key sizes.** RSA 2048, 3072 and 4096 and ECDSA P-256 and P-384, the sizes the library
  documents as supported (``KeyAlgorithm``). Other sizes (RSA-1024, RSA-2049, P-521) are
  refused with ``ValueError`` when generated or loaded; the library loads them and its
  ``is_valid()`` says False. Ed25519 keys load, and ``is_valid()`` is False for them as in
  the library.
- **CSRs are verified.** A CSR whose self-signature does not verify is refused on load
  (``TLSCertificatesError``, as for unreadable CSRs); the library signs it.
- **Text a DER encoder cannot write faithfully is refused** (``ValueError``): a non-ASCII
  email address or DNS name. The library writes their UTF-8 bytes into an IA5String.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import sys
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, Collection, Dict, List, Optional, Set, Tuple

import kpki

if TYPE_CHECKING:  # pragma: no cover - typing only
    from cryptography import x509

__all__ = [
    "Certificate",
    "CertificateAvailableEvent",
    "CertificateDeniedEvent",
    "CertificateError",
    "CertificateRequestAttributes",
    "CertificateRequestErrorCode",
    "CertificateSigningRequest",
    "CertificatesRequirerCharmEvents",
    "DataValidationError",
    "KeyAlgorithm",
    "Mode",
    "PrivateKey",
    "ProviderCapabilities",
    "ProviderCertificate",
    "ProviderCertificateError",
    "RequirerCertificateRequest",
    "TLSCertificatesError",
    "TLSCertificatesProvidesV4",
    "TLSCertificatesRequiresV4",
    "calculate_relative_datetime",
    "chain_has_valid_order",
    "generate_ca",
    "generate_certificate",
    "generate_csr",
    "generate_private_key",
]

LIBRARY = "charmlibs-interfaces-tls-certificates"
"""The library this module stands in for."""
LIBRARY_VERSION = "1.12"
"""The version of it whose behaviour this module has (and whose relation code it loads)."""

LIBID = "afd8c2bccf834997afce12c2706d2ede"
"""The library's ID (secret labels are made from it)."""

logger = logging.getLogger(__name__)

NESTED_JSON_KEY = "owasp_event"


class TLSCertificatesError(kpki.KpkiError):
    """Base class for the errors of this module (a ``kpki.KpkiError``)."""


class DataValidationError(TLSCertificatesError):
    """Relation data that does not validate."""


@dataclass
class _OWASPLogEvent:
    """A security event, logged as the library logs it (OWASP format)."""

    datetime: str
    event: str
    level: str
    description: str
    type: str = "security"
    labels: Dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> Dict[str, str]:
        log_event = dict(asdict(self), **self.labels)
        log_event.pop("labels", None)
        return {k: v for k, v in log_event.items() if v is not None}


class _OWASPLogger:
    """Logs the library's security events (key and certificate generation)."""

    def __init__(self, application: Optional[str] = None) -> None:
        self.application = application
        self._logger = logging.getLogger(__name__)

    def log_event(self, event: str, level: int, description: str, **labels: str) -> None:
        if self.application and "application" not in labels:
            labels["application"] = self.application
        log = _OWASPLogEvent(
            datetime=datetime.now(timezone.utc).astimezone().isoformat(),
            event=event,
            level=logging.getLevelName(level),
            description=description,
            labels=labels,
        )
        self._logger.log(level, log.to_json(), extra={NESTED_JSON_KEY: log.to_dict()})


class CertificateRequestErrorCode(int, Enum):
    """Error codes for failed certificate requests.

    1XX: CSR errors; 2XX: server errors; 9XX: other errors.
    """

    IP_NOT_ALLOWED = 101
    DOMAIN_NOT_ALLOWED = 102
    WILDCARD_NOT_ALLOWED = 103
    SERVER_NOT_AVAILABLE = 201
    OTHER = 999


class Mode(Enum):
    """Whether certificates are requested for the unit, the application, or both."""

    UNIT = 1
    APP = 2
    APP_AND_UNIT = 3


class KeyAlgorithm(str, Enum):
    """The algorithm of a private key: RSA (2048, 3072, 4096) or ECDSA (256, 384)."""

    RSA = "rsa"
    ECDSA = "ecdsa"


_DEFAULT_KEY_SIZES: Dict[KeyAlgorithm, int] = {KeyAlgorithm.RSA: 2048, KeyAlgorithm.ECDSA: 256}
_SUPPORTED_KEY_SIZES: Dict[KeyAlgorithm, Tuple[int, ...]] = {
    KeyAlgorithm.RSA: (2048, 3072, 4096),
    KeyAlgorithm.ECDSA: (256, 384),
}
# kpki's algorithm names: (library algorithm, size).
_KPKI_ALGORITHMS: Dict[str, Tuple[KeyAlgorithm, int]] = {
    "rsa-2048": (KeyAlgorithm.RSA, 2048),
    "rsa-3072": (KeyAlgorithm.RSA, 3072),
    "rsa-4096": (KeyAlgorithm.RSA, 4096),
    "ecdsa-p256": (KeyAlgorithm.ECDSA, 256),
    "ecdsa-p384": (KeyAlgorithm.ECDSA, 384),
}
_OID_SAN = "2.5.29.17"


class PrivateKey:
    """A private key."""

    _key: kpki.PrivateKey

    def __init__(self, raw: Optional[str] = None, x509_object: Any = None) -> None:
        """From PEM text (``raw``) or a ``cryptography`` private key (``x509_object``,
        which takes precedence)."""
        if x509_object:
            self._key = kpki.PrivateKey.from_cryptography(x509_object)
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
    def _private_key(self) -> Any:
        """The key as a ``cryptography`` object (for code that reaches into the
        library's private attribute; needs ``cryptography``)."""
        return self._key.to_cryptography()

    @property
    def raw(self) -> str:
        """The PEM text of the key."""
        return str(self)

    def __str__(self) -> str:
        """PEM: PKCS#1 for RSA and SEC1 for ECDSA (``TraditionalOpenSSL``), stripped."""
        return self._key.to_pem().strip()

    @classmethod
    def from_string(cls, private_key: str) -> PrivateKey:
        """From PEM text."""
        return cls(raw=private_key)

    @property
    def algorithm(self) -> KeyAlgorithm:
        """RSA or ECDSA; ``TLSCertificatesError`` for another algorithm."""
        known = _KPKI_ALGORITHMS.get(self._key.algorithm)
        if known is None:
            raise TLSCertificatesError("Unsupported private key algorithm")
        return known[0]

    @property
    def key_size(self) -> int:
        """The size in bits (RSA modulus, EC curve); ``TLSCertificatesError`` for
        another algorithm."""
        known = _KPKI_ALGORITHMS.get(self._key.algorithm)
        if known is None:
            raise TLSCertificatesError("Unsupported private key algorithm")
        return known[1]

    def is_valid(self) -> bool:
        """True for an RSA key of at least 2048 bits or an ECDSA P-256/P-384 key."""
        if self._key.algorithm in _KPKI_ALGORITHMS:
            return True
        logger.warning("Private key must be RSA or ECDSA P-256/P-384")
        return False

    @classmethod
    def generate(
        cls,
        key_size: Optional[int] = None,
        public_exponent: int = 65537,
        key_algorithm: KeyAlgorithm | str = KeyAlgorithm.RSA,
    ) -> PrivateKey:
        """A new RSA (default 2048 bits) or ECDSA (default P-256) key. The GIL is
        released while it is generated.

        Raises:
            ValueError: an unknown algorithm, or a size that is not supported.
        """
        algorithm = KeyAlgorithm(key_algorithm)
        if key_size is None:
            key_size = _DEFAULT_KEY_SIZES[algorithm]
        if algorithm == KeyAlgorithm.ECDSA and key_size not in (256, 384):
            raise ValueError("ECDSA key size must be 256 or 384 bits")
        if algorithm == KeyAlgorithm.RSA:
            if public_exponent != 65537:
                raise ValueError(f"public_exponent {public_exponent}: kpki uses 65537")
            if key_size not in _SUPPORTED_KEY_SIZES[KeyAlgorithm.RSA]:
                raise ValueError(f"RSA key size {key_size}: use 2048, 3072 or 4096 bits")
            name = f"rsa-{key_size}"
        else:
            name = f"ecdsa-p{key_size}"
        key = cls._wrap(kpki.PrivateKey.generate(name))
        _OWASPLogger().log_event(
            event="private_key_generated",
            level=logging.INFO,
            description="Private key generated",
            key_size=str(key_size),
        )
        return key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)


class _Fields:
    """What a certificate or CSR holds, read once by the core (``kpki.TlsFields``)."""

    def __init__(self, source: Any) -> None:
        fields = kpki.TlsFields.of(source)
        self.subject = fields.subject
        self.sans = fields.sans
        self.is_ca = fields.is_ca
        self.extensions = fields.extensions
        self.has_sans = any(oid == _OID_SAN for oid, _, _ in self.extensions)

    def first(self, attribute: str) -> Optional[str]:
        for name, value in self.subject:
            if name == attribute:
                return value
        return None

    def sans_of(self, kind: str) -> Set[str]:
        return {value for k, value in self.sans if k == kind}


class _Subject:
    """What a certificate and a CSR share: their fields, read once by the core, and the
    subject's attributes as the library exposes them."""

    _fields_cache: Optional[_Fields]

    def _source(self) -> Any:
        raise NotImplementedError

    @property
    def _fields(self) -> _Fields:
        if self._fields_cache is None:
            self._fields_cache = _Fields(self._source())
        return self._fields_cache

    @property
    def common_name(self) -> str:
        """The subject's CN, or ``""``."""
        return self._fields.first("CN") or ""

    @property
    def email_address(self) -> Optional[str]:
        """The subject's emailAddress."""
        return self._fields.first("emailAddress")

    @property
    def organization(self) -> Optional[str]:
        """The subject's first O."""
        return self._fields.first("O")

    @property
    def organizational_unit(self) -> Optional[str]:
        """The subject's OU."""
        return self._fields.first("OU")

    @property
    def country_name(self) -> Optional[str]:
        """The subject's C."""
        return self._fields.first("C")

    @property
    def state_or_province_name(self) -> Optional[str]:
        """The subject's ST."""
        return self._fields.first("ST")

    @property
    def locality_name(self) -> Optional[str]:
        """The subject's L."""
        return self._fields.first("L")


class Certificate(_Subject):
    """A certificate."""

    _certificate: kpki.Certificate

    def __init__(
        self,
        raw: Optional[str] = None,
        common_name: Optional[str] = None,
        expiry_time: Optional[datetime] = None,
        validity_start_time: Optional[datetime] = None,
        is_ca: Optional[bool] = None,
        sans_dns: Optional[Set[str]] = None,
        sans_ip: Optional[Set[str]] = None,
        sans_oid: Optional[Set[str]] = None,
        email_address: Optional[str] = None,
        organization: Optional[str] = None,
        organizational_unit: Optional[str] = None,
        country_name: Optional[str] = None,
        state_or_province_name: Optional[str] = None,
        locality_name: Optional[str] = None,
        x509_object: Any = None,
    ) -> None:
        """From PEM text (``raw``) or a ``cryptography.x509.Certificate``
        (``x509_object``, which takes precedence). The other arguments are the old
        interface's and are ignored, as in the library."""
        if x509_object:
            self._certificate = kpki.Certificate.from_cryptography(x509_object)
        elif raw:
            self._certificate = kpki.Certificate.from_pem(raw)
        else:
            raise ValueError("Either raw certificate string or x509_object must be provided")
        self._fields_cache: Optional[_Fields] = None

    @classmethod
    def _wrap(cls, certificate: kpki.Certificate) -> Certificate:
        obj = cls.__new__(cls)
        obj._certificate = certificate
        obj._fields_cache = None
        return obj

    def to_kpki(self) -> kpki.Certificate:
        """The underlying ``kpki.Certificate``."""
        return self._certificate

    def _source(self) -> kpki.Certificate:
        return self._certificate

    @property
    def _cert(self) -> Any:
        """The certificate as a ``cryptography.x509.Certificate`` (for code that reaches
        into the library's private attribute; needs ``cryptography``)."""
        return self._certificate.to_cryptography()

    @property
    def raw(self) -> str:
        """The PEM text of the certificate."""
        return str(self)

    @property
    def expiry_time(self) -> datetime:
        """notAfter (aware, UTC)."""
        return self._certificate.not_after

    @property
    def validity_start_time(self) -> datetime:
        """notBefore (aware, UTC)."""
        return self._certificate.not_before

    @property
    def is_ca(self) -> bool:
        """basicConstraints cA."""
        return self._fields.is_ca

    @property
    def sans_dns(self) -> Optional[Set[str]]:
        """The DNS SANs, or None without a subjectAltName."""
        return self._fields.sans_of("dns") if self._fields.has_sans else None

    @property
    def sans_ip(self) -> Optional[Set[str]]:
        """The IP SANs, or None without a subjectAltName."""
        return self._fields.sans_of("ip") if self._fields.has_sans else None

    @property
    def sans_oid(self) -> Optional[Set[str]]:
        """The registeredID SANs (dotted), or None without a subjectAltName."""
        return self._fields.sans_of("oid") if self._fields.has_sans else None







    def __str__(self) -> str:
        return self._certificate.to_pem().strip()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    @classmethod
    def from_string(cls, certificate: str) -> Certificate:
        """From PEM text; ``TLSCertificatesError`` if it cannot be read."""
        try:
            loaded = kpki.Certificate.from_pem(certificate)
        except ValueError as e:
            logger.error("Could not load certificate: %s", e)
            raise TLSCertificatesError("Could not load certificate") from None
        return cls._wrap(loaded)

    def matches_private_key(self, private_key: PrivateKey) -> bool:
        """Whether the certificate's public key is ``private_key``'s (RSA or ECDSA)."""
        try:
            key = private_key._key
            if key.algorithm not in _KPKI_ALGORITHMS:
                return False
            return self._certificate.public_key == key.public_key
        except Exception as e:  # as the library: any failure is "no match"
            logger.warning("Failed to validate certificate and private key match: %s", e)
            return False

    @classmethod
    def generate(
        cls,
        csr: CertificateSigningRequest,
        ca: Certificate,
        ca_private_key: PrivateKey,
        validity: timedelta,
        is_ca: bool = False,
    ) -> Certificate:
        """A certificate for ``csr``, signed by ``ca`` with ``ca_private_key``, valid from
        now for ``validity``."""
        now = datetime.now(timezone.utc)
        certificate = kpki.tls_sign(
            csr._csr_object, ca._certificate, ca_private_key._key, now, now + validity, is_ca
        )
        _OWASPLogger().log_event(
            event="certificate_generated",
            level=logging.INFO,
            description="Certificate generated from CSR",
            common_name=csr.common_name,
            is_ca=str(is_ca),
            validity_days=str(validity.days),
        )
        return cls._wrap(certificate)

    @classmethod
    def generate_self_signed_ca(
        cls,
        attributes: CertificateRequestAttributes,
        private_key: PrivateKey,
        validity: timedelta,
    ) -> Certificate:
        """A self-signed CA certificate for ``attributes``, valid from now for
        ``validity``."""
        sans: List[Tuple[str, str]] = []
        if attributes.email_address:
            sans.append(("email", attributes.email_address))
        sans.extend(("dns", s) for s in attributes.sans_dns or ())
        sans.extend(("ip", s) for s in attributes.sans_ip or ())
        sans.extend(("oid", s) for s in attributes.sans_oid or ())
        now = datetime.now(timezone.utc)
        cert = cls._wrap(
            kpki.tls_self_signed_ca(
                private_key._key, _subject(attributes), sans, now, now + validity
            )
        )
        _OWASPLogger().log_event(
            event="ca_certificate_generated",
            level=logging.INFO,
            description="CA certificate generated",
            common_name=cert.common_name,
            validity_days=str(validity.days),
        )
        return cert


def _subject(attributes: CertificateRequestAttributes) -> List[Tuple[str, str]]:
    """The subject the library writes for ``attributes``, attribute by attribute."""
    subject: List[Tuple[str, str]] = []
    if attributes.common_name:
        subject.append(("CN", attributes.common_name))
    if attributes.add_unique_id_to_subject_name:
        subject.append(("x500UniqueIdentifier", str(uuid.uuid4())))
    for name, value in (
        ("O", attributes.organization),
        ("OU", attributes.organizational_unit),
        ("emailAddress", attributes.email_address),
        ("C", attributes.country_name),
        ("ST", attributes.state_or_province_name),
        ("L", attributes.locality_name),
    ):
        if value:
            subject.append((name, value))
    return subject


class CertificateSigningRequest(_Subject):
    """A certificate signing request (its self-signature verified on load)."""

    _request: kpki.Csr

    def __init__(
        self,
        raw: Optional[str] = None,
        common_name: Optional[str] = None,
        sans_dns: Optional[Set[str]] = None,
        sans_ip: Optional[Set[str]] = None,
        sans_oid: Optional[Set[str]] = None,
        email_address: Optional[str] = None,
        organization: Optional[str] = None,
        organizational_unit: Optional[str] = None,
        country_name: Optional[str] = None,
        state_or_province_name: Optional[str] = None,
        locality_name: Optional[str] = None,
        has_unique_identifier: Optional[bool] = None,
        x509_object: Any = None,
    ) -> None:
        """From PEM text (``raw``) or a ``cryptography.x509.CertificateSigningRequest``
        (``x509_object``, which takes precedence); the other arguments are the old
        interface's and are ignored. ``TLSCertificatesError`` if ``raw`` cannot be read
        or its signature does not verify."""
        self._fields_cache: Optional[_Fields] = None
        if x509_object:
            self._request = kpki.Csr.from_cryptography(x509_object)
            return
        if raw:
            try:
                self._request = kpki.Csr.from_pem(raw)
            except ValueError as e:
                logger.error("Could not load CSR: %s", e)
                raise TLSCertificatesError("Could not load CSR") from None
            return
        raise ValueError("Either raw CSR string or x509_object must be provided")

    @classmethod
    def _wrap(cls, request: kpki.Csr) -> CertificateSigningRequest:
        obj = cls.__new__(cls)
        obj._request = request
        obj._fields_cache = None
        return obj

    def to_kpki(self) -> kpki.Csr:
        """The underlying ``kpki.Csr``."""
        return self._request

    def _source(self) -> kpki.Csr:
        return self._request

    @property
    def _csr_object(self) -> kpki.Csr:
        return self._request

    @property
    def _csr(self) -> Any:
        """The request as a ``cryptography.x509.CertificateSigningRequest`` (for code
        that reaches into the library's private attribute; needs ``cryptography``)."""
        return self._request.to_cryptography()

    @property
    def sans_dns(self) -> Set[str]:
        """The requested DNS SANs."""
        return self._fields.sans_of("dns")

    @property
    def sans_ip(self) -> Set[str]:
        """The requested IP SANs."""
        return self._fields.sans_of("ip")

    @property
    def sans_oid(self) -> Set[str]:
        """The requested registeredID SANs (dotted)."""
        return self._fields.sans_of("oid")

    @property
    def has_unique_identifier(self) -> bool:
        """Whether the subject has an x500UniqueIdentifier."""
        return self._fields.first("x500UniqueIdentifier") is not None

    @property
    def raw(self) -> str:
        """The PEM text of the request."""
        return self.__str__()

    def __str__(self) -> str:
        return self._request.to_pem().strip()

    @property
    def additional_critical_extensions(self) -> List[x509.ExtensionType]:
        """The critical extensions requested besides subjectAltName, as
        ``cryptography.x509.ExtensionType`` objects (needs ``cryptography`` when there
        are any)."""
        if not any(crit and oid != _OID_SAN for oid, crit, _ in self._fields.extensions):
            return []
        return [
            extension.value
            for extension in self._request.to_cryptography().extensions
            if extension.critical and extension.oid.dotted_string != _OID_SAN
        ]

    @classmethod
    def from_string(cls, csr: str) -> CertificateSigningRequest:
        """From PEM text."""
        return cls(raw=csr)

    @classmethod
    def from_csr(cls, csr: Any) -> CertificateSigningRequest:
        """From a ``cryptography.x509.CertificateSigningRequest``."""
        return cls(x509_object=csr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CertificateSigningRequest):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def matches_certificate(self, certificate: Certificate) -> bool:
        """Whether ``certificate`` has this request's public key."""
        return self._request.public_key == certificate._certificate.public_key

    def matches_private_key(self, key: PrivateKey) -> bool:
        """Whether this request's public key is ``key``'s (RSA or ECDSA)."""
        if key._key.algorithm not in _KPKI_ALGORITHMS:
            return False
        return self._request.public_key == key._key.public_key

    def get_sha256_hex(self) -> str:
        """The SHA-256 of the PEM text, in hex (the library's CSR fingerprint)."""
        return hashlib.sha256(self.raw.encode()).hexdigest()

    def sign(
        self, ca: Certificate, ca_private_key: PrivateKey, validity: timedelta, is_ca: bool = False
    ) -> Certificate:
        """A certificate for this request, signed by ``ca`` with ``ca_private_key``."""
        return Certificate.generate(
            csr=self, ca=ca, ca_private_key=ca_private_key, validity=validity, is_ca=is_ca
        )

    @classmethod
    def generate(
        cls,
        attributes: CertificateRequestAttributes,
        private_key: PrivateKey,
    ) -> CertificateSigningRequest:
        """A request for ``attributes``, signed with ``private_key``."""
        sans: List[Tuple[str, str]] = []
        sans.extend(("oid", s) for s in attributes.sans_oid or ())
        sans.extend(("ip", s) for s in attributes.sans_ip or ())
        sans.extend(("dns", s) for s in attributes.sans_dns or ())
        extensions = [
            (extension.oid.dotted_string, True, extension.public_bytes())
            for extension in attributes.additional_critical_extensions
        ]
        return cls._wrap(
            kpki.tls_csr(private_key._key, _subject(attributes), sans, extensions)
        )


class CertificateRequestAttributes:
    """What a certificate is requested for."""

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
        additional_critical_extensions: Optional[Collection[x509.ExtensionType]] = None,
    ) -> None:
        if not common_name and not sans_dns and not sans_ip and not sans_oid:
            raise ValueError(
                "At least one of common_name, sans_dns, sans_ip, or sans_oid must be provided"
            )
        self._common_name = common_name
        self._sans_dns = set(sans_dns) if sans_dns else None
        self._sans_ip = set(sans_ip) if sans_ip else None
        self._sans_oid = set(sans_oid) if sans_oid else None
        self._email_address = email_address
        self._organization = organization
        self._organizational_unit = organizational_unit
        self._country_name = country_name
        self._state_or_province_name = state_or_province_name
        self._locality_name = locality_name
        self._is_ca = is_ca
        self._add_unique_id_to_subject_name = add_unique_id_to_subject_name
        self._additional_critical_extensions = list(additional_critical_extensions or [])

    @property
    def common_name(self) -> str:
        """The CN, or ``""``."""
        return self._common_name if self._common_name else ""

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
        """registeredID SANs."""
        return self._sans_oid

    @property
    def email_address(self) -> Optional[str]:
        """emailAddress."""
        return self._email_address

    @property
    def organization(self) -> Optional[str]:
        """O."""
        return self._organization

    @property
    def organizational_unit(self) -> Optional[str]:
        """OU."""
        return self._organizational_unit

    @property
    def country_name(self) -> Optional[str]:
        """C."""
        return self._country_name

    @property
    def state_or_province_name(self) -> Optional[str]:
        """ST."""
        return self._state_or_province_name

    @property
    def locality_name(self) -> Optional[str]:
        """L."""
        return self._locality_name

    @property
    def is_ca(self) -> bool:
        """Whether a CA certificate is requested."""
        return self._is_ca

    @property
    def add_unique_id_to_subject_name(self) -> bool:
        """Whether a random x500UniqueIdentifier is added to the subject."""
        return self._add_unique_id_to_subject_name

    @property
    def additional_critical_extensions(self) -> List[x509.ExtensionType]:
        """Extensions to request as critical (``cryptography.x509.ExtensionType``)."""
        return self._additional_critical_extensions

    @classmethod
    def from_csr(cls, csr: CertificateSigningRequest, is_ca: bool) -> CertificateRequestAttributes:
        """The attributes ``csr`` asks for."""
        return cls(
            common_name=csr.common_name,
            sans_dns=csr.sans_dns,
            sans_ip=csr.sans_ip,
            sans_oid=csr.sans_oid,
            email_address=csr.email_address,
            organization=csr.organization,
            organizational_unit=csr.organizational_unit,
            country_name=csr.country_name,
            state_or_province_name=csr.state_or_province_name,
            locality_name=csr.locality_name,
            is_ca=is_ca,
            add_unique_id_to_subject_name=csr.has_unique_identifier,
            additional_critical_extensions=csr.additional_critical_extensions,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CertificateRequestAttributes):
            return NotImplemented
        return (
            self.common_name == other.common_name
            and self.sans_dns == other.sans_dns
            and self.sans_ip == other.sans_ip
            and self.sans_oid == other.sans_oid
            and self.email_address == other.email_address
            and self.organization == other.organization
            and self.organizational_unit == other.organizational_unit
            and self.country_name == other.country_name
            and self.state_or_province_name == other.state_or_province_name
            and self.locality_name == other.locality_name
            and self.is_ca == other.is_ca
            and self.add_unique_id_to_subject_name == other.add_unique_id_to_subject_name
            and self.additional_critical_extensions == other.additional_critical_extensions
        )

    def __hash__(self) -> int:
        return hash((
            self.common_name,
            frozenset(self.sans_dns) if self.sans_dns else None,
            frozenset(self.sans_ip) if self.sans_ip else None,
            frozenset(self.sans_oid) if self.sans_oid else None,
            self.email_address,
            self.organization,
            self.organizational_unit,
            self.country_name,
            self.state_or_province_name,
            self.locality_name,
            self.is_ca,
            self.add_unique_id_to_subject_name,
            tuple(self.additional_critical_extensions),
        ))

    def is_valid(self) -> bool:
        """Whether a CN or a SAN is given."""
        if not self.common_name and not self.sans_dns and not self.sans_ip and not self.sans_oid:
            logger.warning(
                "At least one of common_name, sans_dns, sans_ip, or sans_oid must be provided"
            )
            return False
        return True

    def generate_csr(self, private_key: PrivateKey) -> CertificateSigningRequest:
        """A CSR for these attributes, signed with ``private_key``."""
        return CertificateSigningRequest.generate(self, private_key)


@dataclass(frozen=True)
class ProviderCertificate:
    """A certificate provided by the TLS provider."""

    relation_id: int
    certificate: Certificate
    certificate_signing_request: CertificateSigningRequest
    ca: Certificate
    chain: List[Certificate]
    revoked: Optional[bool] = None

    def to_json(self) -> str:
        """The object as JSON."""
        return json.dumps({
            "csr": str(self.certificate_signing_request),
            "certificate": str(self.certificate),
            "ca": str(self.ca),
            "chain": [str(cert) for cert in self.chain],
            "revoked": self.revoked,
        })


@dataclass(frozen=True)
class RequirerCertificateRequest:
    """A CSR requested by a specific TLS requirer."""

    relation_id: int
    certificate_signing_request: CertificateSigningRequest
    is_ca: bool


@dataclass(frozen=True)
class ProviderCertificateError:
    """A failed issuance for a CSR, as the TLS provider reported it."""

    relation_id: int
    certificate_signing_request: CertificateSigningRequest
    error: CertificateError


class CertificateSigner:
    """A provider charm's CA, signing what requirers ask for under a kpki policy — kpki's
    addition to the library's names (``kpki.TlsPolicy``: allowed domains, subdomains,
    wildcards, IP SANs, CA certificates, longest validity; its refusals carry the
    relation's ``CertificateRequestErrorCode``)::

        signer = CertificateSigner(ca, ca_key, kpki.TlsPolicy(allowed_domains=["svc"]))
        tls = TLSCertificatesProvidesV4(self, "certificates", signer.capabilities())
        for request in tls.get_outstanding_certificate_requests():
            result = signer.issue(request)
            if isinstance(result, ProviderCertificate):
                tls.set_relation_certificate(result)
            else:
                tls.set_relation_error(result)
    """

    def __init__(
        self,
        ca: Certificate,
        ca_private_key: PrivateKey,
        policy: Optional[kpki.TlsPolicy] = None,
        validity: Optional[timedelta] = None,
    ) -> None:
        """``validity``: what to issue for (default: the policy's longest)."""
        self.ca = ca
        self.ca_private_key = ca_private_key
        self.policy = policy if policy is not None else kpki.TlsPolicy()
        self.validity = validity if validity is not None else self.policy.max_validity

    def capabilities(self) -> ProviderCapabilities:
        """What the policy allows, as the relation advertises it (needs kpki[charm])."""
        return _relations().ProviderCapabilities(
            supports_ip_sans=self.policy.allow_ip_sans,
            supports_wildcard_dns=self.policy.allow_wildcards,
            supports_subdomain=self.policy.allow_subdomains,
            supports_ca_certificates=self.policy.allow_ca,
            allowed_domains=self.policy.allowed_domains or None,
            provider_type="kpki",
        )

    def refusal(self, request: RequirerCertificateRequest) -> Optional[Tuple[int, str, str]]:
        """Why the policy refuses ``request``: ``(code, code name, message)``, or None."""
        return self.policy.refusal(request.certificate_signing_request._request, request.is_ca)

    def sign(self, request: RequirerCertificateRequest) -> Certificate:
        """The certificate for ``request``; ``kpki.PolicyRefusedError`` if refused."""
        return Certificate._wrap(
            self.policy.sign(
                request.certificate_signing_request._request,
                self.ca._certificate,
                self.ca_private_key._key,
                datetime.now(timezone.utc),
                self.validity,
                request.is_ca,
            )
        )

    def issue(
        self, request: RequirerCertificateRequest
    ) -> ProviderCertificate | ProviderCertificateError:
        """The ``ProviderCertificate`` for ``request`` (chain: the certificate, then the
        CA), or the ``ProviderCertificateError`` saying why the policy refuses it (needs
        kpki[charm] for its ``CertificateError``)."""
        refused = self.refusal(request)
        if refused is not None:
            code, name, message = refused
            return ProviderCertificateError(
                relation_id=request.relation_id,
                certificate_signing_request=request.certificate_signing_request,
                error=_relations().CertificateError(
                    code=code, name=name, message=message, provider="kpki"
                ),
            )
        certificate = self.sign(request)
        return ProviderCertificate(
            relation_id=request.relation_id,
            certificate=certificate,
            certificate_signing_request=request.certificate_signing_request,
            ca=self.ca,
            chain=[certificate, self.ca],
        )


def generate_private_key(key_size: int = 2048, public_exponent: int = 65537) -> PrivateKey:
    """An RSA key (deprecated: use ``PrivateKey.generate()``)."""
    warnings.warn(  # noqa: B028
        "generate_private_key() is deprecated. Use PrivateKey.generate() instead.",
        DeprecationWarning,
    )
    return PrivateKey.generate(key_size=key_size, public_exponent=public_exponent)


def calculate_relative_datetime(target_time: datetime, fraction: float) -> datetime:
    """The time ``fraction`` (0 < fraction ≤ 1) of the way from now to ``target_time``."""
    if fraction <= 0.0 or fraction > 1.0:
        raise ValueError("Invalid fraction. Must be between 0.0 and 1.0")
    now = datetime.now(timezone.utc)
    return now + (target_time - now) * fraction


def chain_has_valid_order(chain: List[str]) -> bool:
    """Whether each certificate of ``chain`` (PEM, leaf first) is issued by the next."""
    if len(chain) < 2:
        return True
    try:
        for i in range(len(chain) - 1):
            cert = kpki.Certificate.from_pem(chain[i])
            cert.verify_issued_by(kpki.Certificate.from_pem(chain[i + 1]))
        return True
    except (ValueError, TypeError, kpki.KpkiError):
        return False


def generate_csr(
    private_key: PrivateKey,
    common_name: str,
    sans_dns: Optional[frozenset[str]] = frozenset(),
    sans_ip: Optional[frozenset[str]] = frozenset(),
    sans_oid: Optional[frozenset[str]] = frozenset(),
    organization: Optional[str] = None,
    organizational_unit: Optional[str] = None,
    email_address: Optional[str] = None,
    country_name: Optional[str] = None,
    locality_name: Optional[str] = None,
    state_or_province_name: Optional[str] = None,
    add_unique_id_to_subject_name: bool = True,
) -> CertificateSigningRequest:
    """A CSR (deprecated: use ``CertificateRequestAttributes.generate_csr()``)."""
    warnings.warn(  # noqa: B028
        (
            "generate_csr() is deprecated. Use "
            "CertificateRequestAttributes.generate_csr() or "
            "CertificateSigningRequest.generate() instead."
        ),
        DeprecationWarning,
    )
    return CertificateRequestAttributes(
        common_name=common_name,
        sans_dns=sans_dns,
        sans_ip=sans_ip,
        sans_oid=sans_oid,
        organization=organization,
        organizational_unit=organizational_unit,
        email_address=email_address,
        country_name=country_name,
        state_or_province_name=state_or_province_name,
        locality_name=locality_name,
        add_unique_id_to_subject_name=add_unique_id_to_subject_name,
    ).generate_csr(private_key=private_key)


def generate_ca(
    private_key: PrivateKey,
    validity: timedelta,
    common_name: str,
    sans_dns: Optional[frozenset[str]] = frozenset(),
    sans_ip: Optional[frozenset[str]] = frozenset(),
    sans_oid: Optional[frozenset[str]] = frozenset(),
    organization: Optional[str] = None,
    organizational_unit: Optional[str] = None,
    email_address: Optional[str] = None,
    country_name: Optional[str] = None,
    state_or_province_name: Optional[str] = None,
    locality_name: Optional[str] = None,
) -> Certificate:
    """A self-signed CA (deprecated: use ``Certificate.generate_self_signed_ca()``)."""
    warnings.warn(  # noqa: B028
        "generate_ca() is deprecated. Use Certificate.generate_self_signed_ca() instead.",
        DeprecationWarning,
    )
    attributes = CertificateRequestAttributes(
        common_name=common_name,
        sans_dns=sans_dns,
        sans_ip=sans_ip,
        sans_oid=sans_oid,
        organization=organization,
        organizational_unit=organizational_unit,
        email_address=email_address,
        country_name=country_name,
        state_or_province_name=state_or_province_name,
        locality_name=locality_name,
        is_ca=True,
    )
    return Certificate.generate_self_signed_ca(attributes, private_key, validity)


def generate_certificate(
    csr: CertificateSigningRequest,
    ca: Certificate,
    ca_private_key: PrivateKey,
    validity: timedelta,
    is_ca: bool = False,
) -> Certificate:
    """A certificate for ``csr`` (deprecated: use ``Certificate.generate()``)."""
    warnings.warn(  # noqa: B028
        "generate_certificate() is deprecated. Use Certificate.generate() instead.",
        DeprecationWarning,
    )
    return Certificate.generate(
        csr=csr, ca=ca, ca_private_key=ca_private_key, validity=validity, is_ca=is_ca
    )


# The names that need ops and pydantic, loaded on first use (kpki[charm]).
_RELATION_NAMES = frozenset({
    "CertificateAvailableEvent",
    "CertificateDeniedEvent",
    "CertificateError",
    "CertificatesRequirerCharmEvents",
    "ProviderCapabilities",
    "TLSCertificatesProvidesV4",
    "TLSCertificatesRequiresV4",
})


def _relations() -> Any:
    """The relation code (loaded on first use; ImportError without kpki[charm])."""
    from kpki import _tls_relations

    return _tls_relations.module(sys.modules[__name__])


def __getattr__(name: str) -> Any:
    if name in _RELATION_NAMES:
        value = getattr(_relations(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover - typing only
    # The relation code's classes (ops, pydantic): typed loosely here, as they are
    # loaded at run time from the library (kpki._tls_relations).
    CertificateAvailableEvent = Any
    CertificateDeniedEvent = Any
    CertificateError = Any
    CertificatesRequirerCharmEvents = Any
    ProviderCapabilities = Any
    TLSCertificatesProvidesV4 = Any
    TLSCertificatesRequiresV4 = Any
