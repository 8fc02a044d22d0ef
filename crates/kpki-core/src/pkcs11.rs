//! CA keys in a PKCS#11 token (an HSM, a smart card, SoftHSM): a [`Signer`] whose
//! private key never leaves the token, named by an RFC 7512 `pkcs11:` URI, and key
//! generation inside the token (sensitive, not extractable).
//!
//! The module is loaded at run time from the URI's `module-path`, so nothing about an
//! HSM is needed to build kpki. Per process, each module is initialised once and each
//! token logged into once; signing takes a session from the token's pool (one per
//! concurrent signer), so parallel issuance works.
//!
//! ```text
//! pkcs11:token=kpki;object=kubernetes-ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::der;
use crate::error::{Error, Pkcs11Problem, Result};
use crate::key::PublicKey;
use crate::names::{CaRole, KeyAlgorithm};
use crate::signer::Signer;

/// Where the PIN comes from. A PIN itself is never printed.
#[derive(Clone, PartialEq, Eq)]
enum PinSource {
    /// `pin-source=file:PATH` (or `pin-source=PATH`): the file's first line.
    File(PathBuf),
    /// `pin-source=env:NAME`: an environment variable.
    Env(String),
    /// `pin-value=...` in the URI.
    Value(Zeroizing<String>),
    /// No PIN given: `KPKI_PKCS11_PIN` if set, else no login.
    Default,
}

/// An RFC 7512 `pkcs11:` URI naming a key: path attributes `token`, `object`, `id`,
/// `slot-id`; query attributes `module-path` (required), `pin-source`, `pin-value`. Any
/// other attribute is an error naming it. `Debug` and `Display` leave out a
/// `pin-value` (they keep a `pin-source`, which names a file or variable, not a PIN),
/// so what they print parses back to the same key and the same way to its PIN — except
/// an inline PIN, which is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    token: Option<String>,
    object: Option<String>,
    id: Option<Vec<u8>>,
    slot_id: Option<u64>,
    module_path: PathBuf,
    pin: PinSource,
}

