//! `kpki`: the command line for people. Every rule lives in `kpki-core`; this file only
//! turns flags into core values and core results into text.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Args, Parser, Subcommand};

mod signing;
use kpki_core::inspect::human_time;
use kpki_core::kubeadm_config::parse_go_duration;
use kpki_core::{
    CertificateName, ClusterNetwork, ClusterSpec, Compatibility, DnsName, Endpoint, ExpiryReport,
    FileAction, IpCidr, KeyAlgorithm, KeyChoice, KubeadmConfig, KubeadmLayout, NodeName,
    SubjectAltNames, WriteReport,
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
    /// Inspect certificates in a kubeadm directory.
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
}

#[derive(Subcommand)]
enum CertsCommand {
    /// List every certificate with its expiry (like `kubeadm certs check-expiration`).
    CheckExpiration {
        /// The kubeadm root (kubeconfigs here, certificates under DIR/pki).
        #[arg(long, default_value = "kpki-pki")]
        dir: PathBuf,
    },
    /// Renew certificates in place, keeping subjects, SANs and usages (like `kubeadm certs renew`).
    Renew(RenewArgs),
}

#[derive(Args)]
struct RenewArgs {
    /// What to renew, as `check-expiration` names it (apiserver, etcd/server, admin.conf, nodes/node02, ...), or `all`.
    #[arg(required = true)]
    names: Vec<String>,
    /// The kubeadm root (kubeconfigs here, certificates under DIR/pki).
    #[arg(long, default_value = "kpki-pki")]
    dir: PathBuf,
    /// Replace each key pair with a new one (of the same algorithm unless --key-algorithm is given) instead of keeping it.
    #[arg(long)]
    rotate_key: bool,
    /// With --rotate-key: the new keys' algorithm.
    #[arg(long, requires = "rotate_key")]
    key_algorithm: Option<String>,
    /// Validity of the renewed certificates, as a Go duration (8760h) [default: 365 days].
    #[arg(long)]
    validity: Option<String>,
}

#[derive(Args)]
struct InitArgs {
    /// A kubeadm configuration file (InitConfiguration + ClusterConfiguration, v1beta3/v1beta4); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The kubeadm root to write (kubeadm's /etc/kubernetes): certificates under DIR/pki, kubeconfigs in DIR.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The control-plane node's name (default: this host's name).
    #[arg(long)]
    node_name: Option<String>,
    /// The API server's advertise address (default: this host's address).
    #[arg(long)]
    advertise_address: Option<String>,
    /// The API server's port.
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
    /// Which kubeadm to reproduce: current (≥ 1.31) or kubeadm-1.28.
    #[arg(long, default_value = "current")]
    profile: String,
    /// Worker nodes that get kubelet client and serving certificates, comma-separated.
    #[arg(long, value_delimiter = ',')]
    worker_nodes: Vec<String>,
    /// Also write kube-proxy.conf (CN system:kube-proxy).
    #[arg(long)]
    kube_proxy: bool,
    /// Replace existing certificates, keys and kubeconfigs (existing CA pairs and sa.key are always reused).
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
}

const DEFAULT_DIR: &str = "kpki-pki";
/// kubeadm's default certificatesDir: a config naming it means "the pki/ under the root".
const KUBEADM_DEFAULT_CERTS_DIR: &str = "/etc/kubernetes/pki";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(args) => init(*args),
        Command::Certs(CertsCommand::CheckExpiration { dir }) => check_expiration(&dir),
        Command::Certs(CertsCommand::Renew(args)) => renew(args),
        Command::Csr(args) => signing::csr(*args),
        Command::Sign(args) => signing::sign(*args),
        Command::KubeCsr(cmd) => signing::kube_csr(cmd),
        Command::User(args) => signing::user(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kpki: error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// This host's name as a node name, as kubeadm takes it (lower-cased).
fn default_node_name() -> Option<NodeName> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    NodeName::new(name.trim().to_lowercase()).ok()
}

