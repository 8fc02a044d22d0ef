//! Python values in and out: PEM as `str` (or `bytes`), `datetime`/`timedelta`, `ipaddress`
//! objects, sequences of names. Every argument is read here, once, so that a wrong type or
//! a `None` becomes `kpki.InvalidTypeError` naming the argument, never a panic.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyType};

use crate::errors::{Error, Result, wrong_type};

/// Text from a `str`, or from `bytes`/`bytearray` holding UTF-8 (PEM is ASCII).
pub(crate) fn text(obj: &Bound<'_, PyAny>, name: &str) -> Result<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Some(bytes) = bytes_of(obj) {
        return String::from_utf8(bytes).map_err(|_| {
            Error::Core(kpki_core::Error::InvalidPem {
                what: format!("argument {name:?}"),
                reason: "the bytes are not text (PEM is ASCII); pass DER to from_der()".into(),
            })
        });
    }
    Err(wrong_type(name, "str or bytes", obj))
}

/// The contents of `bytes`, `bytearray` or `memoryview`, if `obj` is one.
pub(crate) fn bytes_of(obj: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Some(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Some(b.to_vec());
    }
    None
}

/// Binary data (`bytes`, `bytearray`).
pub(crate) fn binary(obj: &Bound<'_, PyAny>, name: &str) -> Result<Vec<u8>> {
    bytes_of(obj).ok_or_else(|| wrong_type(name, "bytes", obj))
}

/// PEM text or DER bytes: a `str` is PEM; `bytes` are PEM when they start with
/// `-----BEGIN` (after white space), DER otherwise.
pub(crate) enum Encoded {
    /// PEM text.
    Pem(String),
    /// DER bytes.
    Der(Vec<u8>),
}

/// Reads [`Encoded`] data.
pub(crate) fn pem_or_der(obj: &Bound<'_, PyAny>, name: &str) -> Result<Encoded> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Encoded::Pem(s.to_cow()?.into_owned()));
    }
    if let Some(bytes) = bytes_of(obj) {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if bytes[start..].starts_with(b"-----BEGIN") {
            return text(obj, name).map(Encoded::Pem);
        }
        return Ok(Encoded::Der(bytes));
    }
    Err(wrong_type(name, "str or bytes (PEM or DER)", obj))
}

/// A `str` argument.
pub(crate) fn string(obj: &Bound<'_, PyAny>, name: &str) -> Result<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(wrong_type(name, "str", obj)),
    }
}

/// A `bool` argument (only `True`/`False`, not any truthy value).
pub(crate) fn boolean(obj: &Bound<'_, PyAny>, name: &str) -> Result<bool> {
    match obj.cast::<pyo3::types::PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(wrong_type(name, "bool", obj)),
    }
}

