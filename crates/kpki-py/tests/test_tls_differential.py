"""kpki.tls_certificates against the real charm library (charmlibs-interfaces-tls-
certificates, the version in tls_certificates.LIBRARY_VERSION, installed from PyPI by
scripts/test-python.sh):

- the same inputs through both give certificates and CSRs equal field by field, ignoring
  keys, serials, signatures, times and the random x500UniqueIdentifier values;
- what each makes loads, compares and verifies in the other (keys, CSRs, certificates;
  each side's CA signs the other side's CSR);
- pkilint (RFC 5280 linter) finds nothing in a facade certificate that it does not also
  find in the library's certificate for the same inputs.

The matrix: attribute sets x requester key x CA key, each as a leaf and (for the first
attribute set) as a CA; plus self-signed CAs for every attribute set and key.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import metadata
from typing import Any, Callable

import pytest
from charmlibs.interfaces import tls_certificates as lib
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID
from pkilint import loader
from pkilint.cabf import serverauth
from pkilint.cabf.serverauth.serverauth_constants import CertificateType
from pkilint.pkix import certificate as pkix_certificate
from pkilint.pkix import extension as pkix_extension
from pkilint.pkix import name as pkix_name

from kpki import tls_certificates as kp

ATTRIBUTES: dict[str, dict[str, Any]] = {
    "cn-only": {"common_name": "unit-0.example"},
    "cn-dns-ip": {
        "common_name": "unit-0",
        "sans_dns": ["unit-0.example", "app.example"],
        "sans_ip": ["10.0.0.1", "2001:db8::1"],
    },
    "every-attribute": {
        "common_name": "unit-0",
        "sans_dns": ["unit-0.example"],
        "sans_ip": ["192.0.2.1"],
        "sans_oid": ["1.3.6.1.4.1.28978.1"],
        "email_address": "ops@example.com",
        "organization": "Example Ltd",
        "organizational_unit": "Platform",
        "country_name": "GB",
        "state_or_province_name": "London",
        "locality_name": "Shoreditch",
    },
    "san-only-no-unique-id": {
        "common_name": "s",
        "sans_dns": ["only.example"],
        "add_unique_id_to_subject_name": False,
    },
    "critical-extension": {
        "common_name": "ocsp",
        "additional_critical_extensions": [x509.OCSPNoCheck()],
    },
    "non-ascii-cn": {"common_name": "Zoë's unit", "organization": "Ünïcode"},
}
KEYS = [("rsa", 2048), ("ecdsa", 256), ("ecdsa", 384)]
CA_KEYS = [("rsa", 2048), ("ecdsa", 256)]
VALIDITY = timedelta(days=30)


def keypair(algorithm: str, size: int) -> tuple[lib.PrivateKey, kp.PrivateKey]:
    """One key, as each side's PrivateKey (so signatures are the only difference)."""
    key = kp.PrivateKey.generate(key_algorithm=algorithm, key_size=size)
    return lib.PrivateKey.from_string(key.raw), key


def x(cert: Any) -> x509.Certificate:
    return x509.load_pem_x509_certificate(str(cert).encode())


def name_fields(name: x509.Name) -> list[tuple[str, Any, Any]]:
    """(OID, value, ASN.1 string type) of every attribute; unique IDs by kind only."""
    return [
        (
            a.oid.dotted_string,
            "<uuid>" if a.oid == NameOID.X500_UNIQUE_IDENTIFIER else a.value,
            a._type,
        )
        for a in name
    ]


def extension_fields(cert: x509.Certificate, issuer: x509.Certificate) -> list[tuple[str, bool, Any]]:
    """Every extension with its criticality and value; key identifiers as what they must
    be (this key's, the issuer's), SANs as sets (the library's order is a set's)."""
    out: list[tuple[str, bool, Any]] = []
    for e in cert.extensions:
        value: Any = e.value
        if e.oid == ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            value = value == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
        elif e.oid == ExtensionOID.AUTHORITY_KEY_IDENTIFIER:
            ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            value = value.key_identifier == ski.digest
        elif e.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
            value = frozenset(value)
        out.append((e.oid.dotted_string, e.critical, value))
    return out


