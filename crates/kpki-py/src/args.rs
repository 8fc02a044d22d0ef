//! Python values in and out. The argument types here are typed PyO3 arguments: each
//! extracts one Python shape (`str`, `bytes`, `datetime`, `timedelta`, `ipaddress`, a
//! kpki class) into a Rust value, and a wrong type raises `kpki.InvalidTypeError`
//! saying what was expected and what came (PyO3 notes which argument; the exception
//! class in `kpki.exceptions` puts that note in front of the message). Values that the
//! core parses (`"ecdsa-p256"`, a node name) go through the core's own `FromStr`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDelta, PyInt, PyString, PyType};

use crate::errors::{Error, wrong_type};

/// A `str`.
pub(crate) struct Str(pub(crate) String);

impl<'py> FromPyObject<'_, 'py> for Str {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<PyString>() {
            Ok(s) => Ok(Str(s.to_cow()?.into_owned())),
            Err(_) => Err(wrong_type("str", &obj).into()),
        }
    }
}

/// Text: a `str`, or `bytes` holding UTF-8 (PEM, YAML).
pub(crate) struct Text(pub(crate) String);

impl<'py> FromPyObject<'_, 'py> for Text {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Text(s.to_cow()?.into_owned()));
        }
        match bytes_of(&obj) {
            Some(b) => kpki_core::as_text(&b, "the bytes")
                .map(|t| Text(t.to_owned()))
                .map_err(|e| Error::Core(e).into()),
            None => Err(wrong_type("str or bytes", &obj).into()),
        }
    }
}

/// Binary data: `bytes` or `bytearray`.
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl<'py> FromPyObject<'_, 'py> for Bytes {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        bytes_of(&obj)
            .map(Bytes)
            .ok_or_else(|| wrong_type("bytes", &obj).into())
    }
}

/// Encoded input for the core's PEM-or-DER loaders: a `str` (PEM) or `bytes`.
pub(crate) struct Encoded(pub(crate) Vec<u8>);

impl<'py> FromPyObject<'_, 'py> for Encoded {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Encoded(s.to_cow()?.as_bytes().to_vec()));
        }
        bytes_of(&obj)
            .map(Encoded)
            .ok_or_else(|| wrong_type("str or bytes (PEM or DER)", &obj).into())
    }
}

/// The contents of `bytes` or `bytearray`.
pub(crate) fn bytes_of(obj: &Borrowed<'_, '_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Some(b.as_bytes().to_vec());
    }
    obj.cast::<PyByteArray>().ok().map(|b| b.to_vec())
}

/// A list (any iterable but a bare `str` or `bytes`, which would be read item by
/// item) of values each extracted as `T`.
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<'py, T> FromPyObject<'_, 'py> for List<T>
where
    T: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
{
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<PyString>().is_ok() || bytes_of(&obj).is_some() {
            return Err(wrong_type("a list (wrap a single value in a list)", &obj).into());
        }
        let iter = obj
            .try_iter()
            .map_err(|_| PyErr::from(wrong_type("a list", &obj)))?;
        iter.map(|item| item?.extract::<T>())
            .collect::<PyResult<_>>()
            .map(List)
    }
}

/// A `dict`, its keys extracted as `K` and its values as `V`, in order.
pub(crate) struct Dict<K, V>(pub(crate) Vec<(K, V)>);

impl<'py, K, V> FromPyObject<'_, 'py> for Dict<K, V>
where
    K: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
    V: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
{
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let dict = obj
            .cast::<pyo3::types::PyDict>()
            .map_err(|_| PyErr::from(wrong_type("a dict", &obj)))?;
        dict.iter()
            .map(|(k, v)| Ok((k.extract::<K>()?, v.extract::<V>()?)))
            .collect::<PyResult<_>>()
            .map(Dict)
    }
}

/// A list of `str`.
pub(crate) struct Strs(pub(crate) Vec<String>);

