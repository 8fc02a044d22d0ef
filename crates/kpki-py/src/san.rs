//! `kpki.SubjectAltNames` and `kpki.ClusterNetwork` (the settings kube-apiserver's and
//! etcd's SAN sets are computed from).

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::certificate::ip_list;
use crate::convert;
use crate::errors::Result;
use kpki_core::Compatibility;

/// An ordered, de-duplicated set of DNS names and IP addresses (DNS names first, as
/// certificates carry them). Every entry is validated: an invalid name raises
/// `InvalidInputError` naming it (kubeadm would drop it silently).
#[pyclass(frozen, module = "kpki", sequence)]
pub(crate) struct SubjectAltNames {
    pub(crate) inner: kpki_core::SubjectAltNames,
}

/// A SAN list argument: `SubjectAltNames`, or an iterable of `str` (DNS name or IP) and
/// `ipaddress` addresses.
pub(crate) fn sans_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::SubjectAltNames> {
    if let Ok(s) = obj.cast::<SubjectAltNames>() {
        return Ok(s.get().inner.clone());
    }
    let items = convert::items(
        obj,
        name,
        "kpki.SubjectAltNames or a list of DNS names / IP addresses",
    )?;
    let texts = items
        .iter()
        .map(|i| convert::san_text(i, &format!("{name}[]")))
        .collect::<Result<Vec<String>>>()?;
    Ok(kpki_core::SubjectAltNames::parse(texts)?)
}

/// As [`sans_arg`], empty when absent or `None`.
pub(crate) fn opt_sans(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> Result<kpki_core::SubjectAltNames> {
    match convert::given(obj) {
        Some(o) => sans_arg(o, name),
        None => Ok(kpki_core::SubjectAltNames::new()),
    }
}

#[pymethods]
impl SubjectAltNames {
    /// Validates `names`: DNS names (`*.` wildcard allowed) and IP addresses (`str` or
    /// `ipaddress` objects).
    #[new]
    #[pyo3(signature = (names = None))]
    fn new(names: Option<&Bound<'_, PyAny>>) -> Result<SubjectAltNames> {
        Ok(SubjectAltNames {
            inner: opt_sans(names, "names")?,
        })
    }

    /// The DNS names, in order.
    #[getter]
    fn dns_names(&self) -> Vec<String> {
        self.inner
            .dns_names()
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect()
    }

    /// The IP addresses (`ipaddress` objects), in order.
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyList>> {
        ip_list(py, self.inner.ip_addresses())
    }

    /// Both sets together, with `other`'s names appended (duplicates dropped).
    fn union(&self, other: &Bound<'_, PyAny>) -> Result<SubjectAltNames> {
        let other = sans_arg(other, "other")?;
        let mut inner = self.inner.clone();
        inner.extend(&other);
        Ok(SubjectAltNames { inner })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Every name as text (`DNS` names first, then IPs).
    fn __iter__<'py>(slf: &Bound<'py, Self>) -> Result<Bound<'py, PyAny>> {
        let list = PyList::empty(slf.py());
        for d in slf.get().inner.dns_names() {
            list.append(d.as_str())?;
        }
        for ip in slf.get().inner.ip_addresses() {
            list.append(ip.into_pyobject(slf.py())?)?;
        }
        Ok(list.as_any().try_iter()?.into_any())
    }

    /// Whether `name` (text or `ipaddress` object) is in the set.
    fn __contains__(&self, name: &Bound<'_, PyAny>) -> Result<bool> {
        let text = convert::san_text(name, "name")?;
        let wanted: kpki_core::SubjectAltName = match text.parse() {
            Ok(s) => s,
            Err(_) => return Ok(false),
        };
        Ok(self.inner.iter().any(|s| s == wanted))
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .inner
            .iter()
            .map(|s| match s {
                kpki_core::SubjectAltName::Dns(d) => format!("{:?}", d.as_str()),
                kpki_core::SubjectAltName::Ip(ip) => format!("{:?}", ip.to_string()),
            })
            .collect();
        format!("SubjectAltNames([{}])", names.join(", "))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<SubjectAltNames>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }
}

/// The network settings of a control-plane node, with kubeadm's defaults; the SAN
/// sets of kube-apiserver and etcd and the API server URLs are computed from it.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterNetwork {
    pub(crate) inner: kpki_core::ClusterNetwork,
}

