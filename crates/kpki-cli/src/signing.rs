//! `kpki csr`, `kpki sign`, `kpki kube-csr create|sign`, `kpki user`: flags in, core
//! values through `kpki-core`'s CSR, policy, object and user APIs, files out through
//! `write_new_files` (all or nothing, keys never replaced). A refusal exits non-zero
//! having written nothing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::{Args, Subcommand};
use kpki_core::kubeadm_config::parse_go_duration;
use kpki_core::kubeconfig::Cluster;
use kpki_core::layout::{OutputFile, write_new_files};
use kpki_core::{
    CertificateAuthority, Csr, Identity, KeyAlgorithm, KubeCsr, KubeadmLayout, PrivateKey,
    SignerPolicy, SigningRequest, SubjectAltNames, Usage, UserRequest,
};

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

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
    /// Where to write the kubeconfig (mode 0600; never overwritten).
    #[arg(long)]
    kubeconfig_out: PathBuf,
}

fn read(path: &Path) -> CliResult<Vec<u8>> {
    if path == Path::new("-") {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)?;
        return Ok(v);
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn read_text(path: &Path) -> CliResult<String> {
    String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8 text", path.display()).into())
}

fn read_csr(path: &Path) -> CliResult<Csr> {
    let bytes = read(path)?;
    let what = path.display().to_string();
    Ok(match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => Csr::from_pem_named(text, &what)?,
        _ => Csr::from_der_named(&bytes, &what)?,
    })
}

