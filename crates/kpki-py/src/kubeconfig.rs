//! `kpki.Kubeconfig` and `kpki.UserCredentials` (a user's certificate, key and
//! kubeconfig).

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{Parsed, Str, Text};
use crate::authority::CertificateAuthority;
use crate::certificate::{CertArg, Certificate};
use crate::errors::Result;
use crate::key::{PrivateKey, PrivateKeyArg};
use kpki_core::{ClusterName, KubeconfigCluster};

/// A kubeconfig: kubeadm's shape (one cluster, one user with embedded credentials, one
/// context), rendered as the YAML kubectl and client-go read.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Kubeconfig {
    pub(crate) inner: kpki_core::Kubeconfig,
}

/// The CA bundle a kubeconfig trusts: a `CertificateAuthority` (its chain), PEM text, or
/// a certificate.
struct BundleArg(String);

impl<'py> FromPyObject<'_, 'py> for BundleArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(c) = obj.cast::<CertificateAuthority>() {
            return Ok(BundleArg(c.get().inner.chain_pem()));
        }
        if obj.cast::<PyString>().is_ok() {
            return Ok(BundleArg(obj.extract::<Str>()?.0));
        }
        Ok(BundleArg(obj.extract::<CertArg>()?.0.to_pem()))
    }
}

#[pymethods]
impl Kubeconfig {
    /// A kubeconfig for a client certificate: cluster `cluster_name` at `server`
    /// trusting `ca` (a certificate, a CA or PEM), user `user_name` (default: the
    /// certificate's CN) with embedded `certificate` and `key`, context
    /// `<user>@<cluster>` selected.
    #[staticmethod]
    #[pyo3(signature = (*, server, ca, certificate, key, cluster_name = None, user_name = None))]
    fn for_client(
        server: Str,
        ca: BundleArg,
        certificate: CertArg,
        key: PrivateKeyArg,
        cluster_name: Option<Parsed<ClusterName>>,
        user_name: Option<Str>,
    ) -> Result<Kubeconfig> {
        let cluster = KubeconfigCluster::new(
            cluster_name.as_ref().map(|c| c.0.as_str()),
            &server.0,
            Some(&ca.0),
        )?;
        let inner = kpki_core::Kubeconfig::for_client(
            &cluster,
            &certificate.0,
            &key.0,
            user_name.as_ref().map(|u| u.0.as_str()),
        )?;
        Ok(Kubeconfig { inner })
    }

    /// Reads kubeconfig YAML (`str` or `bytes`).
    #[staticmethod]
    fn from_yaml(yaml: Text) -> Result<Kubeconfig> {
        Ok(Kubeconfig {
            inner: kpki_core::Kubeconfig::from_yaml(&yaml.0, "kubeconfig")?,
        })
    }

    /// The YAML (contains the private key: write it 0600).
    fn to_yaml(&self) -> Result<String> {
        Ok(self.inner.to_yaml()?.to_string())
    }

    /// The current context's name.
    #[getter]
    fn current_context(&self) -> &str {
        &self.inner.current_context
    }

    /// The current context's cluster name, or `None`.
    #[getter]
    fn cluster_name(&self) -> Option<&str> {
        self.inner.current().map(|(_, c, _)| c.name.as_str())
    }

    /// The current context's user name, or `None`.
    #[getter]
    fn user_name(&self) -> Option<&str> {
        self.inner.current().map(|(_, _, u)| u.name.as_str())
    }

    /// The current cluster's server URL, or `None`.
    #[getter]
    fn server(&self) -> Option<&str> {
        self.inner.current().map(|(_, c, _)| c.server.as_str())
    }

    /// The current cluster's embedded CA bundle (PEM), or `None`.
    #[getter]
    fn certificate_authority_data(&self) -> Option<String> {
        self.inner
            .current()
            .and_then(|(_, c, _)| c.certificate_authority_data.as_ref())
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The current user's embedded client certificate, or `None`.
    #[getter]
    fn client_certificate(&self) -> Result<Option<Certificate>> {
        self.inner
            .client_certificate()?
            .map(Certificate::wrap)
            .transpose()
    }

    /// The current user's embedded client key, or `None`.
    #[getter]
    fn client_key(&self) -> Result<Option<PrivateKey>> {
        Ok(self.inner.client_key()?.map(|inner| PrivateKey { inner }))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.Kubeconfig {:?}>", self.inner.current_context)
    }
}

/// A user's certificate, key and kubeconfig (`CertificateAuthority.issue_user`).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct UserCredentials {
    /// The client certificate.
    pub(crate) certificate: Py<Certificate>,
    /// Its private key.
    pub(crate) key: Py<PrivateKey>,
    /// A kubeconfig with the embedded credentials.
    pub(crate) kubeconfig: Py<Kubeconfig>,
}

impl UserCredentials {
    /// Wraps the core's credentials.
    pub(crate) fn wrap(py: Python<'_>, c: kpki_core::UserCredentials) -> Result<UserCredentials> {
        Ok(UserCredentials {
            certificate: Py::new(py, Certificate::wrap(c.certificate)?)?,
            key: Py::new(py, PrivateKey { inner: c.key })?,
            kubeconfig: Py::new(
                py,
                Kubeconfig {
                    inner: c.kubeconfig,
                },
            )?,
        })
    }
}

#[pymethods]
impl UserCredentials {
    fn __repr__(&self) -> String {
        let cert = self.certificate.get();
        format!(
            "<kpki.UserCredentials CN={:?}>",
            cert.info.subject_common_name.as_deref().unwrap_or("")
        )
    }
}