/// The keyword arguments shared by `ClusterNetwork(...)` and `ClusterSpec(...)`.
pub(crate) struct NetworkArgs<'a, 'py> {
    pub(crate) bind_port: Option<&'a Bound<'py, PyAny>>,
    pub(crate) control_plane_endpoint: Option<&'a Bound<'py, PyAny>>,
    pub(crate) service_subnets: Option<&'a Bound<'py, PyAny>>,
    pub(crate) dns_domain: Option<&'a Bound<'py, PyAny>>,
    pub(crate) apiserver_extra_sans: Option<&'a Bound<'py, PyAny>>,
    pub(crate) etcd_server_extra_sans: Option<&'a Bound<'py, PyAny>>,
    pub(crate) etcd_peer_extra_sans: Option<&'a Bound<'py, PyAny>>,
}

impl NetworkArgs<'_, '_> {
    /// Applies every given argument to `net` (absent ones keep its value).
    pub(crate) fn apply(&self, net: &mut kpki_core::ClusterNetwork) -> Result<()> {
        if let Some(p) = convert::given(self.bind_port) {
            net.bind_port = convert::integer(p, "bind_port")?;
        }
        if let Some(e) = convert::given(self.control_plane_endpoint) {
            net.control_plane_endpoint = Some(convert::parsed(e, "control_plane_endpoint")?);
        }
        if let Some(s) = convert::given(self.service_subnets) {
            if s.cast::<pyo3::types::PyString>().is_ok() {
                // kubeadm's own spelling: comma-separated for dual-stack.
                net.service_subnets = convert::string(s, "service_subnets")?
                    .split(',')
                    .map(|c| c.trim().parse())
                    .collect::<std::result::Result<_, _>>()?;
            } else {
                net.service_subnets = convert::items(s, "service_subnets", "a list of CIDRs")?
                    .iter()
                    .map(|c| convert::cidr(c, "service_subnets[]"))
                    .collect::<Result<_>>()?;
            }
        }
        if let Some(d) = convert::given(self.dns_domain) {
            net.dns_domain = convert::parsed(d, "dns_domain")?;
        }
        if let Some(s) = convert::given(self.apiserver_extra_sans) {
            net.apiserver_extra_sans = sans_arg(s, "apiserver_extra_sans")?;
        }
        if let Some(s) = convert::given(self.etcd_server_extra_sans) {
            net.etcd_server_extra_sans = sans_arg(s, "etcd_server_extra_sans")?;
        }
        if let Some(s) = convert::given(self.etcd_peer_extra_sans) {
            net.etcd_peer_extra_sans = sans_arg(s, "etcd_peer_extra_sans")?;
        }
        Ok(())
    }
}

fn compat(obj: Option<&Bound<'_, PyAny>>) -> Result<Compatibility> {
    convert::parsed_or(obj, "compatibility", Compatibility::Current)
}

#[pymethods]
impl ClusterNetwork {
    /// `node_name` and `advertise_address` are required; everything else defaults to
    /// kubeadm's (port 6443, service subnet 10.96.0.0/12, DNS domain cluster.local).
    /// `service_subnets` takes a list of CIDRs (`str` or `ipaddress` networks) or
    /// kubeadm's comma-separated string.
    #[new]
    #[pyo3(signature = (
        node_name,
        advertise_address,
        *,
        bind_port = None,
        control_plane_endpoint = None,
        service_subnets = None,
        dns_domain = None,
        apiserver_extra_sans = None,
        etcd_server_extra_sans = None,
        etcd_peer_extra_sans = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn new(
        node_name: &Bound<'_, PyAny>,
        advertise_address: &Bound<'_, PyAny>,
        bind_port: Option<&Bound<'_, PyAny>>,
        control_plane_endpoint: Option<&Bound<'_, PyAny>>,
        service_subnets: Option<&Bound<'_, PyAny>>,
        dns_domain: Option<&Bound<'_, PyAny>>,
        apiserver_extra_sans: Option<&Bound<'_, PyAny>>,
        etcd_server_extra_sans: Option<&Bound<'_, PyAny>>,
        etcd_peer_extra_sans: Option<&Bound<'_, PyAny>>,
    ) -> Result<ClusterNetwork> {
        let node: kpki_core::NodeName = convert::parsed(node_name, "node_name")?;
        let addr = convert::ip(advertise_address, "advertise_address")?;
        let mut inner = kpki_core::ClusterNetwork::new(node, addr);
        NetworkArgs {
            bind_port,
            control_plane_endpoint,
            service_subnets,
            dns_domain,
            apiserver_extra_sans,
            etcd_server_extra_sans,
            etcd_peer_extra_sans,
        }
        .apply(&mut inner)?;
        inner.validate()?;
        Ok(ClusterNetwork { inner })
    }