/// This host's first non-loopback IPv4 address as the resolver sees it, else 127.0.0.1.
fn default_advertise_address(node: &NodeName) -> IpAddr {
    (node.as_str(), 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| {
            addrs
                .find(|a| a.is_ipv4() && !a.ip().is_loopback())
                .map(|a| a.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn init(args: InitArgs) -> CliResult<()> {
    let config = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(KubeadmConfig::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let node = match &args.node_name {
        Some(n) => NodeName::new(n.as_str())?,
        None => config
            .as_ref()
            .and_then(|c| c.node_name.clone())
            .or_else(default_node_name)
            .map_or_else(|| NodeName::new("node01"), Ok)?,
    };
    let address = match &args.advertise_address {
        Some(a) => a.parse().map_err(|_| kpki_core::Error::InvalidNetwork {
            field: "advertise address",
            value: a.clone(),
            reason: "not an IP address".into(),
        })?,
        None => config
            .as_ref()
            .and_then(|c| c.advertise_address)
            .unwrap_or_else(|| default_advertise_address(&node)),
    };
    let mut spec = ClusterSpec::new(ClusterNetwork::new(node.clone(), address));
    if let Some(c) = &config {
        c.apply_to(&mut spec);
    }
    // Flags override the file.
    let net = &mut spec.network;
    net.node_name = node;
    net.advertise_address = address;
    if let Some(p) = args.bind_port {
        net.bind_port = p;
    }
    if let Some(ep) = &args.control_plane_endpoint {
        net.control_plane_endpoint = Some(ep.parse::<Endpoint>()?);
    }
    if let Some(cidrs) = &args.service_cidr {
        net.service_subnets = cidrs
            .split(',')
            .map(str::parse::<IpCidr>)
            .collect::<Result<_, _>>()?;
    }
    if let Some(d) = &args.dns_domain {
        net.dns_domain = DnsName::new(d.as_str())?;
    }
    net.apiserver_extra_sans.extend(&SubjectAltNames::parse(
        args.apiserver_cert_extra_sans
            .iter()
            .filter(|s| !s.is_empty()),
    )?);
    if let Some(a) = &args.key_algorithm {
        spec.key_algorithm = a.parse::<KeyAlgorithm>()?;
    }
    spec.compatibility = args.profile.parse::<Compatibility>()?;
    spec.workers = args
        .worker_nodes
        .iter()
        .filter(|s| !s.is_empty())
        .map(|w| NodeName::new(w.as_str()))
        .collect::<Result<_, _>>()?;
    spec.kube_proxy = args.kube_proxy;

    let root = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    let mut layout = KubeadmLayout::new(&root);
    if let Some(dir) = config.as_ref().and_then(|c| c.certificates_dir.as_ref())
        && dir != Path::new(KUBEADM_DEFAULT_CERTS_DIR)
    {
        layout = layout.with_certificates_dir(dir);
    }
    let (_, report) = layout.init(spec, SystemTime::now(), args.force)?;
    if !args.quiet {
        print_report(&root, &report);
    }
    Ok(())
}

fn print_report(root: &Path, report: &WriteReport) {
    println!(
        "{:<44} {:<58} {:<16} {:<25} ",
        "FILE", "SUBJECT", "ISSUER", "EXPIRES"
    );
    for f in &report.files {
        let rel = f
            .path
            .strip_prefix(root)
            .unwrap_or(&f.path)
            .display()
            .to_string();
        let note = match f.action {
            FileAction::Created => "",
            FileAction::Replaced => " (replaced)",
            FileAction::Kept => " (kept)",
        };
        match f.certificate.as_ref().map(|c| c.info()) {
            Some(Ok(info)) => {
                let mut subject = String::new();
                for o in &info.organizations {
                    subject.push_str(&format!("O={o}, "));
                }
                subject.push_str(&format!(
                    "CN={}",
                    info.subject_common_name.unwrap_or_default()
                ));
                println!(
                    "{:<44} {:<58} {:<16} {}{note}",
                    rel,
                    subject,
                    info.issuer_common_name.unwrap_or_default(),
                    human_time(info.not_after)
                );
            }
            _ => println!("{rel:<44} {:<58} {:<16} {:<25}{note}", "-", "-", "-"),
        }
    }
    println!(
        "wrote {} files under {}",
        report
            .files
            .iter()
            .filter(|f| f.action != FileAction::Kept)
            .count(),
        root.display()
    );
}

fn check_expiration(dir: &Path) -> CliResult<()> {
    let loaded = KubeadmLayout::new(dir).load()?;
    if loaded.certificates.is_empty() && loaded.cas.is_empty() {
        return Err(format!("{}: no certificates found", dir.display()).into());
    }
    print!(
        "{}",
        ExpiryReport::from_loaded(&loaded, SystemTime::now())?.to_table()
    );
    Ok(())
}

fn renew(args: RenewArgs) -> CliResult<()> {
    let layout = KubeadmLayout::new(&args.dir);
    let names: Vec<CertificateName> = if args.names.iter().any(|n| n == "all") {
        if args.names.len() > 1 {
            return Err("`all` cannot be combined with other names".into());
        }
        Vec::new()
    } else {
        let loaded = layout.load()?;
        let mut known: Vec<CertificateName> = Vec::new();
        for name in loaded
            .certificates
            .iter()
            .map(|c| &c.name)
            .chain(loaded.kubeconfigs.iter().map(|k| &k.name))
        {
            if !known.contains(name) {
                known.push(name.clone());
            }
        }
        let mut names = Vec::with_capacity(args.names.len());
        for wanted in &args.names {
            let found = known
                .iter()
                .find(|k| k.to_string() == *wanted)
                .ok_or_else(|| {
                    let choices: Vec<String> = known.iter().map(|k| k.to_string()).collect();
                    format!(
                        "{}: no certificate named {wanted:?} (found: {})",
                        args.dir.display(),
                        choices.join(", ")
                    )
                })?;
            names.push(found.clone());
        }
        names
    };
    let key = match (args.rotate_key, &args.key_algorithm) {
        (false, _) => KeyChoice::Keep,
        (true, None) => KeyChoice::Rotate,
        (true, Some(a)) => KeyChoice::RotateTo(a.parse::<KeyAlgorithm>()?),
    };
    let validity = match &args.validity {
        Some(v) => Some(
            parse_go_duration(v)
                .ok_or_else(|| format!("--validity: {v:?} is not a duration such as 8760h"))?,
        ),
        None => None,
    };
    let renewed = layout.renew(&names, key, validity, SystemTime::now())?;
    for r in &renewed {
        let info = r.certificate.info()?;
        println!(
            "renewed {:<28} {}  expires {}{}",
            r.name.to_string(),
            r.path.display(),
            human_time(info.not_after),
            if r.key_rotated { "  (new key)" } else { "" }
        );
    }
    Ok(())
}