fn pct_decode(value: &str, uri: &str) -> Result<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    bad_uri(
                        uri,
                        format!("{value:?} has a % not followed by two hex digits"),
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn bad_uri(uri: &str, reason: String) -> Error {
    Error::Pkcs11 {
        uri: redact(uri),
        problem: Pkcs11Problem::BadUri { reason },
    }
}

/// The URI for messages: every query attribute's value but `module-path`'s and
/// `pin-source`'s replaced, so no PIN (`pin-value`, or a misspelt or unknown PIN
/// attribute) is ever printed.
fn redact(uri: &str) -> String {
    let Some((path, query)) = uri.split_once('?') else {
        return uri.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|a| match a.split_once('=') {
            Some(("module-path" | "pin-source", _)) | None => a.to_owned(),
            Some((name, _)) => format!("{name}=(redacted)"),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

impl Pkcs11Uri {
    /// Parses a `pkcs11:` URI.
    pub fn parse(uri: &str) -> Result<Pkcs11Uri> {
        let rest = uri
            .strip_prefix("pkcs11:")
            .ok_or_else(|| bad_uri(uri, "it does not begin with pkcs11:".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut parsed = Pkcs11Uri {
            token: None,
            object: None,
            id: None,
            slot_id: None,
            module_path: PathBuf::new(),
            pin: PinSource::Default,
        };
        let text = |v: &str| -> Result<String> {
            String::from_utf8(pct_decode(v, uri)?)
                .map_err(|_| bad_uri(uri, format!("{v:?} is not UTF-8")))
        };
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad_uri(uri, format!("path attribute {attr:?} has no '='")))?;
            match name {
                "token" => parsed.token = Some(text(value)?),
                "object" => parsed.object = Some(text(value)?),
                "id" => parsed.id = Some(pct_decode(value, uri)?),
                "slot-id" => {
                    parsed.slot_id =
                        Some(value.parse().map_err(|_| {
                            bad_uri(uri, format!("slot-id {value:?} is not a number"))
                        })?)
                }
                // `type` may only say what kpki uses anyway.
                "type" if value == "private" => {}
                other => {
                    return Err(Error::Pkcs11 {
                        uri: redact(uri),
                        problem: Pkcs11Problem::UnsupportedAttribute {
                            name: other.to_owned(),
                        },
                    });
                }
            }
        }
        let mut module = None;
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                bad_uri(
                    uri,
                    format!("query attribute {:?} has no '='", name_of(attr)),
                )
            })?;
            match name {
                "module-path" => module = Some(PathBuf::from(text(value)?)),
                "pin-source" => {
                    let source = text(value)?;
                    parsed.pin = match source.strip_prefix("env:") {
                        Some(var) => PinSource::Env(var.to_owned()),
                        None => PinSource::File(PathBuf::from(
                            source.strip_prefix("file:").unwrap_or(&source),
                        )),
                    };
                }
                "pin-value" => {
                    // Its errors must not echo the PIN.
                    let bytes = Zeroizing::new(pct_decode(value, uri).map_err(|_| {
                        bad_uri(
                            uri,
                            "pin-value has a % not followed by two hex digits".into(),
                        )
                    })?);
                    let pin = std::str::from_utf8(&bytes)
                        .map_err(|_| bad_uri(uri, "pin-value is not UTF-8".into()))?;
                    parsed.pin = PinSource::Value(Zeroizing::new(pin.to_owned()));
                }
                other => {
                    return Err(Error::Pkcs11 {
                        uri: redact(uri),
                        problem: Pkcs11Problem::UnsupportedAttribute {
                            name: other.to_owned(),
                        },
                    });
                }
            }
        }
        parsed.module_path =
            module.ok_or_else(|| bad_uri(uri, "module-path is required".into()))?;
        if parsed.object.is_none() && parsed.id.is_none() {
            return Err(bad_uri(uri, "name the key with object= or id=".into()));
        }
        Ok(parsed)
    }

    /// Whether the PIN is written in the URI itself (`pin-value`): a command line
    /// must not take such a URI, since argv is readable by every user of the machine.
    pub fn has_inline_pin(&self) -> bool {
        matches!(self.pin, PinSource::Value(_))
    }

    /// The module (shared library) the URI names.
    pub fn module_path(&self) -> &Path {
        &self.module_path
    }

    fn pin(&self) -> Result<Option<AuthPin>> {
        let fail = |reason: String| Error::Pkcs11 {
            uri: self.to_string(),
            problem: Pkcs11Problem::Pin { reason },
        };
        let text: Option<Zeroizing<String>> = match &self.pin {
            PinSource::Value(v) => Some(v.clone()),
            PinSource::File(path) => {
                let bytes = crate::files::read_file(path)
                    .map_err(|e| fail(format!("reading {}: {e}", path.display())))?;
                let s = std::str::from_utf8(&bytes)
                    .map_err(|_| fail(format!("{} is not UTF-8", path.display())))?;
                Some(Zeroizing::new(s.lines().next().unwrap_or("").to_owned()))
            }
            PinSource::Env(var) => Some(Zeroizing::new(
                std::env::var(var).map_err(|_| fail(format!("${var} is not set")))?,
            )),
            PinSource::Default => std::env::var("KPKI_PKCS11_PIN").ok().map(Zeroizing::new),
        };
        Ok(text.map(|t| AuthPin::from(t.as_str())))
    }
}

impl std::str::FromStr for Pkcs11Uri {
    type Err = Error;

    /// [`Pkcs11Uri::parse`].
    fn from_str(s: &str) -> Result<Pkcs11Uri> {
        Pkcs11Uri::parse(s)
    }
}

/// `value` with everything but RFC 3986's unreserved characters (and `keep`)
/// percent-encoded, so that it reads back as the same attribute.
fn pct_encode(value: &str, keep: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn name_of(attr: &str) -> &str {
    attr.split('=').next().unwrap_or(attr)
}

impl std::fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut path = Vec::new();
        if let Some(t) = &self.token {
            path.push(format!("token={}", pct_encode(t, "")));
        }
        if let Some(o) = &self.object {
            path.push(format!("object={}", pct_encode(o, "")));
        }
        if let Some(id) = &self.id {
            let hex: String = id.iter().map(|b| format!("%{b:02x}")).collect();
            path.push(format!("id={hex}"));
        }
        if let Some(s) = self.slot_id {
            path.push(format!("slot-id={s}"));
        }
        write!(
            f,
            "pkcs11:{}?module-path={}",
            path.join(";"),
            pct_encode(&self.module_path.to_string_lossy(), "/")
        )?;
        match &self.pin {
            PinSource::File(p) => write!(
                f,
                "&pin-source=file:{}",
                pct_encode(&p.to_string_lossy(), "/")
            ),
            PinSource::Env(v) => write!(f, "&pin-source=env:{}", pct_encode(v, "")),
            PinSource::Value(_) | PinSource::Default => Ok(()),
        }
    }
}

