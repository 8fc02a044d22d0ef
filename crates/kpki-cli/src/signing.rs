//! `kpki csr`, `kpki sign`, `kpki kube-csr create|sign`, `kpki user`: flags in, one
//! core call, files out through `write_new_files` (all or nothing, keys never
//! replaced). A refusal exits non-zero having written nothing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::{Args, Subcommand};
use kpki_core::{
    Csr, GoDuration, Identity, KeyAlgorithm, KubeCsr, OutputFile, PrivateKey, SignerPolicy,
    SigningRequest, SubjectAltNames, Usage, UserRequest, read_file, write_new_files,
};
use zeroize::Zeroizing;

use crate::{CaKeys, CliResult, Failure, core, flag, opt_flag};

/// `kpki csr`.
#[derive(Args)]
pub(crate) struct CsrArgs {
    /// The subject's common name (the Kubernetes user).
    #[arg(long)]
    cn: String,
    /// An organization (a Kubernetes group); repeat for several.
    #[arg(long = "org")]
    orgs: Vec<String>,
    /// A DNS name SAN; repeat for several.
    #[arg(long = "dns")]
    dns: Vec<String>,
    /// An IP address SAN; repeat for several.
    #[arg(long = "ip")]
    ips: Vec<String>,
    /// Key algorithm: rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519.
    #[arg(long, default_value = "rsa-2048")]
    key_algorithm: String,
    /// Where to write the private key (mode 0600; never overwritten).
    #[arg(long)]
    key_out: PathBuf,
    /// Where to write the CSR (PEM).
    #[arg(long)]
    csr_out: PathBuf,
}

/// `kpki sign`.
#[derive(Args)]
pub(crate) struct SignArgs {
    /// The kubeadm root whose CA signs (certificates under DIR/pki).
    #[arg(long)]
    dir: PathBuf,
    /// The CSR (PEM or DER).
    #[arg(long)]
    csr: PathBuf,
    /// A built-in signer: kubernetes.io/kube-apiserver-client,
    /// kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving.
    #[arg(long, conflicts_with = "policy", required_unless_present = "policy")]
    signer: Option<String>,
    /// A signer policy file (YAML or JSON).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Requested validity (Go duration: 24h, 90m); clamped to the policy's maximum.
    #[arg(long)]
    duration: Option<String>,
    /// A requested usage ("client auth", "digital signature", ...); repeat for several.
    /// Default: the CSR's requested keyUsage/extendedKeyUsage, else the signer's.
    #[arg(long = "usage")]
    usages: Vec<String>,
    /// Grant this privileged group (e.g. system:masters) explicitly.
    #[arg(long = "allow-privileged-group")]
    allow_privileged_groups: Vec<String>,
    /// Replace an existing certificate file.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    ca_keys: CaKeys,
    /// Where to write the certificate (PEM).
    #[arg(long)]
    out: PathBuf,
}

/// `kpki kube-csr`.
#[derive(Subcommand)]
pub(crate) enum KubeCsrCommand {
    /// Print a certificates.k8s.io/v1 CertificateSigningRequest for a CSR (for kubectl apply -f -).
    Create {
        /// The CSR (PEM or DER).
        #[arg(long)]
        csr: PathBuf,
        /// spec.signerName.
        #[arg(long)]
        signer: String,
        /// metadata.name.
        #[arg(long)]
        name: String,
        /// spec.expirationSeconds (at least 600).
        #[arg(long)]
        expiration_seconds: Option<i64>,
        /// A usage; repeat for several (default: the built-in signer's usages for the key).
        #[arg(long = "usage")]
        usages: Vec<String>,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
    },
    /// Approve and sign CertificateSigningRequest objects (a file with one object or a List; - for stdin) and print them.
    Sign {
        /// The kubeadm root whose CA signs.
        #[arg(long)]
        dir: PathBuf,
        /// A policy file for signers other than the kubernetes.io built-ins.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Grant this privileged group explicitly.
        #[arg(long = "allow-privileged-group")]
        allow_privileged_groups: Vec<String>,
        #[command(flatten)]
        ca_keys: CaKeys,
        /// The objects (YAML or JSON).
        file: PathBuf,
    },
}

/// `kpki user`.
#[derive(Args)]
pub(crate) struct UserArgs {
    /// The user name (CN).
    name: String,
    /// The kubeadm root whose CA signs (and whose admin.conf names the cluster).
    #[arg(long)]
    dir: PathBuf,
    /// A group (O); repeat for several.
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Validity (Go duration, e.g. 720h) [default: 8760h, ending with the CA if sooner].
    #[arg(long)]
    validity: Option<String>,
    /// Key algorithm [default: rsa-2048].
    #[arg(long, default_value = "rsa-2048")]
    key_algorithm: String,
    /// The API server URL [default: from DIR/admin.conf].
    #[arg(long)]
    server: Option<String>,
    /// Grant this privileged group (system:masters) explicitly.
    #[arg(long = "allow-privileged-group")]
    allow_privileged_groups: Vec<String>,
    #[command(flatten)]
    ca_keys: CaKeys,
    /// Where to write the kubeconfig (mode 0600; never overwritten).
    #[arg(long)]
    kubeconfig_out: PathBuf,
}