impl<'py> FromPyObject<'_, 'py> for Strs {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let List(items) = obj.extract::<List<Str>>()?;
        Ok(Strs(items.into_iter().map(|s| s.0).collect()))
    }
}

/// A value the core parses from text (`KeyAlgorithm`, `NodeName`, `Endpoint`, ...).
pub(crate) struct Parsed<T>(pub(crate) T);

impl<'py, T> FromPyObject<'_, 'py> for Parsed<T>
where
    T: std::str::FromStr<Err = kpki_core::Error>,
{
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let Str(s) = Str::extract(obj)?;
        s.parse::<T>()
            .map(Parsed)
            .map_err(|e| Error::Core(e).into())
    }
}

/// An `int` that fits `T` (a `bool` is not one).
pub(crate) struct Int<T>(pub(crate) T);

impl<'py, T> FromPyObject<'_, 'py> for Int<T>
where
    T: for<'a> FromPyObject<'a, 'py>,
{
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<PyBool>().is_ok() || obj.cast::<PyInt>().is_err() {
            return Err(wrong_type("int", &obj).into());
        }
        obj.extract::<T>().map(Int).map_err(|_| {
            Error::Input(format!(
                "{} is out of range",
                obj.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
            .into()
        })
    }
}

/// `True` or `False` (not any truthy value).
pub(crate) struct Flag(pub(crate) bool);

impl<'py> FromPyObject<'_, 'py> for Flag {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<PyBool>() {
            Ok(b) => Ok(Flag(b.is_true())),
            Err(_) => Err(wrong_type("bool", &obj).into()),
        }
    }
}

/// A filesystem path: `str` or `os.PathLike`.
pub(crate) struct Path(pub(crate) PathBuf);

impl<'py> FromPyObject<'_, 'py> for Path {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if (obj.cast::<PyString>().is_ok() || obj.hasattr("__fspath__")?)
            && let Ok(p) = obj.extract::<PathBuf>()
        {
            return Ok(Path(p));
        }
        Err(wrong_type("str or os.PathLike", &obj).into())
    }
}

struct DateTimeApi {
    datetime: Py<PyType>,
    utc: Py<PyAny>,
    epoch: Py<PyAny>,
}

fn datetime_api(py: Python<'_>) -> PyResult<&DateTimeApi> {
    static API: PyOnceLock<DateTimeApi> = PyOnceLock::new();
    API.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        let datetime = m.getattr("datetime")?.cast_into::<PyType>()?;
        let utc = m.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        Ok(DateTimeApi {
            datetime: datetime.unbind(),
            utc: utc.unbind(),
            epoch: epoch.unbind(),
        })
    })
}

/// Microseconds in a `timedelta` (may be negative).
fn micros_of(delta: &Bound<'_, PyAny>) -> PyResult<i128> {
    let days: i64 = delta.getattr("days")?.extract()?;
    let seconds: i64 = delta.getattr("seconds")?.extract()?;
    let micros: i64 = delta.getattr("microseconds")?.extract()?;
    Ok((i128::from(days) * 86_400 + i128::from(seconds)) * 1_000_000 + i128::from(micros))
}

/// A point in time: an aware `datetime`, or a naive one taken as UTC (as
/// `cryptography` does).
pub(crate) struct Time(pub(crate) SystemTime);

impl<'py> FromPyObject<'_, 'py> for Time {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let api = datetime_api(py)?;
        if !obj.is_instance(api.datetime.bind(py))? {
            return Err(wrong_type("datetime.datetime", &obj).into());
        }
        let aware = if obj.getattr("tzinfo")?.is_none() {
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("tzinfo", api.utc.bind(py))?;
            obj.call_method("replace", (), Some(&kwargs))?
        } else {
            obj.to_owned()
        };
        let micros = micros_of(&aware.sub(api.epoch.bind(py))?)?;
        let magnitude =
            Duration::from_micros(u64::try_from(micros.unsigned_abs()).unwrap_or(u64::MAX));
        let t = if micros >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        };
        t.map(Time)
            .ok_or_else(|| Error::Input("the time is out of range".into()).into())
    }
}