impl std::fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Uri({self})")
    }
}

/// A CA role and the token key it signs with, as a command line gives it:
/// `ROLE=pkcs11:...` (`kubernetes=pkcs11:token=kpki;object=ca?module-path=...`). A URI
/// with `pin-value` is refused here — argv is readable by every user of the machine —
/// so the PIN comes from `pin-source` or `KPKI_PKCS11_PIN`.
#[derive(Clone, Debug)]
pub struct CaKeyUri {
    /// The role.
    pub role: CaRole,
    /// The key.
    pub uri: Pkcs11Uri,
}

impl std::str::FromStr for CaKeyUri {
    type Err = Error;

    fn from_str(s: &str) -> Result<CaKeyUri> {
        let (role, uri) = s.split_once('=').ok_or_else(|| {
            bad_uri(
                s,
                "give ROLE=pkcs11:... (ROLE: kubernetes, etcd, front-proxy)".into(),
            )
        })?;
        let role: CaRole = role.parse()?;
        let uri = Pkcs11Uri::parse(uri)?;
        if uri.has_inline_pin() {
            return Err(Error::Pkcs11 {
                uri: uri.to_string(),
                problem: Pkcs11Problem::Pin {
                    reason: "a PIN on the command line (pin-value) is readable by every user; \
                             use pin-source=file:PATH or KPKI_PKCS11_PIN"
                        .into(),
                },
            });
        }
        Ok(CaKeyUri { role, uri })
    }
}

/// One logged-in token of one module, shared by every key on it in this process.
struct Token {
    context: Pkcs11,
    slot: Slot,
    /// Idle sessions; at least one stays open so the login lasts.
    sessions: Mutex<Vec<Session>>,
    /// Held while a key is looked up and generated: one key per URI even when threads
    /// race, and SoftHSM fails (CKR_GENERAL_ERROR) on concurrent C_GenerateKeyPair.
    generating: Mutex<()>,
}

impl Token {
    fn session(&self) -> std::result::Result<Session, cryptoki::error::Error> {
        let idle = self.sessions.lock().ok().and_then(|mut s| s.pop());
        match idle {
            Some(s) => Ok(s),
            None => self.context.open_rw_session(self.slot),
        }
    }

    fn give_back(&self, session: Session) {
        if let Ok(mut idle) = self.sessions.lock() {
            idle.push(session);
        }
    }

    /// A session in which the user is logged in, logging in again with the URI's PIN
    /// if the login was dropped: PKCS#11 login state belongs to the application, so
    /// another client of the module in this process logging out drops it for kpki too.
    fn logged_in_session(&self, uri: &Pkcs11Uri) -> Result<Session> {
        let session = self.session().map_err(|e| token_error(uri, e))?;
        let state = session
            .get_session_info()
            .map_err(|e| token_error(uri, e))?
            .session_state();
        if matches!(state, SessionState::RoPublic | SessionState::RwPublic) {
            login(&session, uri)?;
        }
        Ok(session)
    }
}

/// C_Login as the user with the URI's PIN (if it has one); already logged in is fine.
fn login(session: &Session, uri: &Pkcs11Uri) -> Result<()> {
    let Some(pin) = uri.pin()? else {
        return Ok(());
    };
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(e) => Err(token_error(uri, e)),
    }
}

/// Logged-in tokens of this process, by module and slot.
type Tokens = Mutex<HashMap<(PathBuf, u64), Arc<Token>>>;

/// Modules initialised in this process (C_Initialize once each), and logged-in tokens.
fn registry() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

fn contexts() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    CONTEXTS.get_or_init(Default::default)
}