    /// The node name.
    #[getter]
    fn node_name(&self) -> String {
        self.inner.node_name.as_str().to_owned()
    }

    /// The advertise address (`ipaddress` object).
    #[getter]
    fn advertise_address<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(self.inner.advertise_address.into_pyobject(py)?)
    }

    /// The API server's port.
    #[getter]
    fn bind_port(&self) -> u16 {
        self.inner.bind_port
    }

    /// The control-plane endpoint (`HOST[:PORT]`), or `None`.
    #[getter]
    fn control_plane_endpoint(&self) -> Option<String> {
        self.inner
            .control_plane_endpoint
            .as_ref()
            .map(|e| e.to_string())
    }

    /// The service subnets, as CIDR text.
    #[getter]
    fn service_subnets(&self) -> Vec<String> {
        self.inner
            .service_subnets
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    /// The cluster DNS domain.
    #[getter]
    fn dns_domain(&self) -> String {
        self.inner.dns_domain.as_str().to_owned()
    }

    /// Extra API server SANs.
    #[getter]
    fn apiserver_extra_sans(&self) -> SubjectAltNames {
        SubjectAltNames {
            inner: self.inner.apiserver_extra_sans.clone(),
        }
    }

    /// Extra etcd server SANs.
    #[getter]
    fn etcd_server_extra_sans(&self) -> SubjectAltNames {
        SubjectAltNames {
            inner: self.inner.etcd_server_extra_sans.clone(),
        }
    }

    /// Extra etcd peer SANs.
    #[getter]
    fn etcd_peer_extra_sans(&self) -> SubjectAltNames {
        SubjectAltNames {
            inner: self.inner.etcd_peer_extra_sans.clone(),
        }
    }

    /// kube-apiserver's SAN set: node name, `kubernetes`, `kubernetes.default`,
    /// `.svc`, `.svc.<dns_domain>`, the endpoint host, extra names; the `.1` address of
    /// each service subnet (only the first with `kubeadm-1.28`), the advertise address,
    /// extra IPs.
    #[pyo3(signature = (compatibility = None))]
    fn apiserver_sans(&self, compatibility: Option<&Bound<'_, PyAny>>) -> Result<SubjectAltNames> {
        Ok(SubjectAltNames {
            inner: self.inner.apiserver_sans(compat(compatibility)?)?,
        })
    }

    /// The API server's service IPs (`ipaddress` objects).
    #[pyo3(signature = (compatibility = None))]
    fn apiserver_service_ips<'py>(
        &self,
        py: Python<'py>,
        compatibility: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyList>> {
        ip_list(
            py,
            &self.inner.apiserver_service_ips(compat(compatibility)?)?,
        )
    }

    /// etcd's server SANs: `localhost`, the node name, the advertise address, 127.0.0.1,
    /// ::1, extras.
    fn etcd_server_sans(&self) -> SubjectAltNames {
        SubjectAltNames {
            inner: self.inner.etcd_server_sans(),
        }
    }

    /// etcd's peer SANs.
    fn etcd_peer_sans(&self) -> SubjectAltNames {
        SubjectAltNames {
            inner: self.inner.etcd_peer_sans(),
        }
    }

    /// The URL clients use for the API server (`https://<endpoint>` or
    /// `https://<advertise address>:<port>`).
    fn apiserver_url(&self) -> String {
        self.inner.apiserver_url()
    }

    /// The URL of this node's own API server.
    fn local_apiserver_url(&self) -> String {
        self.inner.local_apiserver_url()
    }

    fn __repr__(&self) -> String {
        format!(
            "ClusterNetwork({:?}, {:?})",
            self.inner.node_name.as_str(),
            self.inner.advertise_address.to_string()
        )
    }
}