/// A file's bytes; `-` is standard input.
fn input(path: &Path) -> CliResult<Zeroizing<Vec<u8>>> {
    if path == Path::new("-") {
        let mut v = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).map_err(|e| {
            vec![Failure::from(kpki_core::Error::Io {
                path: path.to_path_buf(),
                operation: "reading standard input",
                source: e,
            })]
        })?;
        return Ok(v);
    }
    core(read_file(path))
}

fn read_csr(path: &Path) -> CliResult<Csr> {
    core(Csr::load(&input(path)?, path))
}

fn read_policy(path: &Path) -> CliResult<SignerPolicy> {
    core(SignerPolicy::load(&input(path)?, path))
}

fn usages(names: &[String]) -> CliResult<Vec<Usage>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    core(Usage::parse_list(names))
}

/// A Go duration flag as whole seconds (saturating).
fn seconds(name: &str, value: Option<&str>) -> CliResult<Option<i64>> {
    Ok(opt_flag::<GoDuration>(name, value)?
        .map(|d| i64::try_from(d.get().as_secs()).unwrap_or(i64::MAX)))
}

pub(crate) fn csr(args: CsrArgs) -> CliResult<()> {
    let identity = core(Identity::new(
        args.cn.as_str(),
        args.orgs.iter().map(String::as_str),
    ))?;
    let sans = core(SubjectAltNames::parse(
        args.dns.iter().chain(args.ips.iter()),
    ))?;
    let algorithm: KeyAlgorithm = flag("--key-algorithm", &args.key_algorithm)?;
    let key = core(PrivateKey::generate(algorithm))?;
    let csr = core(Csr::generate(&identity, &sans, &key))?;
    core(write_new_files(
        &[
            OutputFile::secret(&args.key_out, key.to_pem().as_bytes()),
            OutputFile::public(&args.csr_out, csr.to_pem()),
        ],
        false,
    ))
}

pub(crate) fn sign(args: SignArgs) -> CliResult<()> {
    let given = match (&args.signer, &args.policy) {
        (Some(name), _) => core(SignerPolicy::builtin(name))?,
        (None, Some(path)) => read_policy(path)?,
        (None, None) => unreachable!("clap requires --signer or --policy"), // ok: clap enforces it
    };
    let policy = given.allowing_privileged_groups(&args.allow_privileged_groups);
    let csr = read_csr(&args.csr)?;
    let expiration = seconds("--duration", args.duration.as_deref())?;
    let request = core(SigningRequest::choose(
        &csr,
        &policy,
        usages(&args.usages)?,
        expiration,
    ))?;
    let ca = core(args.ca_keys.layout(&args.dir)?.signing_ca(&policy))?;
    let cert = core(ca.sign_csr(&csr, &policy, &request, SystemTime::now()))?;
    core(write_new_files(
        &[OutputFile::public(&args.out, cert.to_pem())],
        args.force,
    ))
}

pub(crate) fn kube_csr(cmd: KubeCsrCommand) -> CliResult<()> {
    match cmd {
        KubeCsrCommand::Create {
            csr,
            signer,
            name,
            expiration_seconds,
            usages: names,
            json,
        } => {
            let request = read_csr(&csr)?;
            let object = core(KubeCsr::for_csr(
                name,
                signer,
                request,
                usages(&names)?,
                expiration_seconds,
            ))?;
            if json {
                println!("{}", core(object.to_json())?);
            } else {
                print!("{}", core(object.to_yaml())?);
            }
            Ok(())
        }
        KubeCsrCommand::Sign {
            dir,
            policy,
            allow_privileged_groups,
            ca_keys,
            file,
        } => {
            let document = core(KubeCsr::load_document(
                &input(&file)?,
                &file.display().to_string(),
            ))?;
            let given = policy.as_deref().map(read_policy).transpose()?;
            let results = ca_keys.layout(&dir)?.sign_kube_csrs(
                &document.items,
                given.as_ref(),
                &allow_privileged_groups,
                SystemTime::now(),
            );
            let mut signed = Vec::new();
            let mut refused = Vec::new();
            for (object, result) in document.items.iter().zip(results) {
                match result {
                    Ok(o) => signed.push(o),
                    Err(error) => refused.push(Failure {
                        context: Some(format!("{:?}", object.name)),
                        error,
                    }),
                }
            }
            if !refused.is_empty() {
                return Err(refused);
            }
            if document.is_list {
                print!("{}", core(KubeCsr::list_to_yaml(&signed))?);
            } else if let Some(o) = signed.first() {
                print!("{}", core(o.to_yaml())?);
            }
            Ok(())
        }
    }
}

pub(crate) fn user(args: UserArgs) -> CliResult<()> {
    let mut req = core(UserRequest::new(
        args.name.as_str(),
        args.groups.iter().map(String::as_str),
    ))?;
    req.key_algorithm = flag("--key-algorithm", &args.key_algorithm)?;
    req.validity =
        opt_flag::<GoDuration>("--validity", args.validity.as_deref())?.map(GoDuration::get);
    req.allowed_privileged_groups = args.allow_privileged_groups.clone();
    let creds = core(args.ca_keys.layout(&args.dir)?.issue_user(
        &req,
        args.server.as_deref(),
        SystemTime::now(),
    ))?;
    let yaml = core(creds.kubeconfig.to_yaml())?;
    core(write_new_files(
        &[OutputFile::secret(&args.kubeconfig_out, yaml.as_bytes())],
        false,
    ))
}