/// `now` if given, else the system clock.
pub(crate) fn now(t: Option<Time>) -> SystemTime {
    t.map_or_else(SystemTime::now, |t| t.0)
}

/// A length of time: a non-negative `timedelta`.
pub(crate) struct Delta(pub(crate) Duration);

impl<'py> FromPyObject<'_, 'py> for Delta {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<PyDelta>().is_err() {
            return Err(wrong_type("datetime.timedelta", &obj).into());
        }
        let micros = micros_of(&obj)?;
        if micros < 0 {
            return Err(Error::Input("a negative timedelta is no length of time".into()).into());
        }
        Ok(Delta(Duration::from_micros(
            u64::try_from(micros).unwrap_or(u64::MAX),
        )))
    }
}

/// A `timedelta` of `seconds` whole seconds (may be negative).
pub(crate) fn seconds_delta(py: Python<'_>, seconds: i64) -> PyResult<Py<PyAny>> {
    let micros = i128::from(seconds) * 1_000_000;
    Ok(delta_of_micros(py, micros)?.into_any().unbind())
}

/// A time as an aware UTC `datetime`.
pub(crate) fn datetime(py: Python<'_>, t: SystemTime) -> PyResult<Py<PyAny>> {
    let api = datetime_api(py)?;
    let micros: i128 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_micros()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_micros()).unwrap_or(i128::MAX),
    };
    let delta = delta_of_micros(py, micros)?;
    Ok(api.epoch.bind(py).add(delta)?.unbind())
}

/// A `timedelta` of `micros` microseconds (may be negative).
fn delta_of_micros(py: Python<'_>, micros: i128) -> PyResult<Bound<'_, PyDelta>> {
    let out_of_range = || PyErr::from(Error::Input("a time is out of datetime's range".into()));
    let day = 86_400_000_000i128;
    let days = i32::try_from(micros.div_euclid(day)).map_err(|_| out_of_range())?;
    let rest = micros.rem_euclid(day);
    let seconds = i32::try_from(rest / 1_000_000).map_err(|_| out_of_range())?;
    let us = i32::try_from(rest % 1_000_000).map_err(|_| out_of_range())?;
    PyDelta::new(py, days, seconds, us, true)
}

/// A length of time as a `timedelta`.
pub(crate) fn timedelta(py: Python<'_>, d: Duration) -> PyResult<Py<PyAny>> {
    let micros = i128::try_from(d.as_micros()).unwrap_or(i128::MAX);
    Ok(delta_of_micros(py, micros)?.into_any().unbind())
}

fn ipaddress_types(py: Python<'_>) -> PyResult<&(Py<PyType>, Py<PyType>, Py<PyType>)> {
    static TYPES: PyOnceLock<(Py<PyType>, Py<PyType>, Py<PyType>)> = PyOnceLock::new();
    TYPES.get_or_try_init(py, || {
        let m = py.import("ipaddress")?;
        let get =
            |n: &str| -> PyResult<Py<PyType>> { Ok(m.getattr(n)?.cast_into::<PyType>()?.unbind()) };
        Ok((
            get("IPv4Address")?,
            get("IPv6Address")?,
            get("_BaseNetwork")?,
        ))
    })
}

/// The text of an IP address or network argument (`str`, or an `ipaddress` object of
/// the kind `network` says).
fn ip_text(obj: &Borrowed<'_, '_, PyAny>, network: bool, expected: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    let py = obj.py();
    let (v4, v6, net) = ipaddress_types(py)?;
    let known = if network {
        obj.is_instance(net.bind(py))?
    } else {
        obj.is_instance(v4.bind(py))? || obj.is_instance(v6.bind(py))?
    };
    if known {
        return Ok(obj.str()?.to_cow()?.into_owned());
    }
    Err(wrong_type(expected, obj).into())
}

/// An IP address argument: text of one, or an `ipaddress` address, for the setting
/// `field` (named in the core's error).
pub(crate) struct IpText(pub(crate) String);

impl<'py> FromPyObject<'_, 'py> for IpText {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        ip_text(&obj, false, "str or ipaddress.IPv4Address/IPv6Address").map(IpText)
    }
}

