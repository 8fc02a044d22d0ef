"""The relation classes of ``kpki.tls_certificates``: the pinned charm library's own
relation code, on kpki's certificate, key and CSR classes.

Why the library's code rather than a second implementation: the ``tls-certificates``
relation is a protocol whose details — relation data models, secret labels and
ownership, renewal through secret expiry, the shims that migrate what older versions
wrote — live in that code, and the library's maintainers change them. Running the same
code keeps a kpki charm and a library charm interoperable, field for field and secret
for secret, and takes upstream fixes by bumping the pin. What kpki replaces is what is
underneath: every key, CSR and certificate.

How: the library module's source (``charmlibs.interfaces.tls_certificates.
_tls_certificates``, of the version in ``tls_certificates.LIBRARY_VERSION``) is parsed,
its top-level definitions of the names in ``_FROM_KPKI`` are dropped, and the rest runs
in a private module (``kpki._tls_relations.library``) whose namespace already holds
kpki's objects under those names. So ``Mode.UNIT`` in a default argument, a
``PrivateKey.generate(...)`` in a method, an ``isinstance(..., Certificate)`` — all are
kpki's, and the library's own module (and any charm using it directly) is untouched.
The relation code reads the time through ``kpki.tls_certificates.datetime``, so a test
that patches that moves the relations' clock too.

Needs ``ops`` and ``pydantic`` and the library itself: ``pip install 'kpki[charm]'``.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import threading
import types
from importlib import metadata
from typing import Any

_LIBRARY_MODULE = "charmlibs.interfaces.tls_certificates._tls_certificates"
_PRIVATE_NAME = "kpki._tls_relations.library"

# Top-level names of the library module that kpki provides instead (classes, functions
# and the crypto helpers behind them).
_FROM_KPKI = (
    "TLSCertificatesError",
    "DataValidationError",
    "CertificateRequestErrorCode",
    "Mode",
    "KeyAlgorithm",
    "PrivateKey",
    "Certificate",
    "CertificateSigningRequest",
    "CertificateRequestAttributes",
    "ProviderCertificate",
    "RequirerCertificateRequest",
    "ProviderCertificateError",
    "generate_private_key",
    "calculate_relative_datetime",
    "chain_has_valid_order",
    "generate_csr",
    "generate_ca",
    "generate_certificate",
    "LIBID",
    "NESTED_JSON_KEY",
    "_OWASPLogEvent",
    "_OWASPLogger",
    "_DEFAULT_KEY_SIZES",
    "_SUPPORTED_KEY_SIZES",
    "_signature_hash_algorithm",
    "_san_extension",
    "_extract_subject_name_attributes",
    "_generate_certificate_request_extensions",
    "_generate_subject_alternative_name_extension",
)

_lock = threading.Lock()
_module: types.ModuleType | None = None


class _Clock:
    """``datetime`` for the relation code: the facade's, looked up at each use."""

    def __init__(self, facade: types.ModuleType) -> None:
        self._facade = facade

    def __getattr__(self, name: str) -> Any:
        return getattr(self._facade.datetime, name)


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return {node.name}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    return set()


def module(facade: types.ModuleType) -> types.ModuleType:
    """The private copy of the library's relation code on the classes of `facade`
    (``kpki.tls_certificates``, which passes itself: this module imports nothing of it),
    loaded once."""
    global _module
    with _lock:
        if _module is None:
            _module = _load(facade)
        return _module


def _load(_facade: types.ModuleType) -> types.ModuleType:
    hint = (
        f"kpki.tls_certificates' relation classes need {_facade.LIBRARY} "
        f"{_facade.LIBRARY_VERSION}.x with ops and pydantic: pip install 'kpki[charm]'"
    )
    try:
        version = metadata.version(_facade.LIBRARY)
    except metadata.PackageNotFoundError:
        raise ImportError(f"{hint} ({_facade.LIBRARY} is not installed)") from None
    if version.split(".")[:2] != _facade.LIBRARY_VERSION.split("."):
        raise ImportError(f"{hint} (installed: {version})")
    spec = importlib.util.find_spec(_LIBRARY_MODULE)
    if spec is None or spec.loader is None or spec.origin is None:
        raise ImportError(f"{hint} ({_LIBRARY_MODULE} cannot be found)")
    source = spec.loader.get_source(_LIBRARY_MODULE)  # type: ignore[attr-defined]
    if source is None:
        raise ImportError(f"{hint} ({_LIBRARY_MODULE} has no source)")

    tree = ast.parse(source, filename=spec.origin)
    dropped = set()
    body = []
    for node in tree.body:
        names = _defined_names(node)
        if names and names <= set(_FROM_KPKI):
            dropped |= names
            continue
        body.append(node)
    missing = set(_FROM_KPKI) - dropped
    if missing:
        raise ImportError(f"{hint} (its module no longer defines {sorted(missing)})")
    tree.body = body

    mod = types.ModuleType(_PRIVATE_NAME, "The charm TLS library's relation code on kpki.")
    mod.__file__ = spec.origin
    # Its relative import (`from . import _backwards_compatibility`) is the library's.
    mod.__package__ = spec.parent
    for name in _FROM_KPKI:
        # The crypto helpers have no kpki counterpart: nothing left in the relation
        # code calls them (a NameError would say so).
        if hasattr(_facade, name):
            setattr(mod, name, getattr(_facade, name))
    sys.modules[_PRIVATE_NAME] = mod  # pydantic resolves annotations through it
    try:
        exec(compile(tree, spec.origin, "exec"), mod.__dict__)
    except BaseException:
        del sys.modules[_PRIVATE_NAME]
        raise
    mod.datetime = _Clock(_facade)  # type: ignore[attr-defined]
    return mod
