"""Bad input from Python raises the right kpki exception with a clear message: never a
segfault, never a Rust panic."""

from __future__ import annotations

import datetime
from typing import Any, Callable, Type

import pytest

import kpki

KEY = kpki.PrivateKey.generate("ecdsa-p256")
CA = kpki.CertificateAuthority.root("kubernetes", KEY)
ID = kpki.Identity.kube_scheduler()
X: Any = None


def bad(value: object) -> Any:
    """A deliberately wrong argument, hidden from the type checker."""
    return value

CASES: list[tuple[str, Callable[[], object], Type[BaseException], str]] = [
    # wrong types and None
    ("pem None", lambda: kpki.PrivateKey.from_pem(X), kpki.InvalidTypeError, '"pem"'),
    ("pem int", lambda: kpki.Certificate.from_pem(bad(5)), kpki.InvalidTypeError, "got int"),
    ("der str", lambda: kpki.PrivateKey.from_der(bad("abc")), kpki.InvalidTypeError, "bytes"),
    ("node None", lambda: kpki.Identity.node(X), kpki.InvalidTypeError, "node_name"),
    ("groups str", lambda: kpki.Identity.user("a", bad("dev")), kpki.InvalidTypeError, "list"),
    ("identity str", lambda: CA.issue(bad("alice"), KEY), kpki.InvalidTypeError, "kpki.Identity"),
    ("public key None", lambda: CA.issue(ID, X), kpki.InvalidTypeError, "public_key"),
    ("validity int", lambda: CA.issue(ID, KEY, validity=bad(30)), kpki.InvalidTypeError, "timedelta"),
    ("now str", lambda: CA.issue(ID, KEY, now=bad("2020-01-01")), kpki.InvalidTypeError, "datetime"),
    ("bind_port str", lambda: kpki.ClusterSpec("n", "10.0.0.1", bind_port=bad("6443")), kpki.InvalidTypeError, "int"),
    ("kube_proxy int", lambda: kpki.ClusterSpec("n", "10.0.0.1", kube_proxy=bad(1)), kpki.InvalidTypeError, "bool"),
    ("cas list", lambda: kpki.ClusterSpec("n", "10.0.0.1", cas=bad([])), kpki.InvalidTypeError, "dict"),
    ("write path None", lambda: kpki.ClusterSpec("n", "10.0.0.1", key_algorithm="ed25519").generate().write(X), kpki.InvalidTypeError, "path"),
    ("load int", lambda: kpki.load(bad(3)), kpki.InvalidTypeError, "os.PathLike"),
    ("ca parent str", lambda: kpki.CertificateAuthority.intermediate("i", bad("ca")), kpki.InvalidTypeError, "CertificateAuthority"),
    ("signer without sign", lambda: kpki.CertificateAuthority.with_signer(CA.certificate, object()), kpki.InvalidTypeError, "sign"),
    # bad PEM / DER
    ("garbage pem", lambda: kpki.PrivateKey.from_pem("not pem"), kpki.DecodeError, "PEM"),
    ("truncated cert", lambda: kpki.Certificate.from_pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), kpki.DecodeError, "certificate"),
    ("der garbage", lambda: kpki.Certificate.from_der(b"\x30\x03\x02\x01"), kpki.DecodeError, "certificate"),
    ("key garbage der", lambda: kpki.PrivateKey.from_der(b"\x00" * 10), kpki.DecodeError, "key"),
    ("cert as key", lambda: kpki.PrivateKey.from_pem(CA.certificate.to_pem()), kpki.DecodeError, "private key"),
    ("binary bytes as pem", lambda: kpki.PrivateKey.from_pem(b"\xff\xfe"), kpki.DecodeError, "not text"),
    ("csr tampered", lambda: kpki.Csr.from_der(kpki.Csr.generate(ID, KEY).to_der()[:-3] + b"\x00\x00\x00"), kpki.DecodeError, "request"),
    ("kubeconfig junk", lambda: kpki.Kubeconfig.from_yaml("{{{"), kpki.DecodeError, "kubeconfig"),
    # invalid values
    ("invalid SAN", lambda: kpki.SubjectAltNames(["ok.example", "bad_name!"]), kpki.InvalidInputError, "bad_name!"),
    ("invalid extra SAN", lambda: kpki.ClusterSpec("n", "10.0.0.1", apiserver_extra_sans=["-bad-"]), kpki.InvalidInputError, "-bad-"),
    ("invalid IP", lambda: kpki.ClusterSpec("node01", "10.0.0.300"), kpki.InvalidInputError, "10.0.0.300"),
    ("invalid node", lambda: kpki.Identity.node("Node_01"), kpki.InvalidInputError, "Node_01"),
    ("empty CN", lambda: kpki.Identity("", []), kpki.InvalidInputError, "common name"),
    ("CN too long", lambda: kpki.Identity("x" * 65, []), kpki.InvalidInputError, "64"),
    ("control char", lambda: kpki.Identity.user("a\nb"), kpki.InvalidInputError, "control"),
    ("algorithm", lambda: kpki.PrivateKey.generate("dsa-1024"), kpki.InvalidInputError, "dsa-1024"),
    ("profile", lambda: CA.issue(ID, KEY, profile="ca"), kpki.InvalidInputError, "profile"),
    ("compat", lambda: kpki.Identity.admin("1.99"), kpki.InvalidInputError, "1.99"),
    ("cidr", lambda: kpki.ClusterSpec("n", "10.0.0.1", service_subnets=["10.96.0.0/33"]), kpki.InvalidInputError, "10.96.0.0/33"),
    ("endpoint", lambda: kpki.ClusterSpec("n", "10.0.0.1", control_plane_endpoint="cp:0"), kpki.InvalidInputError, "cp:0"),
    ("negative validity", lambda: CA.issue(ID, KEY, validity=datetime.timedelta(days=-1)), kpki.InvalidInputError, "negative"),
    ("port range", lambda: kpki.ClusterSpec("n", "10.0.0.1", bind_port=70000), kpki.InvalidInputError, "70000"),
    ("role", lambda: kpki.ClusterSpec("n", "10.0.0.1", cas={"nope": kpki.CaSource.generate()}), kpki.InvalidInputError, "nope"),
    ("same_as cycle", lambda: kpki.ClusterSpec("n", "10.0.0.1", cas={"etcd": "client"}), kpki.InvalidInputError, "client"),
    ("duplicate worker", lambda: kpki.ClusterSpec("n", "10.0.0.1", workers=["w", "w"]), kpki.InvalidInputError, "twice"),
    ("key and algorithm", lambda: kpki.CertificateAuthority.root("x", KEY, algorithm="rsa-2048"), kpki.InvalidInputError, "not both"),
    ("usage", lambda: kpki.SignerPolicy.custom("example.com/x", common_name="*", usages=["fly"]), kpki.InvalidInputError, "fly"),
    ("renew a CA", lambda: CA.renew(CA.certificate), kpki.InvalidInputError, "renew"),
    ("missing dir", lambda: kpki.load("/nonexistent/kpki/dir").service_account_key, kpki.KpkiError, ""),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_the_right_kpki_error(case: tuple[str, Callable[[], object], Type[BaseException], str]) -> None:
    _, call, expected, fragment = case
    try:
        call()
    except BaseException as e:  # noqa: BLE001 - we inspect whatever came out
        assert type(e).__name__ != "PanicException", f"Rust panic reached Python: {e}"
        assert isinstance(e, expected), f"{type(e).__name__}: {e}"
        assert isinstance(e, kpki.KpkiError)
        message = str(e)
        assert "panicked" not in message and "RUST_BACKTRACE" not in message
        assert fragment in message, message
    else:
        if expected is kpki.KpkiError and fragment == "":
            return  # loading a missing directory may simply find nothing
        pytest.fail("no exception")


def test_type_errors_are_also_python_type_errors() -> None:
    with pytest.raises(TypeError):
        kpki.PrivateKey.from_pem(X)
    with pytest.raises(ValueError):
        kpki.SubjectAltNames(["bad_name!"])


def test_exception_hierarchy() -> None:
    assert issubclass(kpki.InvalidInputError, ValueError)
    assert issubclass(kpki.InvalidTypeError, TypeError)
    assert issubclass(kpki.DecodeError, kpki.InvalidInputError)
    assert issubclass(kpki.AlreadyExistsError, FileExistsError)
    assert issubclass(kpki.MissingFileError, FileNotFoundError)
    for cls in (kpki.PolicyRefusedError, kpki.CaKeyUnavailableError, kpki.CryptoError, kpki.IoError):
        assert issubclass(cls, kpki.KpkiError)
    assert kpki.KpkiError.__module__ == "kpki"