fn duration_seconds(value: &str, flag: &str) -> CliResult<i64> {
    let d = parse_go_duration(value)
        .ok_or_else(|| format!("{flag} {value:?}: not a duration like 24h or 90m"))?;
    Ok(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn load_policy(path: &Path) -> CliResult<SignerPolicy> {
    let text = read_text(path)?;
    let what = path.display().to_string();
    Ok(if text.trim_start().starts_with('{') {
        SignerPolicy::from_json(&text, &what)?
    } else {
        SignerPolicy::from_yaml(&text, &what)?
    })
}

/// The CA that signs for `policy`: the first of its roles with files in `dir`.
fn signing_ca(dir: &Path, policy: &SignerPolicy) -> CliResult<CertificateAuthority> {
    let layout = KubeadmLayout::new(dir);
    for role in policy.ca_roles() {
        if let Some(ca) = layout.load_ca(*role)? {
            if !ca.can_issue() {
                return Err(format!(
                    "{}: the {role} CA has no private key here, so it cannot sign",
                    layout.ca_paths(*role).1.display()
                )
                .into());
            }
            return Ok(ca);
        }
    }
    let expected: Vec<String> = policy
        .ca_roles()
        .iter()
        .map(|r| layout.ca_paths(*r).0.display().to_string())
        .collect();
    Err(format!(
        "{}: no CA found (looked for {})",
        dir.display(),
        expected.join(" and ")
    )
    .into())
}

pub(crate) fn csr(args: CsrArgs) -> CliResult<()> {
    let identity = Identity::new(args.cn.as_str(), args.orgs.iter().map(String::as_str))?;
    let sans = SubjectAltNames::parse(args.dns.iter().chain(args.ips.iter()))?;
    let algorithm: KeyAlgorithm = args.key_algorithm.parse()?;
    let key = PrivateKey::generate(algorithm)?;
    let csr = Csr::generate(&identity, &sans, &key)?;
    let key_pem = key.to_pem();
    write_new_files(
        &[
            OutputFile::secret(&args.key_out, key_pem.as_bytes()),
            OutputFile::public(&args.csr_out, csr.to_pem()),
        ],
        false,
    )?;
    Ok(())
}

pub(crate) fn sign(args: SignArgs) -> CliResult<()> {
    let mut policy = match (&args.signer, &args.policy) {
        (Some(name), _) => SignerPolicy::builtin(name)?,
        (None, Some(path)) => load_policy(path)?,
        (None, None) => return Err("give --signer NAME or --policy FILE".into()),
    };
    for g in &args.allow_privileged_groups {
        policy = policy.allowing_privileged_group(g.clone());
    }
    let csr = read_csr(&args.csr)?;
    let expiration = args
        .duration
        .as_deref()
        .map(|d| duration_seconds(d, "--duration"))
        .transpose()?;
    let request = if args.usages.is_empty() {
        SigningRequest::for_csr(&csr, &policy, expiration)?
    } else {
        SigningRequest::new(Usage::parse_list(&args.usages)?, expiration)
    };
    let ca = signing_ca(&args.dir, &policy)?;
    let cert = ca.sign_csr(&csr, &policy, &request, SystemTime::now())?;
    write_new_files(&[OutputFile::public(&args.out, cert.to_pem())], args.force)?;
    Ok(())
}

pub(crate) fn kube_csr(cmd: KubeCsrCommand) -> CliResult<()> {
    match cmd {
        KubeCsrCommand::Create {
            csr,
            signer,
            name,
            expiration_seconds,
            usages,
            json,
        } => {
            let request = read_csr(&csr)?;
            let usages = if usages.is_empty() {
                SignerPolicy::builtin(&signer)
                    .map_err(|_| {
                        format!("{signer}: not a built-in signer; give its usages with --usage")
                    })?
                    .default_usages(request.public_key().algorithm())
            } else {
                Usage::parse_list(&usages)?
            };
            let object = KubeCsr::new(name, signer, request, usages, expiration_seconds)?;
            print!(
                "{}",
                if json {
                    object.to_json()? + "\n"
                } else {
                    object.to_yaml()?
                }
            );
            Ok(())
        }
        KubeCsrCommand::Sign {
            dir,
            policy,
            allow_privileged_groups,
            file,
        } => {
            let text = read_text(&file)?;
            let document = KubeCsr::read_document(&text, &file.display().to_string())?;
            let objects = &document.items;
            let given = policy.as_deref().map(load_policy).transpose()?;
            let now = SystemTime::now();
            let mut signed = Vec::new();
            let mut refusals = Vec::new();
            for object in objects {
                let result = (|| -> CliResult<KubeCsr> {
                    let mut policy = match &given {
                        Some(p) if p.signer_name == object.signer_name => p.clone(),
                        _ => SignerPolicy::builtin(&object.signer_name)?,
                    };
                    for g in &allow_privileged_groups {
                        policy = policy.allowing_privileged_group(g.clone());
                    }
                    let ca = signing_ca(&dir, &policy)?;
                    Ok(object.approve_and_sign(&ca, &policy, now)?)
                })();
                match result {
                    Ok(o) => signed.push(o),
                    Err(e) => refusals.push(format!("{:?}: {e}", object.name)),
                }
            }
            if !refusals.is_empty() {
                return Err(refusals.join("\nkpki: error: ").into());
            }
            if document.is_list {
                print!("{}", KubeCsr::list_to_yaml(&signed)?);
            } else if let Some(o) = signed.first() {
                print!("{}", o.to_yaml()?);
            }
            Ok(())
        }
    }
}

pub(crate) fn user(args: UserArgs) -> CliResult<()> {
    let layout = KubeadmLayout::new(&args.dir);
    let admin = layout.admin_kubeconfig()?;
    let admin_cluster = admin
        .as_ref()
        .and_then(|k| k.current().map(|(_, c, _)| c.clone()));
    let cluster = match (&args.server, admin_cluster) {
        (Some(server), Some(c)) => Cluster {
            server: server.clone(),
            ..c
        },
        (None, Some(c)) => c,
        (Some(server), None) => Cluster {
            name: "kubernetes".into(),
            server: server.clone(),
            ..Cluster::default()
        },
        (None, None) => {
            return Err(format!(
                "{}: not found; give the API server URL with --server",
                args.dir.join("admin.conf").display()
            )
            .into());
        }
    };
    let mut req = UserRequest::new(args.name.as_str(), args.groups.iter().map(String::as_str))?;
    req.key_algorithm = args.key_algorithm.parse()?;
    req.validity = args
        .validity
        .as_deref()
        .map(|v| {
            parse_go_duration(v)
                .ok_or_else(|| format!("--validity {v:?}: not a duration like 720h"))
        })
        .transpose()?;
    req.allowed_privileged_groups = args.allow_privileged_groups.clone();
    let ca = signing_ca(&args.dir, &SignerPolicy::kube_apiserver_client())?;
    let mut cluster = cluster;
    if cluster.certificate_authority_data.is_none()
        && cluster.certificate_authority.is_none()
        && let Some(server_ca) = layout.load_ca(kpki_core::CaRole::Kubernetes)?
    {
        cluster.certificate_authority_data = Some(server_ca.chain_pem().into_bytes());
    }
    let creds = ca.issue_user(&req, &cluster, SystemTime::now())?;
    let yaml = creds.kubeconfig.to_yaml()?;
    write_new_files(
        &[OutputFile::secret(&args.kubeconfig_out, yaml.as_bytes())],
        false,
    )?;
    Ok(())
}