def certificate_fields(cert: Any, issuer: Any) -> dict[str, Any]:
    c, i = x(cert), x(issuer)
    return {
        "version": c.version,
        "subject": name_fields(c.subject),
        "issuer": name_fields(c.issuer),
        "issuer is the CA's subject": c.issuer == i.subject,
        "validity": c.not_valid_after_utc - c.not_valid_before_utc,
        "signature algorithm": c.signature_algorithm_oid.dotted_string,
        "public key algorithm": type(c.public_key()).__mro__[1].__name__,
        "extensions": extension_fields(c, i),
    }


def csr_fields(csr: Any) -> dict[str, Any]:
    r = x509.load_pem_x509_csr(str(csr).encode())
    return {
        "subject": name_fields(r.subject),
        "signature algorithm": r.signature_algorithm_oid.dotted_string,
        "extensions": [
            (e.oid.dotted_string, e.critical, frozenset(e.value) if e.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME else e.value)
            for e in r.extensions
        ],
    }


_LINTER = pkix_certificate.create_pkix_certificate_validator_container(
    pkix_certificate.create_decoding_validators(
        pkix_name.ATTRIBUTE_TYPE_MAPPINGS, pkix_extension.EXTENSION_MAPPINGS
    ),
    [
        pkix_certificate.create_issuer_validator_container([]),
        pkix_certificate.create_validity_validator_container(),
        pkix_certificate.create_subject_validator_container([]),
        pkix_certificate.create_extensions_validator_container([]),
        pkix_certificate.create_spki_validator_container([]),
    ],
)


_CABF: dict[CertificateType, Any] = {}


def pkilint(cert: Any) -> set[tuple[str, str]]:
    """(linter/finding code, severity) of everything pkilint reports: its RFC 5280
    linter, and its CA/B Forum TLS Baseline Requirements linter (a root for a
    self-signed CA, an unconstrained TLS CA for an intermediate, a DV certificate for a
    leaf; every finding, none filtered)."""
    doc = loader.RFC5280CertificateDocumentLoader().load_pem_document(str(cert), "certificate")
    findings = {
        ("pkix:" + d.finding.code, str(d.finding.severity))
        for result in _LINTER.validate(doc.root)
        for d in result.finding_descriptions
    }
    c = x(cert)
    if not cert.is_ca:
        kind = CertificateType.DV_FINAL_CERTIFICATE
    elif c.issuer == c.subject:
        kind = CertificateType.ROOT_CA
    else:
        kind = CertificateType.INTERNAL_UNCONSTRAINED_TLS_CA
    if kind not in _CABF:
        _CABF[kind] = pkix_certificate.create_pkix_certificate_validator_container(
            serverauth.create_decoding_validators(), serverauth.create_validators(kind)
        )
    findings |= {
        ("cabf:" + d.finding.code, str(d.finding.severity))
        for result in _CABF[kind].validate(doc.root)
        for d in result.finding_descriptions
    }
    return findings


FINDINGS: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}


def both(make: Callable[[Any], Any]) -> tuple[Any, Any]:
    return make(lib), make(kp)


def test_the_pinned_library_is_installed() -> None:
    assert metadata.version(kp.LIBRARY).startswith(kp.LIBRARY_VERSION + ".")


@pytest.mark.parametrize("case", sorted(ATTRIBUTES))
@pytest.mark.parametrize("algorithm,size", KEYS)
def test_self_signed_ca_is_the_librarys(case: str, algorithm: str, size: int) -> None:
    lk, kk = keypair(algorithm, size)
    attrs = ATTRIBUTES[case]
    ours = kp.Certificate.generate_self_signed_ca(
        kp.CertificateRequestAttributes(**attrs, is_ca=True), kk, VALIDITY
    )
    theirs = lib.Certificate.generate_self_signed_ca(
        lib.CertificateRequestAttributes(**attrs, is_ca=True), lk, VALIDITY
    )
    assert certificate_fields(ours, ours) == certificate_fields(theirs, theirs)
    FINDINGS[f"ca/{case}/{algorithm}{size}"] = (pkilint(ours), pkilint(theirs))
    assert pkilint(ours) <= pkilint(theirs)