/// An `int` argument that fits `T`.
pub(crate) fn integer<T>(obj: &Bound<'_, PyAny>, name: &str) -> Result<T>
where
    T: for<'a, 'py> FromPyObject<'a, 'py>,
{
    if obj.cast::<pyo3::types::PyBool>().is_ok() || obj.cast::<pyo3::types::PyInt>().is_err() {
        return Err(wrong_type(name, "int", obj));
    }
    obj.extract::<T>().map_err(|_| {
        Error::Input(format!(
            "argument {name:?}: {} is out of range",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

/// A sequence of `str` (a bare `str` is refused: it would be read letter by letter).
pub(crate) fn strings(obj: &Bound<'_, PyAny>, name: &str) -> Result<Vec<String>> {
    items(obj, name, "a list of str")?
        .iter()
        .map(|item| string(item, &format!("{name}[]")))
        .collect()
}

/// The items of any iterable that is not a `str`/`bytes`.
pub(crate) fn items<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    expected: &str,
) -> Result<Vec<Bound<'py, PyAny>>> {
    if obj.is_none() || obj.cast::<PyString>().is_ok() || bytes_of(obj).is_some() {
        let mut err = wrong_type(name, expected, obj);
        if obj.cast::<PyString>().is_ok()
            && let Error::Type(message) = &mut err
        {
            message.push_str(" (wrap a single value in a list)");
        }
        return Err(err);
    }
    let iter = obj
        .try_iter()
        .map_err(|_| wrong_type(name, expected, obj))?;
    iter.map(|item| item.map_err(Error::from)).collect()
}

/// An IP address: an `ipaddress.IPv4Address`/`IPv6Address` or its text.
pub(crate) fn ip(obj: &Bound<'_, PyAny>, name: &'static str) -> Result<IpAddr> {
    let text = ip_text(obj, name)?;
    text.parse::<IpAddr>().map_err(|_| {
        Error::Core(kpki_core::Error::InvalidNetwork {
            field: name,
            value: text.clone(),
            reason: "not an IPv4 or IPv6 address".into(),
        })
    })
}

/// The text of an IP address argument (`str`, or an `ipaddress` address object).
fn ip_text(obj: &Bound<'_, PyAny>, name: &str) -> Result<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if is_ip_address(obj)? {
        return Ok(obj.str()?.to_cow()?.into_owned());
    }
    Err(wrong_type(
        name,
        "str or ipaddress.IPv4Address/IPv6Address",
        obj,
    ))
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

fn is_ip_address(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let (v4, v6, _) = ipaddress_types(obj.py())?;
    Ok(obj.is_instance(v4.bind(obj.py()))? || obj.is_instance(v6.bind(obj.py()))?)
}

/// One SAN entry as text: a `str` (DNS name or IP), or an `ipaddress` address.
pub(crate) fn san_text(obj: &Bound<'_, PyAny>, name: &str) -> Result<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if is_ip_address(obj)? {
        return Ok(obj.str()?.to_cow()?.into_owned());
    }
    Err(wrong_type(
        name,
        "str (DNS name or IP) or ipaddress.IPv4Address/IPv6Address",
        obj,
    ))
}

/// A CIDR: `str` or an `ipaddress.IPv4Network`/`IPv6Network`.
pub(crate) fn cidr(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::IpCidr> {
    let text = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else {
        let (_, _, network) = ipaddress_types(obj.py())?;
        if obj.is_instance(network.bind(obj.py()))? {
            obj.str()?.to_cow()?.into_owned()
        } else {
            return Err(wrong_type(
                name,
                "str or ipaddress.IPv4Network/IPv6Network",
                obj,
            ));
        }
    };
    Ok(text.parse()?)
}

struct DateTimeApi {
    datetime: Py<PyType>,
    timedelta: Py<PyType>,
    utc: Py<PyAny>,
    epoch: Py<PyAny>,
}

fn datetime_api(py: Python<'_>) -> PyResult<&DateTimeApi> {
    static API: PyOnceLock<DateTimeApi> = PyOnceLock::new();
    API.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        let datetime = m.getattr("datetime")?.cast_into::<PyType>()?;
        let timedelta = m.getattr("timedelta")?.cast_into::<PyType>()?;
        let utc = m.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        Ok(DateTimeApi {
            datetime: datetime.unbind(),
            timedelta: timedelta.unbind(),
            utc: utc.unbind(),
            epoch: epoch.unbind(),
        })
    })
}

/// Microseconds in a `timedelta` (may be negative).
fn timedelta_micros(delta: &Bound<'_, PyAny>) -> Result<i128> {
    let days: i64 = delta.getattr("days")?.extract()?;
    let seconds: i64 = delta.getattr("seconds")?.extract()?;
    let micros: i64 = delta.getattr("microseconds")?.extract()?;
    Ok((i128::from(days) * 86_400 + i128::from(seconds)) * 1_000_000 + i128::from(micros))
}

/// A point in time: an aware `datetime`, or a naive one taken as UTC (as
/// `cryptography` does).
pub(crate) fn time(obj: &Bound<'_, PyAny>, name: &str) -> Result<SystemTime> {
    let py = obj.py();
    let api = datetime_api(py)?;
    if !obj.is_instance(api.datetime.bind(py))? {
        return Err(wrong_type(name, "datetime.datetime", obj));
    }
    let aware = if obj.getattr("tzinfo")?.is_none() {
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("tzinfo", api.utc.bind(py))?;
        obj.call_method("replace", (), Some(&kwargs))?
    } else {
        obj.clone()
    };
    let micros = timedelta_micros(&aware.sub(api.epoch.bind(py))?)?;
    let magnitude = Duration::from_micros(u64::try_from(micros.unsigned_abs()).unwrap_or(u64::MAX));
    let t = if micros >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    t.ok_or_else(|| Error::Input(format!("argument {name:?}: the time is out of range")))
}

/// `now` if given, else the system clock.
pub(crate) fn time_or_now(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<SystemTime> {
    match obj {
        Some(o) if !o.is_none() => time(o, name),
        _ => Ok(SystemTime::now()),
    }
}

/// A time as an aware UTC `datetime`.
pub(crate) fn to_datetime<'py>(py: Python<'py>, t: SystemTime) -> Result<Bound<'py, PyAny>> {
    let api = datetime_api(py)?;
    let micros: i128 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_micros()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_micros()).unwrap_or(i128::MAX),
    };
    let micros = i64::try_from(micros)
        .map_err(|_| Error::Input("a time is out of datetime's range".into()))?;
    let delta = api.timedelta.bind(py).call1((0, 0, micros))?;
    Ok(api.epoch.bind(py).add(delta)?)
}