fn token_error(uri: &Pkcs11Uri, e: cryptoki::error::Error) -> Error {
    let problem = match e {
        cryptoki::error::Error::Pkcs11(RvError::PinIncorrect, _) => Pkcs11Problem::WrongPin,
        cryptoki::error::Error::Pkcs11(RvError::PinLenRange, _) => Pkcs11Problem::WrongPin,
        cryptoki::error::Error::Pkcs11(
            rv @ (RvError::MechanismInvalid | RvError::MechanismParamInvalid),
            f,
        ) => Pkcs11Problem::MechanismRefused {
            reason: format!("{f}: {rv:?}"),
        },
        cryptoki::error::Error::Pkcs11(rv, f) => Pkcs11Problem::Token {
            reason: format!("{f} returned {rv:?}"),
        },
        other => Pkcs11Problem::Token {
            reason: other.to_string(),
        },
    };
    Error::Pkcs11 {
        uri: uri.to_string(),
        problem,
    }
}

fn open_token(uri: &Pkcs11Uri) -> Result<Arc<Token>> {
    let module = &uri.module_path;
    let context = {
        let mut contexts = contexts()
            .lock()
            .map_err(|_| Error::internal("the PKCS#11 module registry lock is poisoned"))?;
        match contexts.get(module) {
            Some(c) => c.clone(),
            None => {
                if !module.exists() {
                    return Err(Error::Pkcs11 {
                        uri: uri.to_string(),
                        problem: Pkcs11Problem::Module {
                            reason: "the file does not exist".into(),
                        },
                    });
                }
                let c = Pkcs11::new(module).map_err(|e| Error::Pkcs11 {
                    uri: uri.to_string(),
                    problem: Pkcs11Problem::Module {
                        reason: format!("not a PKCS#11 module: {e}"),
                    },
                })?;
                match c.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                    Ok(())
                    | Err(cryptoki::error::Error::Pkcs11(
                        cryptoki::error::RvError::CryptokiAlreadyInitialized,
                        _,
                    )) => {}
                    Err(e) => {
                        return Err(Error::Pkcs11 {
                            uri: uri.to_string(),
                            problem: Pkcs11Problem::Module {
                                reason: format!("C_Initialize failed: {e}"),
                            },
                        });
                    }
                }
                contexts.insert(module.clone(), c.clone());
                c
            }
        }
    };
    let slots = context
        .get_slots_with_initialized_token()
        .map_err(|e| token_error(uri, e))?;
    // A slot whose token cannot be read (its store gone) does not hide the others; if
    // no readable token matches, that failure is the error, since the token asked for
    // may be the unreadable one.
    let mut found = None;
    let mut unreadable = None;
    for slot in slots {
        if uri.slot_id.is_some_and(|id| id != slot.id()) {
            continue;
        }
        match context.get_token_info(slot) {
            Ok(info) if uri.token.as_deref().is_none_or(|t| info.label() == t) => {
                found = Some(slot);
                break;
            }
            Ok(_) => {}
            Err(e) => {
                unreadable.get_or_insert(e);
            }
        }
    }
    let slot = match (found, unreadable) {
        (Some(slot), _) => slot,
        (None, Some(e)) => return Err(token_error(uri, e)),
        (None, None) => {
            return Err(Error::Pkcs11 {
                uri: uri.to_string(),
                problem: Pkcs11Problem::NoToken,
            });
        }
    };
    let mut tokens = registry()
        .lock()
        .map_err(|_| Error::internal("the PKCS#11 token registry lock is poisoned"))?;
    if let Some(t) = tokens.get(&(module.clone(), slot.id())) {
        return Ok(t.clone());
    }
    let session = context
        .open_rw_session(slot)
        .map_err(|e| token_error(uri, e))?;
    login(&session, uri)?;
    let token = Arc::new(Token {
        context,
        slot,
        sessions: Mutex::new(vec![session]),
        generating: Mutex::new(()),
    });
    tokens.insert((module.clone(), slot.id()), token.clone());
    Ok(token)
}

