"""kpki: a Kubernetes cluster PKI as types, at native speed.

The CAs, the service-account key pair and every component's certificate, issued the way
kubeadm issues them (field for field), from typed values::

    import kpki

    spec = kpki.ClusterSpec(
        "node01", "10.0.0.10",
        control_plane_endpoint="cp.example.internal:6443",
        apiserver_extra_sans=["extra.example.com", "192.0.2.7"],
        key_algorithm="ecdsa-p256",
    )
    pki = spec.generate()                 # every key and certificate, GIL released
    pki.write("/etc/kubernetes")          # kubeadm's layout, keys 0600, no clobbering
    apiserver = pki.certificate("apiserver").certificate
    assert "kubernetes.default.svc" in apiserver.dns_names

The building blocks are public too: ``PrivateKey.generate("rsa-2048")``,
``Identity.node("node01")``, ``Identity.user("alice", ["dev", "ops"])``,
``CertificateAuthority.root(...)`` / ``.intermediate(...)`` / ``.from_pem(...)`` /
``.external(...)``, ``ca.issue(identity, public_key, profile="server", sans=[...])``,
``kpki.load("/etc/kubernetes")``, ``ClusterSpec.from_kubeadm_config(text)``,
``Kubeconfig.for_client(...)``; CSRs: ``Csr.generate(identity, key, sans)``,
``ca.sign_csr(csr, "kubernetes.io/kube-apiserver-client")`` (kube-controller-manager's
rules), ``KubeCsr`` objects, ``ca.issue_user(...)``, ``ca.renew(...)``.

Values are Python's own: PEM as ``str`` (``bytes`` accepted), ``datetime``/``timedelta``,
``ipaddress`` objects; ``to_cryptography()``/``from_cryptography()`` convert to and from
the ``cryptography`` package through DER, so no byte changes. Every error is a
``kpki.KpkiError`` (see its subclasses). ``kpki.tls_certificates`` offers the names of
the charm library ``tls_certificates_interface`` v4.
"""

from kpki._kpki import (
    CA_ROLES,
    COMPATIBILITIES,
    KEY_ALGORITHMS,
    CaSource,
    Certificate,
    CertificateAuthority,
    CertifiedKey,
    ClusterNetwork,
    ClusterPki,
    ClusterSpec,
    Csr,
    ExpiryEntry,
    ExpiryReport,
    Identity,
    KubeCsr,
    Kubeconfig,
    LoadedCertificate,
    LoadedPki,
    PrivateKey,
    PublicKey,
    SignerPolicy,
    SubjectAltNames,
    UserCredentials,
    WriteReport,
    __version__,
    load,
    renew,
    rotate_ca,
    rotation_status,
    trust_set,
    cluster_trust_bundle,
    RotationReport,
    RotationStatus,
    RenewReport,
    RenewedCertificate,
    RenewedCa,
    SkippedCertificate,
    trust_bundle,
    tls_csr,
    tls_self_signed_ca,
    tls_sign,
    TlsFields,
    TlsPolicy,
)
from kpki.exceptions import (
    AlreadyExistsError,
    CaKeyUnavailableError,
    CryptoError,
    Pkcs11Error,
    DecodeError,
    InvalidInputError,
    InvalidTypeError,
    IoError,
    KeyMismatchError,
    KpkiError,
    MissingFileError,
    NotACertificateAuthorityError,
    PolicyRefusedError,
    VerificationError,
)

__all__ = [
    "CA_ROLES",
    "COMPATIBILITIES",
    "KEY_ALGORITHMS",
    "AlreadyExistsError",
    "CaKeyUnavailableError",
    "CaSource",
    "Certificate",
    "CertificateAuthority",
    "CertifiedKey",
    "ClusterNetwork",
    "ClusterPki",
    "ClusterSpec",
    "CryptoError",
    "Pkcs11Error",
    "Csr",
    "DecodeError",
    "ExpiryEntry",
    "ExpiryReport",
    "Identity",
    "InvalidInputError",
    "InvalidTypeError",
    "IoError",
    "KeyMismatchError",
    "KpkiError",
    "KubeCsr",
    "Kubeconfig",
    "LoadedCertificate",
    "LoadedPki",
    "MissingFileError",
    "NotACertificateAuthorityError",
    "PolicyRefusedError",
    "PrivateKey",
    "PublicKey",
    "SignerPolicy",
    "SubjectAltNames",
    "UserCredentials",
    "VerificationError",
    "WriteReport",
    "__version__",
    "load",
    "renew",
    "rotate_ca",
    "rotation_status",
    "trust_set",
    "cluster_trust_bundle",
    "RotationReport",
    "RotationStatus",
    "RenewReport",
    "RenewedCertificate",
    "RenewedCa",
    "SkippedCertificate",
    "trust_bundle",
    "tls_csr",
    "tls_self_signed_ca",
    "tls_sign",
    "TlsFields",
    "TlsPolicy",
]
