"""The exceptions kpki raises, defined here and raised by the extension (``kpki._kpki``
maps each kpki-core error onto one of these in one function, ``errors.rs``).

::

    KpkiError(Exception)
    ├── InvalidInputError(KpkiError, ValueError)   names, SANs, network, choices, validity, spec
    │   ├── InvalidTypeError(InvalidInputError, TypeError)   wrong Python type, None
    │   ├── DecodeError(InvalidInputError)          PEM, DER, key, certificate, CSR (object), kubeconfig
    │   ├── KeyMismatchError(InvalidInputError)     certificate and key do not belong together
    │   └── NotACertificateAuthorityError(InvalidInputError)
    ├── PolicyRefusedError(KpkiError)               a signer policy refuses a CSR
    ├── CaKeyUnavailableError(KpkiError)            an external CA asked to issue
    ├── VerificationError(KpkiError)                a supplied certificate does not verify
    ├── CryptoError(KpkiError)                      the crypto backend or a signer failed
    ├── Pkcs11Error(KpkiError)                      a key in a PKCS#11 token cannot be used
    └── IoError(KpkiError, OSError)                 errno and filename set
        ├── AlreadyExistsError(IoError, FileExistsError)
        └── MissingFileError(IoError, FileNotFoundError)

Several also derive from the built-in exception a Python caller already catches
(``ValueError``, ``TypeError``, ``OSError``, ``FileExistsError``, ...). ``str(e)`` is
kpki-core's message, which names the value or file at fault, and — where a keyword of
the call would change the outcome — ends with it (``pass overwrite=True to replace it``).
"""

from __future__ import annotations

import re

__all__ = [
    "KpkiError",
    "InvalidInputError",
    "InvalidTypeError",
    "DecodeError",
    "KeyMismatchError",
    "NotACertificateAuthorityError",
    "PolicyRefusedError",
    "CaKeyUnavailableError",
    "VerificationError",
    "CryptoError",
    "Pkcs11Error",
    "IoError",
    "AlreadyExistsError",
    "MissingFileError",
]

# PyO3 notes which argument could not be converted ("while processing 'pem'").
_ARGUMENT_NOTE = re.compile(r"while processing '(\w+)'")


class KpkiError(Exception):
    """Base class of every error kpki raises. ``str(e)`` is the core's message, which
    names the value or file at fault; for an argument that could not be converted, the
    argument's name comes first."""

    def __str__(self) -> str:
        message = super().__str__()
        for note in getattr(self, "__notes__", ()):
            found = _ARGUMENT_NOTE.fullmatch(str(note))
            if found:
                return f'argument "{found.group(1)}": {message}'
        return message


class InvalidInputError(KpkiError, ValueError):
    """A value was refused: a name, SAN, address, CIDR, choice, validity or
    specification (also a ValueError)."""


class InvalidTypeError(InvalidInputError, TypeError):
    """An argument has the wrong Python type, or is None where a value is needed
    (also a TypeError)."""


class DecodeError(InvalidInputError):
    """PEM, DER, a key, a certificate, a CSR or a kubeconfig could not be read."""


class KeyMismatchError(InvalidInputError):
    """A certificate and the private key offered with it do not belong together."""


class NotACertificateAuthorityError(InvalidInputError):
    """A certificate offered as a CA cannot sign certificates."""


class PolicyRefusedError(KpkiError):
    """A signer policy refuses to sign a certificate signing request."""


class CaKeyUnavailableError(KpkiError):
    """The CA has no private key (an external CA), so it cannot issue."""


class VerificationError(KpkiError):
    """A certificate does not verify: wrong issuer, bad signature, or not valid now."""


class CryptoError(KpkiError):
    """A cryptographic operation (key generation, signing) or a signer failed."""


class Pkcs11Error(KpkiError):
    """A key in a PKCS#11 token cannot be used: a malformed URI, the module, no such
    token or key, a wrong PIN, another algorithm than asked, a refused mechanism, or
    the token failing. ``str(e)`` names the URI (never its PIN) and the cause."""


class IoError(KpkiError, OSError):
    """A file operation failed (also an OSError; errno and filename are set)."""

    def __str__(self) -> str:
        # OSError's own str() would print "[Errno N] None: 'path'" once errno and
        # filename are set; keep kpki's message, which already names the path.
        return str(self.args[0]) if len(self.args) == 1 else OSError.__str__(self)


class AlreadyExistsError(IoError, FileExistsError):
    """A file kpki would write exists and overwriting was not allowed."""


class MissingFileError(IoError, FileNotFoundError):
    """A file kpki needs is missing."""


for _cls in (
    KpkiError,
    InvalidInputError,
    InvalidTypeError,
    DecodeError,
    KeyMismatchError,
    NotACertificateAuthorityError,
    PolicyRefusedError,
    CaKeyUnavailableError,
    VerificationError,
    CryptoError,
    IoError,
    AlreadyExistsError,
    MissingFileError,
):
    _cls.__module__ = "kpki"