/// A private key in a PKCS#11 token: signs through the token, never leaves it.
pub struct Pkcs11Key {
    token: Arc<Token>,
    /// The private key's handle; found again if the token invalidates it (a private
    /// object's handle dies with the login).
    handle: RwLock<ObjectHandle>,
    public: PublicKey,
    uri: Pkcs11Uri,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("uri", &self.uri.to_string())
            .field("algorithm", &self.public.algorithm())
            .finish()
    }
}

fn template(uri: &Pkcs11Uri, class: ObjectClass) -> Vec<Attribute> {
    let mut t = vec![Attribute::Class(class)];
    if let Some(o) = &uri.object {
        t.push(Attribute::Label(o.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        t.push(Attribute::Id(id.clone()));
    }
    t
}

/// A positive INTEGER from big-endian magnitude bytes.
fn unsigned_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
    let trimmed: &[u8] = {
        let skip = magnitude.iter().take_while(|b| **b == 0).count();
        &magnitude[skip.min(magnitude.len().saturating_sub(1))..]
    };
    der::tlv(out, der::INTEGER, |o| {
        if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
            o.push(0);
        }
        o.extend_from_slice(trimmed);
    });
}

/// The bytes inside a DER OCTET STRING, or the bytes as they are (some modules give
/// CKA_EC_POINT raw).
fn octet_string_content(bytes: &[u8]) -> &[u8] {
    if bytes.len() >= 2 && bytes[0] == der::OCTET_STRING {
        let (len, start) = if bytes[1] < 0x80 {
            (bytes[1] as usize, 2)
        } else if bytes[1] == 0x81 && bytes.len() > 2 {
            (bytes[2] as usize, 3)
        } else {
            return bytes;
        };
        if start + len == bytes.len() {
            return &bytes[start..];
        }
    }
    bytes
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn curve_params(algorithm: KeyAlgorithm) -> Vec<u8> {
    let mut out = Vec::new();
    match algorithm {
        KeyAlgorithm::EcdsaP384 => der::primitive(&mut out, der::OID, OID_P384),
        KeyAlgorithm::Ed25519 => der::primitive(&mut out, der::OID, OID_ED25519),
        _ => der::primitive(&mut out, der::OID, OID_P256),
    }
    out
}

impl Pkcs11Key {
    /// Opens the private key the URI names (and its public half), logging into the
    /// token once per process. With `expect`, a key of another algorithm is an error.
    pub fn open(uri: &Pkcs11Uri, expect: Option<KeyAlgorithm>) -> Result<Pkcs11Key> {
        Pkcs11Key::required(&open_token(uri)?, uri)?.expecting(expect)
    }

    /// The key `uri` names on `token`; its absence is [`Pkcs11Problem::NoObject`].
    fn required(token: &Arc<Token>, uri: &Pkcs11Uri) -> Result<Pkcs11Key> {
        Pkcs11Key::find(token, uri)?.ok_or_else(|| Error::Pkcs11 {
            uri: uri.to_string(),
            problem: Pkcs11Problem::NoObject,
        })
    }

    /// The key, if it is `expect` (or nothing is expected).
    fn expecting(self, expect: Option<KeyAlgorithm>) -> Result<Pkcs11Key> {
        match expect {
            Some(want) if self.public.algorithm() != want => Err(Error::Pkcs11 {
                uri: self.uri.to_string(),
                problem: Pkcs11Problem::WrongAlgorithm {
                    expected: want,
                    found: self.public.algorithm(),
                },
            }),
            _ => Ok(self),
        }
    }

    /// The key the URI names if it exists (checked to be `algorithm`), else a new key
    /// pair of `algorithm` generated in the token: private half CKA_TOKEN, CKA_PRIVATE,
    /// CKA_SENSITIVE, not CKA_EXTRACTABLE, allowed to sign and nothing else (no CKA_DECRYPT,
    /// CKA_UNWRAP or CKA_DERIVE), labelled and identified as the URI says.
    /// Returns the key and whether it was generated. An existing key is never replaced.
    pub fn open_or_generate(uri: &Pkcs11Uri, algorithm: KeyAlgorithm) -> Result<(Pkcs11Key, bool)> {
        let token = open_token(uri)?;
        let _one_at_a_time = token
            .generating
            .lock()
            .map_err(|_| Error::internal("the PKCS#11 key generation lock is poisoned"))?;
        if let Some(key) = Pkcs11Key::find(&token, uri)? {
            return Ok((key.expecting(Some(algorithm))?, false));
        }
        let session = token.logged_in_session(uri)?;
        let generated = Pkcs11Key::generate_in(&session, uri, algorithm);
        token.give_back(session);
        generated?;
        Ok((
            Pkcs11Key::required(&token, uri)?.expecting(Some(algorithm))?,
            true,
        ))
    }

    fn generate_in(session: &Session, uri: &Pkcs11Uri, algorithm: KeyAlgorithm) -> Result<()> {
        let mut public = template(uri, ObjectClass::PUBLIC_KEY);
        public.extend([
            Attribute::Token(true),
            Attribute::Verify(true),
            Attribute::Encrypt(false),
            Attribute::Wrap(false),
        ]);
        let mut private = template(uri, ObjectClass::PRIVATE_KEY);
        private.extend([
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            // A CA key signs and does nothing else (SoftHSM's defaults would let it
            // decrypt and unwrap too).
            Attribute::Decrypt(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
        ]);
        let mechanism = match algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let bits: u64 = match algorithm {
                    KeyAlgorithm::Rsa3072 => 3072,
                    KeyAlgorithm::Rsa4096 => 4096,
                    _ => 2048,
                };
                public.extend([
                    Attribute::ModulusBits(bits.into()),
                    Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                ]);
                Mechanism::RsaPkcsKeyPairGen
            }
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                public.push(Attribute::EcParams(curve_params(algorithm)));
                Mechanism::EccKeyPairGen
            }
            KeyAlgorithm::Ed25519 => {
                public.push(Attribute::EcParams(curve_params(algorithm)));
                Mechanism::EccEdwardsKeyPairGen
            }
        };
        session
            .generate_key_pair(&mechanism, &public, &private)
            .map(|_| ())
            .map_err(|e| token_error(uri, e))
    }

    fn find(token: &Arc<Token>, uri: &Pkcs11Uri) -> Result<Option<Pkcs11Key>> {
        let session = token.logged_in_session(uri)?;
        let found = Pkcs11Key::find_in(&session, uri);
        token.give_back(session);
        Ok(found?.map(|(handle, public)| Pkcs11Key {
            token: token.clone(),
            handle: RwLock::new(handle),
            public,
            uri: uri.clone(),
        }))
    }

    fn find_in(session: &Session, uri: &Pkcs11Uri) -> Result<Option<(ObjectHandle, PublicKey)>> {
        let err = |e| token_error(uri, e);
        let privates = session
            .find_objects(&template(uri, ObjectClass::PRIVATE_KEY))
            .map_err(err)?;
        let Some(&handle) = privates.first() else {
            return Ok(None);
        };
        if privates.len() > 1 {
            return Err(Error::Pkcs11 {
                uri: uri.to_string(),
                problem: Pkcs11Problem::Ambiguous {
                    count: privates.len(),
                },
            });
        }
        let publics = session
            .find_objects(&template(uri, ObjectClass::PUBLIC_KEY))
            .map_err(err)?;
        let public_handle = publics.first().copied().ok_or_else(|| Error::Pkcs11 {
            uri: uri.to_string(),
            problem: Pkcs11Problem::NoPublicKey,
        })?;
        let attrs = session
            .get_attributes(
                public_handle,
                &[
                    AttributeType::KeyType,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                    AttributeType::EcParams,
                    AttributeType::EcPoint,
                ],
            )
            .map_err(err)?;
        let (mut kind, mut n, mut e, mut params, mut point) = (None, None, None, None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(k) => kind = Some(k),
                Attribute::Modulus(v) => n = Some(v),
                Attribute::PublicExponent(v) => e = Some(v),
                Attribute::EcParams(v) => params = Some(v),
                Attribute::EcPoint(v) => point = Some(v),
                _ => {}
            }
        }
        let mut spki = Vec::new();
        match (kind, n, e, params, point) {
            (Some(KeyType::RSA), Some(n), Some(e), _, _) => {
                der::tlv(&mut spki, der::SEQUENCE, |o| {
                    der::tlv(o, der::SEQUENCE, |o| {
                        der::primitive(o, der::OID, OID_RSA);
                        o.extend_from_slice(&[0x05, 0x00]);
                    });
                    let mut key = Vec::new();
                    der::tlv(&mut key, der::SEQUENCE, |k| {
                        unsigned_integer(k, &n);
                        unsigned_integer(k, &e);
                    });
                    der::bit_string(o, &key);
                });
            }
            (Some(KeyType::EC), _, _, Some(params), Some(point)) => {
                der::tlv(&mut spki, der::SEQUENCE, |o| {
                    der::tlv(o, der::SEQUENCE, |o| {
                        der::primitive(o, der::OID, OID_EC);
                        o.extend_from_slice(&params);
                    });
                    der::bit_string(o, octet_string_content(&point));
                });
            }
            (Some(KeyType::EC_EDWARDS), _, _, _, Some(point)) => {
                der::tlv(&mut spki, der::SEQUENCE, |o| {
                    der::tlv(o, der::SEQUENCE, |o| {
                        der::primitive(o, der::OID, OID_ED25519)
                    });
                    der::bit_string(o, octet_string_content(&point));
                });
            }
            (kind, ..) => {
                return Err(Error::Pkcs11 {
                    uri: uri.to_string(),
                    problem: Pkcs11Problem::UnsupportedKey {
                        key_type: format!("{kind:?}"),
                    },
                });
            }
        }
        let public = PublicKey::from_spki_der(&spki).map_err(|e| Error::Pkcs11 {
            uri: uri.to_string(),
            problem: Pkcs11Problem::UnsupportedKey {
                key_type: e.to_string(),
            },
        })?;
        Ok(Some((handle, public)))
    }

    /// The URI the key was opened with (without its PIN).
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    /// The token's own attributes of the private key: (CKA_SENSITIVE, CKA_EXTRACTABLE,
    /// CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE), for audits and tests.
    pub fn protection(&self) -> Result<(bool, bool, bool, bool)> {
        let session = self
            .token
            .session()
            .map_err(|e| token_error(&self.uri, e))?;
        let attrs = session.get_attributes(
            self.handle(),
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
            ],
        );
        self.token.give_back(session);
        let mut out = (false, true, false, false);
        for a in attrs.map_err(|e| token_error(&self.uri, e))? {
            match a {
                Attribute::Sensitive(v) => out.0 = v,
                Attribute::Extractable(v) => out.1 = v,
                Attribute::AlwaysSensitive(v) => out.2 = v,
                Attribute::NeverExtractable(v) => out.3 = v,
                _ => {}
            }
        }
        Ok(out)
    }

    fn handle(&self) -> ObjectHandle {
        *self
            .handle
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The private key found again under the URI after the token invalidated its
    /// handle; it must still be the key that was opened.
    fn find_again(&self, session: &Session) -> Result<()> {
        match Pkcs11Key::find_in(session, &self.uri)? {
            Some((handle, public)) if public == self.public => {
                *self
                    .handle
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = handle;
                Ok(())
            }
            Some(_) => Err(Error::Pkcs11 {
                uri: self.uri.to_string(),
                problem: Pkcs11Problem::Token {
                    reason: "the key under this URI was replaced while in use".into(),
                },
            }),
            None => Err(Error::Pkcs11 {
                uri: self.uri.to_string(),
                problem: Pkcs11Problem::NoObject,
            }),
        }
    }

    /// One C_Sign of `data` with `mechanism`, on a pooled session. If the token has
    /// dropped the login (every session of the application closed, or another client
    /// in the process logged out, which also invalidates private objects' handles), it
    /// logs in again with the URI's PIN, finds the key again and signs once more.
    fn raw_sign(&self, mechanism: &Mechanism, data: &[u8]) -> Result<Vec<u8>> {
        use cryptoki::error::Error as Ck;
        let session = self
            .token
            .session()
            .map_err(|e| token_error(&self.uri, e))?;
        let signed = match session.sign(mechanism, self.handle(), data) {
            Err(Ck::Pkcs11(
                RvError::UserNotLoggedIn | RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid,
                _,
            )) => {
                login(&session, &self.uri)?;
                self.find_again(&session)?;
                session.sign(mechanism, self.handle(), data)
            }
            other => other,
        };
        match signed {
            Ok(sig) => {
                self.token.give_back(session);
                Ok(sig)
            }
            // A failed session is dropped (closed), not pooled.
            Err(e) => Err(match token_error(&self.uri, e) {
                Error::Pkcs11 {
                    uri,
                    problem: Pkcs11Problem::MechanismRefused { reason },
                } => Error::Pkcs11 {
                    uri,
                    problem: Pkcs11Problem::MechanismRefused {
                        reason: format!("{} to sign: {reason}", mechanism.mechanism_type()),
                    },
                },
                other => other,
            }),
        }
    }
}

