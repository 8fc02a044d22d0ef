//! `kpki`: the command line for people. Every rule lives in `kpki-core`; this file turns
//! flags into core values, makes the core call, and turns its result (or error, with the
//! flag that changes it) into text.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::SystemTime;

use clap::{Args, Parser, Subcommand};

mod signing;
mod tls;
use kpki_core::{
    CaKeyUri, CaRole, ClusterSpecBuilder, Compatibility, DnsName, Endpoint, ExpiryFormat,
    GoDuration, KeyAlgorithm, KeyChoice, KubeadmConfig, KubeadmLayout, NetworkField, NodeName,
    RenewOptions, RenewReason, RenewTargets, RotationPhase, RotationStatus, RotationStep, Setting,
    SubjectAltNames, cluster_trust_bundle, human_time, parse_cidrs, parse_ip,
};

#[derive(Parser)]
#[command(
    name = "kpki",
    version,
    about = "Generate and manage a Kubernetes cluster PKI (kubeadm-compatible)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a complete cluster PKI and kubeconfigs in kubeadm's layout.
    Init(Box<InitArgs>),
    /// Inspect and renew certificates in a kubeadm directory.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Generate a private key and a PKCS#10 CSR for any identity and SANs.
    Csr(Box<signing::CsrArgs>),
    /// Sign a CSR with the CA of a kubeadm directory, under a signer's policy.
    Sign(Box<signing::SignArgs>),
    /// certificates.k8s.io/v1 CertificateSigningRequest objects.
    #[command(subcommand)]
    KubeCsr(signing::KubeCsrCommand),
    /// Issue a user certificate (with groups) and a ready kubeconfig.
    User(Box<signing::UserArgs>),
    /// CA rotation without downtime, and the current trust set.
    #[command(subcommand)]
    Ca(CaCommand),
    /// General-purpose TLS certificates (any subject and SANs; what charms use): a CA, a CSR, signing under a policy.
    #[command(subcommand)]
    Tls(tls::TlsCommand),
}

#[derive(Subcommand)]
enum CaCommand {
    /// Rotate CAs in phases (kubeadm's manual procedure): start, reissue, finish; status shows where it stands. Each phase is all or nothing and can be run again.
    Rotate {
        /// start: new CAs, every trust point holds old + new, a new sa.key signs while sa.pub holds both; reissue: every leaf and kubeconfig from the new CAs; finish: the old CAs leave every bundle; status.
        #[arg(value_parser = ["start", "reissue", "finish", "status"])]
        phase: String,
        /// The kubeadm root (kubeconfigs here, certificates under DIR/pki).
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// With start: the CA roles to rotate (kubernetes, etcd, front-proxy), repeatable [default: all three].
        #[arg(long = "role")]
        roles: Vec<String>,
        /// With start: the new CA of ROLE gets its key in a PKCS#11 token, ROLE=pkcs11:URI (repeatable): the key the URI names, or one generated there; it must not be the current CA's key. reissue and finish take it from the rotation's state (give it again to change its pin-source).
        #[arg(long = "ca-key", value_name = "ROLE=URI")]
        ca_keys: Vec<String>,
    },
    /// Print a role's trust set (its CA file: one CA, two during a rotation) as PEM or as a ClusterTrustBundle (certificates.k8s.io/v1beta1).
    TrustBundle {
        /// The kubeadm root.
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// The CA role: kubernetes, etcd, front-proxy.
        #[arg(long, default_value = "kubernetes")]
        role: String,
        /// pem or cluster-trust-bundle.
        #[arg(short, long, default_value = "pem", value_parser = ["pem", "cluster-trust-bundle"])]
        output: String,
    },
}

/// The directory every command works on unless told otherwise.
const DEFAULT_DIR: &str = "kpki-pki";

#[derive(Subcommand)]
enum CertsCommand {
    /// List every certificate and CA with its expiry (like `kubeadm certs check-expiration`).
    ///
    /// Exit status: 0, or 3 with --fail-within when something expires within it, or 1 on
    /// an error.
    CheckExpiration(CheckExpirationArgs),
    /// Renew certificates in place, keeping subjects and usages (like `kubeadm certs renew`); a CA (ca, etcd-ca, front-proxy-ca) with its own key.
    Renew(RenewArgs),
}