/// A duration: a non-negative `timedelta`.
pub(crate) fn duration(obj: &Bound<'_, PyAny>, name: &str) -> Result<Duration> {
    let py = obj.py();
    let api = datetime_api(py)?;
    if !obj.is_instance(api.timedelta.bind(py))? {
        return Err(wrong_type(name, "datetime.timedelta", obj));
    }
    let micros = timedelta_micros(obj)?;
    if micros < 0 {
        return Err(Error::Core(kpki_core::Error::InvalidValidity {
            reason: format!("argument {name:?} is a negative timedelta"),
        }));
    }
    Ok(Duration::from_micros(
        u64::try_from(micros).unwrap_or(u64::MAX),
    ))
}

/// A duration if given.
pub(crate) fn opt_duration(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<Duration>> {
    match obj {
        Some(o) if !o.is_none() => duration(o, name).map(Some),
        _ => Ok(None),
    }
}

/// A duration as a `timedelta`.
pub(crate) fn to_timedelta<'py>(py: Python<'py>, d: Duration) -> Result<Bound<'py, PyAny>> {
    let api = datetime_api(py)?;
    let secs = i64::try_from(d.as_secs())
        .map_err(|_| Error::Input("a duration is out of timedelta's range".into()))?;
    Ok(api.timedelta.bind(py).call1((0, secs, d.subsec_micros()))?)
}

/// A value of a core type that parses from text (`KeyAlgorithm`, `Compatibility`, ...).
pub(crate) fn parsed<T>(obj: &Bound<'_, PyAny>, name: &str) -> Result<T>
where
    T: std::str::FromStr<Err = kpki_core::Error>,
{
    Ok(string(obj, name)?.parse::<T>()?)
}

/// As [`parsed`], with a default when the argument is absent or `None`.
pub(crate) fn parsed_or<T>(obj: Option<&Bound<'_, PyAny>>, name: &str, default: T) -> Result<T>
where
    T: std::str::FromStr<Err = kpki_core::Error>,
{
    match obj {
        Some(o) if !o.is_none() => parsed(o, name),
        _ => Ok(default),
    }
}

/// Whether `obj` is present and not `None`.
pub(crate) fn given<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// An optional `bool` (default `False`).
pub(crate) fn opt_bool(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<bool> {
    match given(obj) {
        Some(o) => boolean(o, name),
        None => Ok(false),
    }
}

/// A filesystem path: `str` or `os.PathLike`.
pub(crate) fn path(obj: &Bound<'_, PyAny>, name: &str) -> Result<std::path::PathBuf> {
    if obj.cast::<PyString>().is_ok() || obj.hasattr("__fspath__")? {
        return obj
            .extract::<std::path::PathBuf>()
            .map_err(|_| wrong_type(name, "str or os.PathLike", obj));
    }
    Err(wrong_type(name, "str or os.PathLike", obj))
}