/// An ECDSA signature `r || s` as X.509 wants it: DER `SEQUENCE { r INTEGER, s INTEGER }`.
fn ecdsa_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut out = Vec::new();
    der::tlv(&mut out, der::SEQUENCE, |o| {
        unsigned_integer(o, r);
        unsigned_integer(o, s);
    });
    out
}

impl Signer for Pkcs11Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        use aws_lc_rs::digest;
        match self.public.algorithm() {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                self.raw_sign(&Mechanism::Sha256RsaPkcs, message)
            }
            alg @ (KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384) => {
                let (digest_alg, width) = if alg == KeyAlgorithm::EcdsaP384 {
                    (&digest::SHA384, 96)
                } else {
                    (&digest::SHA256, 64)
                };
                let hash = digest::digest(digest_alg, message);
                let raw = self.raw_sign(&Mechanism::Ecdsa, hash.as_ref())?;
                if raw.len() != width {
                    return Err(Error::Pkcs11 {
                        uri: self.uri.to_string(),
                        problem: Pkcs11Problem::Token {
                            reason: format!(
                                "CKM_ECDSA gave {} bytes, not r || s of {width}",
                                raw.len()
                            ),
                        },
                    });
                }
                Ok(ecdsa_der(&raw))
            }
            KeyAlgorithm::Ed25519 => self.raw_sign(
                &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                message,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_and_unknown_attributes_are_named() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=kpki;object=ca%20key;id=%01%02?module-path=/m.so&pin-value=1234",
        )
        .unwrap();
        assert_eq!(u.object.as_deref(), Some("ca key"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert!(u.has_inline_pin());
        assert_eq!(
            u.to_string(),
            "pkcs11:token=kpki;object=ca%20key;id=%01%02?module-path=/m.so"
        );
        let odd = Pkcs11Uri::parse("pkcs11:object=a%3bb%3f?module-path=/m%20x.so").unwrap();
        assert_eq!(
            Pkcs11Uri::parse(&odd.to_string()).unwrap().object,
            odd.object
        );
        // The PIN is in neither Display nor Debug.
        assert!(!format!("{u} {u:?}").contains("1234"), "{u:?}");
        // Where the PIN comes from is: printed, it still reads the same PIN.
        for source in ["file:/run/kpki%20pin", "env:HSM_PIN"] {
            let u = Pkcs11Uri::parse(&format!(
                "pkcs11:object=o?module-path=/m.so&pin-source={source}"
            ))
            .unwrap();
            assert!(
                u.to_string().ends_with(&format!("&pin-source={source}")),
                "{u}"
            );
            assert!(Pkcs11Uri::parse(&u.to_string()).unwrap() == u);
        }
        let err = Pkcs11Uri::parse("pkcs11:token=t;object=o;manufacturer=x?module-path=/m.so")
            .unwrap_err();
        assert!(err.to_string().contains("manufacturer"), "{err}");
        let err =
            Pkcs11Uri::parse("pkcs11:object=o?module-path=/m.so&pin-value=99&foo=1").unwrap_err();
        assert!(
            err.to_string().contains("foo") && !err.to_string().contains("99"),
            "{err}"
        );
        for bad in [
            "pkcs:object=o",
            "pkcs11:object=o",
            "pkcs11:token=t?module-path=/m.so",
            "pkcs11:object=%zz?module-path=/m",
        ] {
            assert!(Pkcs11Uri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ecdsa_raw_signatures_become_der() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[63] = 1; // s is small
        let der = ecdsa_der(&raw);
        assert_eq!(&der[..4], &[0x30, 0x26, 0x02, 0x21]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
    }
}