#[derive(Args)]
struct CheckExpirationArgs {
    /// The kubeadm root (kubeconfigs here, certificates under DIR/pki).
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    /// Output format: table (kubeadm's text), or kubeadm's CertificateExpirationInfo (output.kubeadm.k8s.io/v1alpha3) as json or yaml.
    #[arg(short, long, default_value = "table")]
    output: String,
    /// Exit with status 3, naming them on stderr, if any certificate or CA expires within this Go duration (720h) or has expired.
    #[arg(long)]
    fail_within: Option<String>,
}

/// The exit status of `check-expiration --fail-within` when something is due.
const EXIT_EXPIRING: u8 = 3;

#[derive(Args)]
struct RenewArgs {
    /// What to renew, as `check-expiration` names it (apiserver, etcd/server, admin.conf, nodes/node02, ...), or `all`.
    #[arg(required = true)]
    names: Vec<String>,
    /// The kubeadm root (kubeconfigs here, certificates under DIR/pki).
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    /// Replace each key pair with a new one (of the same algorithm unless --key-algorithm is given) instead of keeping it.
    #[arg(long)]
    rotate_key: bool,
    /// With --rotate-key: the new keys' algorithm.
    #[arg(long, requires = "rotate_key")]
    key_algorithm: Option<String>,
    #[command(flatten)]
    ca_keys: CaKeys,
    /// Validity of the renewed certificates, as a Go duration (8760h) [default: the --config file's, else 365 days for a leaf and 10 years for a CA].
    #[arg(long)]
    validity: Option<String>,
    /// Renew only what expires within this Go duration (720h) or has expired; the rest is listed as skipped (safe to run daily).
    #[arg(long)]
    within: Option<String>,
    /// The cluster's kubeadm configuration as it is now: renewed certificates get the SANs it computes (new certSANs, endpoint, service CIDRs), and one whose SANs differ is renewed even if not due. The node name and address are the file's, else this host's, as for init.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct InitArgs {
    /// A kubeadm configuration file (InitConfiguration + ClusterConfiguration, v1beta3/v1beta4); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The kubeadm root to write (kubeadm's /etc/kubernetes): certificates under DIR/pki (or the configuration's certificatesDir), kubeconfigs in DIR.
    #[arg(long, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    /// The control-plane node's name [default: this host's name].
    #[arg(long)]
    node_name: Option<String>,
    /// The API server's advertise address [default: the address of this host's default-route interface].
    #[arg(long)]
    advertise_address: Option<String>,
    /// The API server's port [default: 6443].
    #[arg(long)]
    bind_port: Option<u16>,
    /// A shared endpoint for the control plane, HOST[:PORT].
    #[arg(long)]
    control_plane_endpoint: Option<String>,
    /// Service subnet(s), comma-separated for dual-stack [default: 10.96.0.0/12].
    #[arg(long)]
    service_cidr: Option<String>,
    /// The cluster DNS domain [default: cluster.local].
    #[arg(long)]
    dns_domain: Option<String>,
    /// Extra SANs (DNS names or IPs) for the API server, comma-separated.
    #[arg(long, value_delimiter = ',')]
    apiserver_cert_extra_sans: Vec<String>,
    /// Key algorithm: rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519 [default: rsa-2048].
    #[arg(long)]
    key_algorithm: Option<String>,
    /// Which kubeadm to reproduce: current (≥ 1.31) or kubeadm-1.28 [default: current].
    #[arg(long)]
    profile: Option<String>,
    /// Worker nodes that get kubelet client and serving certificates, comma-separated.
    #[arg(long, value_delimiter = ',')]
    worker_nodes: Vec<String>,
    /// Also write kube-proxy.conf (CN system:kube-proxy).
    #[arg(long)]
    kube_proxy: bool,
    /// A CA whose key lives in a PKCS#11 token, ROLE=pkcs11:URI (ROLE: kubernetes, etcd, front-proxy; repeatable): the key the URI names, or one generated in the token. No CA key file is written. The PIN comes from the URI's pin-source=file:PATH or $KPKI_PKCS11_PIN, never from the command line.
    #[arg(long = "ca-key", value_name = "ROLE=URI")]
    ca_keys: Vec<String>,
    /// Replace existing certificates, keys and kubeconfigs (existing CA pairs and sa.key are always reused).
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
}