@pytest.mark.parametrize("case", sorted(ATTRIBUTES))
@pytest.mark.parametrize("algorithm,size", KEYS)
@pytest.mark.parametrize("ca_algorithm,ca_size", CA_KEYS)
def test_csr_and_signed_certificate_are_the_librarys(
    case: str, algorithm: str, size: int, ca_algorithm: str, ca_size: int
) -> None:
    lk, kk = keypair(algorithm, size)
    lck, kck = keypair(ca_algorithm, ca_size)
    ca_attrs: dict[str, Any] = {"common_name": "diff-ca"}
    kca = kp.Certificate.generate_self_signed_ca(
        kp.CertificateRequestAttributes(**ca_attrs), kck, VALIDITY * 10
    )
    lca = lib.Certificate.generate_self_signed_ca(
        lib.CertificateRequestAttributes(**ca_attrs), lck, VALIDITY * 10
    )
    attrs = ATTRIBUTES[case]
    kcsr = kp.CertificateRequestAttributes(**attrs).generate_csr(kk)
    lcsr = lib.CertificateRequestAttributes(**attrs).generate_csr(lk)
    assert csr_fields(kcsr) == csr_fields(lcsr)
    is_ca = case == "cn-only"  # one attribute set also as an intermediate CA
    for ca_flag in {False, is_ca}:
        ours = kcsr.sign(kca, kck, VALIDITY, is_ca=ca_flag)
        theirs = lcsr.sign(lca, lck, VALIDITY, is_ca=ca_flag)
        assert certificate_fields(ours, kca) == certificate_fields(theirs, lca)
        x(ours).verify_directly_issued_by(x(kca))
        FINDINGS[f"leaf/{case}/{algorithm}{size}/ca-{ca_algorithm}{ca_size}/ca={ca_flag}"] = (
            pkilint(ours),
            pkilint(theirs),
        )
        assert pkilint(ours) <= pkilint(theirs)
        # Read by each other's classes, every public field agrees.
        for a, b in ((kp.Certificate.from_string(str(theirs)), theirs), (lib.Certificate.from_string(str(ours)), ours)):
            for prop in (
                "common_name", "sans_dns", "sans_ip", "sans_oid", "email_address",
                "organization", "organizational_unit", "country_name",
                "state_or_province_name", "locality_name", "is_ca", "expiry_time",
                "validity_start_time", "raw",
            ):
                assert getattr(a, prop) == getattr(b, prop), prop


