//! `kpki.SubjectAltNames` and `kpki.ClusterNetwork` (the settings kube-apiserver's and
//! etcd's SAN sets are computed from).

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::args::{Int, IpText, List, Parsed, SanText, Subnets, ip_list};
use crate::errors::Result;
use kpki_core::{Compatibility, DnsName, Endpoint, NetworkField, NodeName};

/// An ordered, de-duplicated set of DNS names and IP addresses (DNS names first, as
/// certificates carry them). Every entry is validated: an invalid name raises
/// `InvalidInputError` naming it (kubeadm would drop it silently).
#[pyclass(frozen, module = "kpki", sequence)]
pub(crate) struct SubjectAltNames {
    pub(crate) inner: kpki_core::SubjectAltNames,
}

/// A SAN list argument: `SubjectAltNames`, or an iterable of `str` (DNS name or IP) and
/// `ipaddress` addresses.
pub(crate) struct SansArg(pub(crate) kpki_core::SubjectAltNames);

impl<'py> FromPyObject<'_, 'py> for SansArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<SubjectAltNames>() {
            return Ok(SansArg(s.get().inner.clone()));
        }
        let List(texts) = obj.extract::<List<SanText>>()?;
        Ok(SansArg(
            kpki_core::SubjectAltNames::parse(texts.into_iter().map(|t| t.0))
                .map_err(crate::errors::Error::Core)?,
        ))
    }
}

/// The set given, or an empty one.
pub(crate) fn sans_or_empty(sans: Option<SansArg>) -> kpki_core::SubjectAltNames {
    sans.map(|s| s.0).unwrap_or_default()
}

fn wrap(inner: kpki_core::SubjectAltNames) -> SubjectAltNames {
    SubjectAltNames { inner }
}

#[pymethods]
impl SubjectAltNames {
    /// Validates `names`: DNS names (`*.` wildcard allowed) and IP addresses (`str` or
    /// `ipaddress` objects).
    #[new]
    #[pyo3(signature = (names = None))]
    fn new(names: Option<SansArg>) -> SubjectAltNames {
        wrap(sans_or_empty(names))
    }

    /// The DNS names, in order.
    #[getter]
    fn dns_names(&self) -> Vec<&str> {
        self.inner.dns_names().iter().map(DnsName::as_str).collect()
    }

    /// The IP addresses (`ipaddress` objects), in order.
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ip_list(py, self.inner.ip_addresses().iter().copied())
    }

    /// Both sets together, with `other`'s names appended (duplicates dropped).
    fn union(&self, other: SansArg) -> SubjectAltNames {
        let mut inner = self.inner.clone();
        inner.extend(&other.0);
        wrap(inner)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Every name (DNS names as `str` first, then IPs as `ipaddress` objects).
    fn __iter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let list = PyList::empty(py);
        for d in slf.get().inner.dns_names() {
            list.append(d.as_str())?;
        }
        for ip in slf.get().inner.ip_addresses() {
            list.append(ip.into_pyobject(py)?)?;
        }
        Ok(list.as_any().try_iter()?.into_any())
    }

    /// Whether `name` (text or `ipaddress` object) is in the set.
    fn __contains__(&self, name: SanText) -> bool {
        name.0
            .parse::<kpki_core::SubjectAltName>()
            .is_ok_and(|wanted| self.inner.iter().any(|s| s == wanted))
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .inner
            .iter()
            .map(|s| format!("{:?}", s.to_string()))
            .collect();
        format!("SubjectAltNames([{}])", names.join(", "))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<SubjectAltNames>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }
}

/// The network settings of a control-plane node, with kubeadm's defaults; the SAN
/// sets of kube-apiserver and etcd and the API server URLs are computed from it.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterNetwork {
    pub(crate) inner: kpki_core::ClusterNetwork,
}