/// `--ca-key` of the commands that sign with a directory's CAs.
#[derive(Args)]
pub(crate) struct CaKeys {
    /// The CA of ROLE signs with a key in a PKCS#11 token, ROLE=pkcs11:URI (ROLE: kubernetes, etcd, front-proxy; repeatable); its ca.crt is in the directory and its ca.key is not. The PIN comes from the URI's pin-source=file:PATH or $KPKI_PKCS11_PIN, never from the command line.
    #[arg(long = "ca-key", value_name = "ROLE=URI")]
    ca_keys: Vec<String>,
}

/// The kubeadm directory `dir`, its CAs' token keys as `--ca-key` gives them.
pub(crate) fn layout(dir: &std::path::Path, ca_keys: &[String]) -> CliResult<KubeadmLayout> {
    let keys = ca_keys
        .iter()
        .map(|k| flag("--ca-key", k))
        .collect::<CliResult<Vec<CaKeyUri>>>()?;
    Ok(KubeadmLayout::new(dir).with_ca_keys(keys))
}

impl CaKeys {
    /// The layout of `dir` with these keys.
    pub(crate) fn layout(&self, dir: &std::path::Path) -> CliResult<KubeadmLayout> {
        layout(dir, &self.ca_keys)
    }
}

/// A failure to report: the core's error, and the flag (or object) it is about.
pub(crate) struct Failure {
    context: Option<String>,
    error: kpki_core::Error,
}

impl From<kpki_core::Error> for Failure {
    fn from(error: kpki_core::Error) -> Failure {
        Failure {
            context: None,
            error,
        }
    }
}

/// The flag that spells a core [`Setting`].
fn hint(setting: &Setting) -> String {
    match setting {
        Setting::Overwrite => "pass --force to replace it".into(),
        Setting::AllowPrivilegedGroup(g) => {
            format!("pass --allow-privileged-group {g} to grant it")
        }
        Setting::NodeName => "pass --node-name".into(),
        Setting::AdvertiseAddress => "pass --advertise-address".into(),
        Setting::Usages => "give its usages with --usage".into(),
        Setting::Server => "give the API server URL with --server".into(),
        Setting::CaKey(role) => {
            format!("if its key is in a PKCS#11 token, pass --ca-key {role}=pkcs11:URI")
        }
        _ => String::new(),
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(c) = &self.context {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.error)?;
        match self.error.setting().map(|s| hint(&s)) {
            Some(h) if !h.is_empty() => write!(f, "; {h}"),
            _ => Ok(()),
        }
    }
}

pub(crate) type CliResult<T> = Result<T, Vec<Failure>>;

/// Converts a flag's value with the core's parser; an error names the flag.
pub(crate) fn flag<T: FromStr<Err = kpki_core::Error>>(name: &str, value: &str) -> CliResult<T> {
    value.parse().map_err(|error| {
        vec![Failure {
            context: Some(name.to_owned()),
            error,
        }]
    })
}

/// As [`flag`], for a flag that may be absent.
pub(crate) fn opt_flag<T: FromStr<Err = kpki_core::Error>>(
    name: &str,
    value: Option<&str>,
) -> CliResult<Option<T>> {
    value.map(|v| flag(name, v)).transpose()
}

/// Converts the core's result.
pub(crate) fn core<T>(r: kpki_core::Result<T>) -> CliResult<T> {
    r.map_err(|e| vec![Failure::from(e)])
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = |r: CliResult<()>| r.map(|()| ExitCode::SUCCESS);
    let result = match cli.command {
        Command::Init(args) => done(init(*args)),
        Command::Certs(CertsCommand::CheckExpiration(args)) => check_expiration(args),
        Command::Certs(CertsCommand::Renew(args)) => done(renew(args)),
        Command::Csr(args) => done(signing::csr(*args)),
        Command::Sign(args) => done(signing::sign(*args)),
        Command::KubeCsr(cmd) => done(signing::kube_csr(cmd)),
        Command::User(args) => done(signing::user(*args)),
        Command::Tls(cmd) => done(tls::run(cmd)),
        Command::Ca(cmd) => done(ca(cmd)),
    };
    match result {
        Ok(code) => code,
        Err(failures) => {
            for f in failures {
                eprintln!("kpki: error: {f}");
            }
            ExitCode::FAILURE
        }
    }
}