impl IpText {
    /// The address, parsed by the core for `field`.
    pub(crate) fn parse(&self, field: kpki_core::NetworkField) -> Result<IpAddr, Error> {
        Ok(kpki_core::parse_ip(&self.0, field)?)
    }
}

/// One SAN: a `str` (DNS name or IP) or an `ipaddress` address.
pub(crate) struct SanText(pub(crate) String);

impl<'py> FromPyObject<'_, 'py> for SanText {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        ip_text(
            &obj,
            false,
            "str (DNS name or IP) or ipaddress.IPv4Address/IPv6Address",
        )
        .map(SanText)
    }
}

/// A CIDR: `str` or an `ipaddress` network, parsed by the core.
pub(crate) struct Cidr(pub(crate) kpki_core::IpCidr);

impl<'py> FromPyObject<'_, 'py> for Cidr {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let text = ip_text(&obj, true, "str or ipaddress.IPv4Network/IPv6Network")?;
        text.parse().map(Cidr).map_err(|e| Error::Core(e).into())
    }
}

/// Service subnets: kubeadm's comma-separated `str`, or a list of CIDRs.
pub(crate) enum Subnets {
    /// `"10.96.0.0/12,fd00:10:96::/112"`.
    Text(String),
    /// `["10.96.0.0/12", ipaddress.ip_network(...)]`.
    List(Vec<Cidr>),
}

impl<'py> FromPyObject<'_, 'py> for Subnets {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Subnets::Text(s.to_cow()?.into_owned()));
        }
        Ok(Subnets::List(obj.extract::<List<Cidr>>()?.0))
    }
}

impl Subnets {
    /// The subnets, as the core parses kubeadm's spelling.
    pub(crate) fn into_cidrs(self) -> Result<Vec<kpki_core::IpCidr>, Error> {
        Ok(match self {
            Subnets::Text(t) => kpki_core::parse_cidrs(&t, kpki_core::NetworkField::ServiceCidr)?,
            Subnets::List(l) => l.into_iter().map(|c| c.0).collect(),
        })
    }
}

/// IP addresses as a list of `ipaddress` objects.
pub(crate) fn ip_list<'py>(
    py: Python<'py>,
    ips: impl IntoIterator<Item = IpAddr>,
) -> PyResult<Bound<'py, pyo3::types::PyList>> {
    let list = pyo3::types::PyList::empty(py);
    for ip in ips {
        list.append(ip.into_pyobject(py)?)?;
    }
    Ok(list)
}

/// A stable hash of some bytes (for `__hash__`).
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// Imports `cryptography.hazmat.primitives.serialization`, with a clear error if
/// `cryptography` is not installed.
pub(crate) fn serialization(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("cryptography.hazmat.primitives.serialization")
        .map_err(|e| {
            pyo3::exceptions::PyImportError::new_err(format!(
                "this conversion needs the `cryptography` package (pip install cryptography): {e}"
            ))
        })
}

/// The DER of a `cryptography` certificate or CSR (`public_bytes(Encoding.DER)`).
pub(crate) fn cryptography_der(obj: &Borrowed<'_, '_, PyAny>) -> PyResult<Vec<u8>> {
    let encoding = serialization(obj.py())?
        .getattr("Encoding")?
        .getattr("DER")?;
    let der = obj.call_method1("public_bytes", (encoding,))?;
    bytes_of(&der.as_borrowed()).ok_or_else(|| wrong_type("bytes", &der.as_borrowed()).into())
}