@pytest.mark.parametrize("algorithm,size", KEYS)
def test_what_each_side_makes_loads_matches_and_verifies_in_the_other(
    algorithm: str, size: int
) -> None:
    attrs = ATTRIBUTES["every-attribute"]
    # Keys: PEM written by one side loads in the other, same key.
    lkey = lib.PrivateKey.generate(key_algorithm=algorithm, key_size=size)
    kkey = kp.PrivateKey.from_string(lkey.raw)
    assert kp.PrivateKey.from_string(kkey.raw) == kkey
    assert (kkey.algorithm.value, kkey.key_size) == (lkey.algorithm.value, lkey.key_size)
    # Each side's CA signs the other side's CSR.
    lca_key = lib.PrivateKey.generate()
    lca = lib.Certificate.generate_self_signed_ca(
        lib.CertificateRequestAttributes(common_name="lib-ca"), lca_key, VALIDITY
    )
    kca_key = kp.PrivateKey.generate(key_algorithm="ecdsa")
    kca = kp.Certificate.generate_self_signed_ca(
        kp.CertificateRequestAttributes(common_name="kpki-ca"), kca_key, VALIDITY
    )
    lcsr = lib.CertificateRequestAttributes(**attrs).generate_csr(lkey)
    kcsr = kp.CertificateRequestAttributes(**attrs).generate_csr(kkey)

    kcsr_in_lib = lib.CertificateSigningRequest.from_string(kcsr.raw)
    lcsr_in_kp = kp.CertificateSigningRequest.from_string(lcsr.raw)
    assert kcsr_in_lib.raw == kcsr.raw and lcsr_in_kp.raw == lcsr.raw
    assert kcsr_in_lib.get_sha256_hex() == kcsr.get_sha256_hex()
    assert lcsr_in_kp.matches_private_key(kkey) and kcsr_in_lib.matches_private_key(lkey)
    assert lib.CertificateRequestAttributes.from_csr(kcsr_in_lib, False) == (
        lib.CertificateRequestAttributes(**attrs)
    )
    assert kp.CertificateRequestAttributes.from_csr(lcsr_in_kp, False) == (
        kp.CertificateRequestAttributes(**attrs)
    )

    by_lib = lib.Certificate.generate(kcsr_in_lib, lca, lca_key, VALIDITY)
    by_kp = kp.Certificate.generate(lcsr_in_kp, kca, kca_key, VALIDITY)
    # The library's certificate, read by kpki: matches kpki's key and CSR, verifies.
    ours_view = kp.Certificate.from_string(by_lib.raw)
    assert ours_view.matches_private_key(kkey) and kcsr.matches_certificate(ours_view)
    assert kp.chain_has_valid_order([by_lib.raw, lca.raw])
    # kpki's certificate, read by the library: matches its key and CSR, verifies.
    theirs_view = lib.Certificate.from_string(by_kp.raw)
    assert theirs_view.matches_private_key(lkey) and lcsr.matches_certificate(theirs_view)
    assert lib.chain_has_valid_order([by_kp.raw, kca.raw])
    assert not lib.chain_has_valid_order([by_kp.raw, lca.raw])
    assert not kp.chain_has_valid_order([by_lib.raw, kca.raw])


def test_pkilint_findings_side_by_side() -> None:
    """Runs last: the table of findings (printed with -s; the closing note quotes it)."""
    if not FINDINGS:
        pytest.skip("run with the matrix above (it collects the findings)")
    ours: dict[tuple[str, str], int] = {}
    theirs: dict[tuple[str, str], int] = {}
    for mine, lib_findings in FINDINGS.values():
        for f in mine:
            ours[f] = ours.get(f, 0) + 1
        for f in lib_findings:
            theirs[f] = theirs.get(f, 0) + 1
    print(f"\npkilint over {len(FINDINGS)} certificate pairs (facade vs library):")
    for f in sorted(set(ours) | set(theirs)):
        print(f"  {f[0]} ({f[1]}): facade {ours.get(f, 0)}, library {theirs.get(f, 0)}")
    assert all(ours.get(f, 0) <= theirs.get(f, 0) for f in ours)
    # RFC 5280 itself: nothing above INFO for the facade.
    assert not any(code.startswith("pkix:") and sev != "INFO" for code, sev in ours)


def test_the_one_deliberate_difference_an_intermediates_leaves_chain() -> None:
    """The library writes the CA's *issuer* as a signed certificate's issuer: right for a
    self-signed CA, wrong under an intermediate. kpki writes the CA's subject."""
    results = {}
    for side in (lib, kp):
        root_key = side.PrivateKey.generate(key_algorithm="ecdsa")
        root = side.Certificate.generate_self_signed_ca(
            side.CertificateRequestAttributes(common_name="root"), root_key, VALIDITY
        )
        sub_key = side.PrivateKey.generate(key_algorithm="ecdsa")
        sub = side.CertificateRequestAttributes(common_name="sub", is_ca=True).generate_csr(
            sub_key
        ).sign(root, root_key, VALIDITY, is_ca=True)
        leaf = side.CertificateRequestAttributes(common_name="leaf").generate_csr(
            side.PrivateKey.generate()
        ).sign(sub, sub_key, VALIDITY)
        results[side.__name__] = (
            x(leaf).issuer == x(sub).subject,
            side.chain_has_valid_order([leaf.raw, sub.raw, root.raw]),
        )
    assert results[lib.__name__] == (False, False)
    assert results[kp.__name__] == (True, True)