fn init(args: InitArgs) -> CliResult<()> {
    let mut b = ClusterSpecBuilder::for_this_host();
    if let Some(path) = &args.config {
        b = b.kubeadm_config(core(KubeadmConfig::read(path))?);
    }
    if let Some(n) = opt_flag::<NodeName>("--node-name", args.node_name.as_deref())? {
        b = b.node_name(n);
    }
    if let Some(a) = &args.advertise_address {
        b = b.advertise_address(core(parse_ip(a, NetworkField::AdvertiseAddress))?);
    }
    if let Some(p) = args.bind_port {
        b = b.bind_port(p);
    }
    if let Some(e) = opt_flag::<Endpoint>(
        "--control-plane-endpoint",
        args.control_plane_endpoint.as_deref(),
    )? {
        b = b.control_plane_endpoint(e);
    }
    if let Some(c) = &args.service_cidr {
        b = b.service_subnets(core(parse_cidrs(c, NetworkField::ServiceCidr))?);
    }
    if let Some(d) = opt_flag::<DnsName>("--dns-domain", args.dns_domain.as_deref())? {
        b = b.dns_domain(d);
    }
    b = b.apiserver_extra_sans(core(SubjectAltNames::parse(
        args.apiserver_cert_extra_sans
            .iter()
            .filter(|s| !s.is_empty()),
    ))?);
    if let Some(a) = opt_flag::<KeyAlgorithm>("--key-algorithm", args.key_algorithm.as_deref())? {
        b = b.key_algorithm(a);
    }
    if let Some(p) = opt_flag::<Compatibility>("--profile", args.profile.as_deref())? {
        b = b.compatibility(p);
    }
    for w in args.worker_nodes.iter().filter(|s| !s.is_empty()) {
        b = b.worker(flag("--worker-nodes", w)?);
    }
    for k in &args.ca_keys {
        b = b.ca_key(flag("--ca-key", k)?);
    }
    let spec = core(b.kube_proxy(args.kube_proxy).build())?;
    let resolution = spec.resolution().clone();
    let (_, report) =
        core(KubeadmLayout::new(&args.dir).init(spec, SystemTime::now(), args.force))?;
    if !args.quiet {
        println!("{resolution}");
        print!("{}", report.to_table(&args.dir));
    }
    Ok(())
}

fn check_expiration(args: CheckExpirationArgs) -> CliResult<ExitCode> {
    let format = flag::<ExpiryFormat>("--output", &args.output)?;
    let window = opt_flag::<GoDuration>("--fail-within", args.fail_within.as_deref())?;
    let report = core(KubeadmLayout::new(&args.dir).check_expiration(SystemTime::now()))?;
    print!("{}", core(report.render(format))?);
    let Some(window) = window else {
        return Ok(ExitCode::SUCCESS);
    };
    let due = report.expiring_within(window.get());
    if due.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "kpki: {} expire within {window}:",
        if due.len() == 1 {
            "1 certificate or CA".to_owned()
        } else {
            format!("{} certificates or CAs", due.len())
        }
    );
    for e in due {
        let when = e.not_after.map(human_time).unwrap_or_default();
        let state = if e.residual_seconds < 0 {
            "expired"
        } else {
            "expires"
        };
        eprintln!(
            "kpki:   {:<28} {state} {when}  {}",
            e.name,
            e.path.display()
        );
    }
    Ok(ExitCode::from(EXIT_EXPIRING))
}

fn ca(cmd: CaCommand) -> CliResult<()> {
    match cmd {
        CaCommand::Rotate {
            phase,
            dir,
            roles,
            ca_keys,
        } => {
            let layout = layout(&dir, &ca_keys)?;
            let now = SystemTime::now();
            let roles = roles
                .iter()
                .map(|r| flag::<CaRole>("--role", r))
                .collect::<CliResult<Vec<_>>>()?;
            if phase == "status" {
                print!("{}", status_text(&core(layout.rotation_status(now))?));
                return Ok(());
            }
            let step = flag::<RotationStep>("PHASE", &phase)?;
            let report = core(layout.rotate(step, &roles, now))?;
            let roles: Vec<&str> = report.roles.iter().map(|r| r.name()).collect();
            match report.already_done {
                true => println!(
                    "{phase}: done already (phase {}); nothing to do",
                    report.phase.name()
                ),
                false => println!(
                    "{phase}: done for {} ({} files written, {} removed)",
                    roles.join(", "),
                    report.written.len(),
                    report.removed.len()
                ),
            }
            for p in &report.written {
                println!("  wrote   {}", p.display());
            }
            for p in &report.removed {
                println!("  removed {}", p.display());
            }
            Ok(())
        }
        CaCommand::TrustBundle { dir, role, output } => {
            let role = flag::<CaRole>("--role", &role)?;
            let certs = core(KubeadmLayout::new(&dir).trust_set(role))?;
            match output.as_str() {
                "pem" => certs.iter().for_each(|c| print!("{}", c.to_pem())),
                _ => print!(
                    "{}",
                    core(cluster_trust_bundle(&format!("kpki-{role}-ca"), &certs))?
                ),
            }
            Ok(())
        }
    }
}

