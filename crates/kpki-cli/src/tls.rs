//! `kpki tls ca|csr|sign`: general-purpose TLS certificates (the core's `tls` module, what
//! `kpki.tls_certificates` issues for charms): any subject (`--subject ATTR=VALUE`), SANs of
//! four kinds (`--san KIND:VALUE`), signing under a `TlsPolicy`. Flags in, one core call,
//! files out through `write_new_files` (all or nothing, keys never replaced).

use std::path::PathBuf;
use std::time::SystemTime;

use clap::{Args, Subcommand};
use kpki_core::{
    Certificate, Csr, DistinguishedName, GeneralName, GoDuration, KeyAlgorithm, OutputFile,
    PrivateKey, TlsPolicy, TlsRequest, read_file, tls_self_signed_ca, write_new_files,
};

use crate::{CliResult, core, flag, opt_flag};

/// `kpki tls`.
#[derive(Subcommand)]
pub(crate) enum TlsCommand {
    /// A self-signed CA certificate and its new key.
    Ca(Box<CaArgs>),
    /// A new key and a CSR for any subject and SANs.
    Csr(Box<CsrArgs>),
    /// Sign a CSR with a CA certificate and key, under a TLS policy.
    Sign(Box<SignArgs>),
}

/// What a subject and its SANs are.
#[derive(Args)]
pub(crate) struct NameArgs {
    /// A subject attribute, ATTR=VALUE (CN, x500UniqueIdentifier, O, OU, emailAddress, C, ST, L or a dotted OID), in order; repeat for several.
    #[arg(long = "subject", required = true)]
    subject: Vec<String>,
    /// A subject alternative name, KIND:VALUE (dns:, ip:, oid:, email:); repeat for several.
    #[arg(long = "san")]
    sans: Vec<String>,
    /// Key algorithm: rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519.
    #[arg(long, default_value = "rsa-2048")]
    key_algorithm: String,
    /// Where to write the new private key (mode 0600; never overwritten).
    #[arg(long)]
    key_out: PathBuf,
}

/// `kpki tls ca`.
#[derive(Args)]
pub(crate) struct CaArgs {
    #[command(flatten)]
    name: NameArgs,
    /// Validity from now (Go duration: 8760h).
    #[arg(long)]
    duration: String,
    /// Where to write the certificate (PEM).
    #[arg(long)]
    cert_out: PathBuf,
}

/// `kpki tls csr`.
#[derive(Args)]
pub(crate) struct CsrArgs {
    #[command(flatten)]
    name: NameArgs,
    /// Where to write the CSR (PEM).
    #[arg(long)]
    csr_out: PathBuf,
}

/// `kpki tls sign`.
#[derive(Args)]
pub(crate) struct SignArgs {
    /// The CSR (PEM or DER).
    #[arg(long)]
    csr: PathBuf,
    /// The CA certificate (PEM or DER).
    #[arg(long)]
    ca_cert: PathBuf,
    /// The CA's private key (PEM or DER).
    #[arg(long)]
    ca_key: PathBuf,
    /// Requested validity from now (Go duration: 720h); shortened to --max-duration and to the CA's own expiry.
    #[arg(long)]
    duration: String,
    /// Issue a CA certificate (CA:TRUE; needs --allow-ca).
    #[arg(long)]
    is_ca: bool,
    /// Only DNS names in this domain (and, unless --no-subdomains, below it); repeat for several [default: any].
    #[arg(long = "allowed-domain")]
    allowed_domains: Vec<String>,
    /// Only the allowed domains themselves, no names below them.
    #[arg(long)]
    no_subdomains: bool,
    /// Allow wildcard DNS names (*.example.com).
    #[arg(long)]
    allow_wildcards: bool,
    /// Refuse IP address SANs.
    #[arg(long)]
    no_ip_sans: bool,
    /// Allow CA certificates.
    #[arg(long)]
    allow_ca: bool,
    /// The longest validity issued (Go duration) [default: the core's, 2160h].
    #[arg(long)]
    max_duration: Option<String>,
    /// Where to write the certificate (PEM).
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing certificate file.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(command: TlsCommand) -> CliResult<()> {
    match command {
        TlsCommand::Ca(args) => ca(*args),
        TlsCommand::Csr(args) => csr(*args),
        TlsCommand::Sign(args) => sign(*args),
    }
}

/// The subject, SANs and new key of `args`.
fn named(args: &NameArgs) -> CliResult<(DistinguishedName, Vec<GeneralName>, PrivateKey)> {
    let subject = core(DistinguishedName::from_assignments(&args.subject))?;
    let sans = args
        .sans
        .iter()
        .map(|s| flag::<GeneralName>("--san", s))
        .collect::<CliResult<Vec<_>>>()?;
    let algorithm: KeyAlgorithm = flag("--key-algorithm", &args.key_algorithm)?;
    Ok((subject, sans, core(PrivateKey::generate(algorithm))?))
}

fn ca(args: CaArgs) -> CliResult<()> {
    let (subject, sans, key) = named(&args.name)?;
    let validity = flag::<GoDuration>("--duration", &args.duration)?.get();
    let now = SystemTime::now();
    let not_after = core(
        now.checked_add(validity)
            .ok_or(kpki_core::Error::InvalidValidity {
                problem: kpki_core::ValidityProblem::OutOfRange {
                    seconds: validity.as_secs(),
                },
            }),
    )?;
    let cert = core(tls_self_signed_ca(&subject, &sans, &key, now, not_after))?;
    core(write_new_files(
        &[
            OutputFile::secret(&args.name.key_out, key.to_pem().as_bytes()),
            OutputFile::public(&args.cert_out, cert.to_pem()),
        ],
        false,
    ))
}

fn csr(args: CsrArgs) -> CliResult<()> {
    let (subject, sans, key) = named(&args.name)?;
    let csr = core(TlsRequest::new(subject).with_sans(sans).to_csr(&key))?;
    core(write_new_files(
        &[
            OutputFile::secret(&args.name.key_out, key.to_pem().as_bytes()),
            OutputFile::public(&args.csr_out, csr.to_pem()),
        ],
        false,
    ))
}

fn sign(args: SignArgs) -> CliResult<()> {
    let mut policy = TlsPolicy::new()
        .with_allowed_domains(args.allowed_domains.iter().map(String::as_str))
        .with_subdomains(!args.no_subdomains)
        .with_wildcards(args.allow_wildcards)
        .with_ip_sans(!args.no_ip_sans)
        .with_ca(args.allow_ca);
    if let Some(max) = opt_flag::<GoDuration>("--max-duration", args.max_duration.as_deref())? {
        policy = policy.with_max_validity(max.get());
    }
    let requested = flag::<GoDuration>("--duration", &args.duration)?.get();
    let csr = core(Csr::load(&core(read_file(&args.csr))?, args.csr.as_path()))?;
    let ca = core(Certificate::load(
        &core(read_file(&args.ca_cert))?,
        args.ca_cert.as_path(),
    ))?;
    let ca_key = core(PrivateKey::load(
        &core(read_file(&args.ca_key))?,
        args.ca_key.as_path(),
    ))?;
    let cert = core(policy.sign(&csr, &ca, &ca_key, SystemTime::now(), requested, args.is_ca))?;
    core(write_new_files(
        &[OutputFile::public(&args.out, cert.to_pem())],
        args.force,
    ))
}