fn compat(c: Option<Parsed<Compatibility>>) -> Compatibility {
    c.map(|c| c.0).unwrap_or_default()
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
        node_name: Parsed<NodeName>,
        advertise_address: IpText,
        bind_port: Option<Int<u16>>,
        control_plane_endpoint: Option<Parsed<Endpoint>>,
        service_subnets: Option<Subnets>,
        dns_domain: Option<Parsed<DnsName>>,
        apiserver_extra_sans: Option<SansArg>,
        etcd_server_extra_sans: Option<SansArg>,
        etcd_peer_extra_sans: Option<SansArg>,
    ) -> Result<ClusterNetwork> {
        let address = advertise_address.parse(NetworkField::AdvertiseAddress)?;
        let mut inner = kpki_core::ClusterNetwork::new(node_name.0, address)
            .with_control_plane_endpoint(control_plane_endpoint.map(|e| e.0))
            .with_apiserver_extra_sans(sans_or_empty(apiserver_extra_sans))
            .with_etcd_server_extra_sans(sans_or_empty(etcd_server_extra_sans))
            .with_etcd_peer_extra_sans(sans_or_empty(etcd_peer_extra_sans));
        if let Some(p) = bind_port {
            inner = inner.with_bind_port(p.0)?;
        }
        if let Some(s) = service_subnets {
            inner = inner.with_service_subnets(s.into_cidrs()?)?;
        }
        if let Some(d) = dns_domain {
            inner = inner.with_dns_domain(d.0)?;
        }
        Ok(ClusterNetwork { inner })
    }

    /// The node name.
    #[getter]
    fn node_name(&self) -> &str {
        self.inner.node_name().as_str()
    }

    /// The advertise address (`ipaddress` object).
    #[getter]
    fn advertise_address<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.advertise_address().into_pyobject(py)
    }

    /// The API server's port.
    #[getter]
    fn bind_port(&self) -> u16 {
        self.inner.bind_port()
    }

    /// The control-plane endpoint (`HOST[:PORT]`), or `None`.
    #[getter]
    fn control_plane_endpoint(&self) -> Option<String> {
        self.inner.control_plane_endpoint().map(|e| e.to_string())
    }

    /// The service subnets, as CIDR text.
    #[getter]
    fn service_subnets(&self) -> Vec<String> {
        self.inner
            .service_subnets()
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    /// The cluster DNS domain.
    #[getter]
    fn dns_domain(&self) -> &str {
        self.inner.dns_domain().as_str()
    }

    /// Extra API server SANs.
    #[getter]
    fn apiserver_extra_sans(&self) -> SubjectAltNames {
        wrap(self.inner.apiserver_extra_sans().clone())
    }

    /// Extra etcd server SANs.
    #[getter]
    fn etcd_server_extra_sans(&self) -> SubjectAltNames {
        wrap(self.inner.etcd_server_extra_sans().clone())
    }

    /// Extra etcd peer SANs.
    #[getter]
    fn etcd_peer_extra_sans(&self) -> SubjectAltNames {
        wrap(self.inner.etcd_peer_extra_sans().clone())
    }

    /// kube-apiserver's SAN set: node name, `kubernetes`, `kubernetes.default`,
    /// `.svc`, `.svc.<dns_domain>`, the endpoint host, extra names; the `.1` address of
    /// each service subnet (only the first with `kubeadm-1.28`), the advertise address,
    /// extra IPs.
    #[pyo3(signature = (compatibility = None))]
    fn apiserver_sans(&self, compatibility: Option<Parsed<Compatibility>>) -> SubjectAltNames {
        wrap(self.inner.apiserver_sans(compat(compatibility)))
    }

    /// The API server's service IPs (`ipaddress` objects).
    #[pyo3(signature = (compatibility = None))]
    fn apiserver_service_ips<'py>(
        &self,
        py: Python<'py>,
        compatibility: Option<Parsed<Compatibility>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let ips = self.inner.apiserver_service_ips(compat(compatibility));
        ip_list(py, ips.iter().copied())
    }

    /// etcd's server SANs: `localhost`, the node name, the advertise address, 127.0.0.1,
    /// ::1, extras.
    fn etcd_server_sans(&self) -> SubjectAltNames {
        wrap(self.inner.etcd_server_sans())
    }

    /// etcd's peer SANs.
    fn etcd_peer_sans(&self) -> SubjectAltNames {
        wrap(self.inner.etcd_peer_sans())
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
            self.inner.node_name().as_str(),
            self.inner.advertise_address().to_string()
        )
    }
}