fn status_text(s: &RotationStatus) -> String {
    let roles: Vec<&str> = s.roles.iter().map(|r| r.name()).collect();
    let mut out = match s.phase {
        None => "no CA rotation has been started here\n".to_owned(),
        Some(p) => format!("phase: {} ({})\n", p.name(), roles.join(", ")),
    };
    let next = match s.phase {
        Some(RotationPhase::Started) => "next: ca rotate reissue",
        Some(RotationPhase::Reissued) => "next: ca rotate finish",
        _ => "next: nothing (ca rotate start begins a rotation)",
    };
    out.push_str(&format!(
        "{} certificates still from an old CA",
        s.from_old_ca.len()
    ));
    if !s.from_old_ca.is_empty() {
        out.push_str(&format!(": {}", s.from_old_ca.join(", ")));
    }
    out.push('\n');
    out.push_str(&format!(
        "{} trust points still hold an old CA\n",
        s.trusting_old_ca.len()
    ));
    for p in &s.trusting_old_ca {
        out.push_str(&format!("  {}\n", p.display()));
    }
    out.push_str(next);
    out.push('\n');
    out
}

fn renew(args: RenewArgs) -> CliResult<()> {
    let targets = core(RenewTargets::parse(&args.names))?;
    let algorithm = opt_flag::<KeyAlgorithm>("--key-algorithm", args.key_algorithm.as_deref())?;
    let validity = opt_flag::<GoDuration>("--validity", args.validity.as_deref())?;
    let within = opt_flag::<GoDuration>("--within", args.within.as_deref())?;
    let cluster = match &args.config {
        Some(path) => Some(core(
            ClusterSpecBuilder::for_this_host()
                .kubeadm_config(core(KubeadmConfig::read(path))?)
                .build(),
        )?),
        None => None,
    };
    let options = RenewOptions {
        key: KeyChoice::from_options(args.rotate_key, algorithm),
        validity: validity.map(GoDuration::get),
        within: within.map(GoDuration::get),
        cluster,
    };
    let report = core(args.ca_keys.layout(&args.dir)?.renew(
        &targets,
        &options,
        SystemTime::now(),
    ))?;
    for ca in &report.authorities {
        let info = core(ca.certificate.info())?;
        println!(
            "renewed CA {:<25} {}  expires {}  (same key; what it issued stays valid)",
            ca.role.kubeadm_name(),
            ca.path.display(),
            human_time(info.not_after)
        );
        for k in &ca.kubeconfigs {
            println!("  trusted by {}", k.display());
        }
    }
    for r in &report.renewed {
        let info = core(r.certificate.info())?;
        let why = match r.reason {
            RenewReason::Asked => "",
            RenewReason::Due => "  (due)",
            RenewReason::Drift => "  (SANs differ from --config)",
        };
        println!(
            "renewed {:<28} {}  expires {}{}{why}",
            r.name.kubeadm_name(),
            r.path.display(),
            human_time(info.not_after),
            if r.key_rotated { "  (new key)" } else { "" }
        );
        for san in &r.added_sans {
            println!("  + {san}");
        }
        for san in &r.removed_sans {
            println!("  - {san}");
        }
    }
    for s in &report.skipped {
        println!(
            "skipped {:<28} {}  expires {}  (not within {})",
            s.name,
            s.path.display(),
            human_time(s.not_after),
            within.map(|w| w.to_string()).unwrap_or_default()
        );
    }
    Ok(())
}
