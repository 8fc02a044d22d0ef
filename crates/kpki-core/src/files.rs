//! Files written safely: atomically (temporary file in the same directory, `fsync`,
//! rename, `fsync` of the directory), with their mode set before any byte is written,
//! all or nothing across a set of files, and never silently over a secret.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result, SpecProblem};

/// Mode of certificates and of directories.
pub(crate) const MODE_PUBLIC: u32 = 0o644;
/// Mode of private keys, `sa.pub` and kubeconfigs.
pub(crate) const MODE_SECRET: u32 = 0o600;
pub(crate) const MODE_DIR: u32 = 0o755;

/// The bytes of a file a caller names (a CSR, a policy, a configuration), wiped from
/// memory when dropped; an error names the file.
pub fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::io(path, "reading", e))
}

/// A file's bytes, or `None` if it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, "reading", e)),
    }
}

/// Creates `dir` and its missing parents (mode 0755), recording each one created.
pub(crate) fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {
            fs::set_permissions(dir, fs::Permissions::from_mode(MODE_DIR))
                .map_err(|e| Error::io(dir, "setting permissions", e))?;
            created.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(Error::io(dir, "creating the directory", e)),
    }
}

/// Writes `contents` to `path` atomically with `mode`: a temporary file in the same
/// directory (created with `mode`, so a key is never readable by others, not even for a
/// moment), fsync, rename over `path`, fsync of the directory.
pub(crate) fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let (tmp, f) = write_temp(path, contents, mode)?;
    if let Err(e) = f.sync_all() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "writing", e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "renaming into place", e));
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A fresh temporary name next to `path`: `.<name>.kpki-<12 random hex>.tmp`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|e| Error::crypto("temporary file name", e))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(parent_dir(path).join(format!(".{file_name}.kpki-{suffix}.tmp")))
}

/// The first half of [`atomic_write`]: `contents` in a new temporary file next to
/// `path`, created with `mode`, not yet synced.
fn write_temp(path: &Path, contents: &[u8], mode: u32) -> Result<(PathBuf, fs::File)> {
    let tmp = temp_path(path)?;
    let write = || -> std::io::Result<fs::File> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed `mode`; kubeadm's modes are exact.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(contents)?;
        Ok(f)
    };
    match write() {
        Ok(f) => Ok((tmp, f)),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(Error::io(path, "writing", e))
        }
    }
}

/// The first half of a [`commit`]: every file's contents in a new temporary file next
/// to its target, created with its mode, then all fsynced at once from several threads
/// — so the filesystem commits them together (ext4: one journal commit instead of one
/// per file; 30 files took ~10 ms instead of ~100 ms on this machine's busy disk).
/// Returns the temporary paths in order; a failure leaves none behind.
fn write_synced(files: &[(PathBuf, Zeroizing<Vec<u8>>, u32)]) -> Result<Vec<PathBuf>> {
    let mut temps: Vec<(PathBuf, fs::File)> = Vec::with_capacity(files.len());
    let remove = |temps: &[(PathBuf, fs::File)]| {
        for (tmp, _) in temps {
            let _ = fs::remove_file(tmp);
        }
    };
    for (path, contents, mode) in files {
        match write_temp(path, contents, *mode) {
            Ok(t) => temps.push(t),
            Err(e) => {
                remove(&temps);
                return Err(e);
            }
        }
    }
    // fsync waits on the disk, not the CPU: more threads than cores is the point.
    let threads = temps.len().clamp(1, 64);
    let synced: Vec<std::result::Result<(), (usize, std::io::Error)>> = std::thread::scope(|s| {
        let temps = &temps;
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                s.spawn(move || {
                    for (j, (_, f)) in temps.iter().enumerate().skip(first).step_by(threads) {
                        f.sync_all().map_err(|e| (j, e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err((0, std::io::Error::other("fsync worker panicked"))))
            })
            .collect()
    });
    if let Some(Err((j, e))) = synced.into_iter().find(|r| r.is_err()) {
        remove(&temps);
        let path = files.get(j).map_or(Path::new("."), |f| f.0.as_path());
        return Err(Error::io(path, "writing", e));
    }
    Ok(temps.into_iter().map(|(tmp, _)| tmp).collect())
}

/// A file for [`write_new_files`]: a path, its bytes (zeroized on drop) and its mode.
pub struct OutputFile {
    /// Where to write.
    pub path: PathBuf,
    /// What to write.
    pub contents: Zeroizing<Vec<u8>>,
    /// Whether the file holds a secret (mode 0600, never replaced) or not (mode 0644).
    pub secret: bool,
}

impl OutputFile {
    /// A certificate, CSR or other public file (mode 0644).
    pub fn public(path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: Zeroizing::new(contents.into()),
            secret: false,
        }
    }

    /// A private key or kubeconfig (mode 0600; an existing file is never replaced).
    /// The bytes are copied into memory that is zeroized on drop.
    pub fn secret(path: impl Into<PathBuf>, contents: &[u8]) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: Zeroizing::new(contents.to_vec()),
            secret: true,
        }
    }
}

impl std::fmt::Debug for OutputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFile")
            .field("path", &self.path)
            .field("len", &self.contents.len())
            .field("secret", &self.secret)
            .finish()
    }
}

/// Writes `files` all or nothing: every target is checked first (an existing secret
/// file is always [`Error::AlreadyExists`]; an existing public file too unless
/// `replace_public`), then each is written atomically (a new file is linked into place,
/// so a file that appears meanwhile is not clobbered either). If a write fails, the
/// files already written are removed or restored.
pub fn write_new_files(files: &[OutputFile], replace_public: bool) -> Result<()> {
    let mut previous: Vec<Option<Zeroizing<Vec<u8>>>> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        if files[..i].iter().any(|o| o.path == f.path) {
            return Err(Error::InvalidSpec {
                problem: SpecProblem::DuplicateOutput {
                    path: f.path.clone(),
                },
            });
        }
        match fs::read(&f.path) {
            Ok(existing) if replace_public && !f.secret => {
                previous.push(Some(Zeroizing::new(existing)));
            }
            Ok(_) => {
                return Err(Error::AlreadyExists {
                    path: f.path.clone(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => previous.push(None),
            Err(e) => return Err(Error::io(&f.path, "reading", e)),
        }
    }
    let mut done: Vec<usize> = Vec::new();
    let mut result = Ok(());
    for (i, f) in files.iter().enumerate() {
        let mode = if f.secret { MODE_SECRET } else { MODE_PUBLIC };
        let r = if previous[i].is_some() {
            atomic_write(&f.path, &f.contents, mode)
        } else {
            atomic_create(&f.path, &f.contents, mode)
        };
        if let Err(e) = r {
            result = Err(e);
            break;
        }
        done.push(i);
    }
    if result.is_err() {
        for i in done.into_iter().rev() {
            let f = &files[i];
            match &previous[i] {
                Some(old) => {
                    let _ = atomic_write(&f.path, old, MODE_PUBLIC);
                }
                None => {
                    let _ = fs::remove_file(&f.path);
                }
            }
        }
    }
    result
}

/// As [`atomic_write`], but the temporary file is hard-linked to `path`, which fails
/// if `path` exists: never clobbers, even a file created after the caller's check.
fn atomic_create(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = parent_dir(path);
    let (tmp, f) = write_temp(path, contents, mode)?;
    if let Err(e) = f.sync_all() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "writing", e));
    }
    drop(f);
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(Error::io(path, "linking into place", e)),
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The journal of a multi-file change in progress, in the kubeadm root.
pub(crate) const JOURNAL: &str = ".kpki-journal.json";

/// What [`commit`] records before it touches any target: once this file exists the
/// change is decided, and [`recover`] finishes it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Journal {
    /// (temporary file, target) pairs, renamed in order.
    writes: Vec<(PathBuf, PathBuf)>,
    /// Files removed after the renames.
    removes: Vec<PathBuf>,
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Changes many files as one: all or nothing, even across a crash (SIGKILL, power
/// loss). Each new content goes to a temporary file next to its target, all fsynced
/// together ([`write_synced`]); then the journal (`root/.kpki-journal.json`, naming
/// each temporary file and its target) is written atomically — the commit point; then
/// the temporary files are renamed over their targets and `removes` deleted; then the
/// journal goes. A crash before the journal exists leaves every target as it was (the
/// temporary files are stray, and [`recover`] deletes them); after, [`recover`]
/// completes the renames. `root` must exist. Call [`recover`] before reading a
/// directory that may hold a journal.
pub(crate) fn commit(
    root: &Path,
    writes: &[(PathBuf, Zeroizing<Vec<u8>>, u32)],
    removes: &[PathBuf],
) -> Result<()> {
    recover(root)?;
    let temps = write_synced(writes)?;
    let journal = Journal {
        writes: temps
            .into_iter()
            .zip(writes.iter().map(|(target, _, _)| target.clone()))
            .collect(),
        removes: removes.to_vec(),
    };
    let cleanup = |journal: &Journal| {
        for (tmp, _) in &journal.writes {
            let _ = fs::remove_file(tmp);
        }
    };
    let text = match serde_json::to_vec(&journal) {
        Ok(text) => text,
        Err(_) => {
            cleanup(&journal);
            return Err(Error::internal("a journal of paths serializes to JSON"));
        }
    };
    if let Err(e) = atomic_write(&root.join(JOURNAL), &text, MODE_SECRET) {
        cleanup(&journal);
        return Err(e);
    }
    apply(root, &journal)
}

fn apply(root: &Path, journal: &Journal) -> Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for (tmp, target) in &journal.writes {
        match fs::rename(tmp, target) {
            Ok(()) => {}
            // Renamed already by the run a crash interrupted.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && target.exists() => {}
            Err(e) => return Err(Error::io(target, "renaming into place", e)),
        }
        let dir = parent_dir(target);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for path in &journal.removes {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, "removing", e)),
        }
        let dir = parent_dir(path);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        sync_dir(dir);
    }
    let journal_path = root.join(JOURNAL);
    fs::remove_file(&journal_path).map_err(|e| Error::io(&journal_path, "removing", e))?;
    sync_dir(root);
    Ok(())
}

/// Finishes what an interrupted [`commit`] decided (its journal exists) and deletes
/// what an interrupted write left behind: temporary files no journal names, anywhere
/// under `root`. Returns whether a journal was replayed.
pub(crate) fn recover(root: &Path) -> Result<bool> {
    let journal_path = root.join(JOURNAL);
    let replayed = match fs::read(&journal_path) {
        Ok(bytes) => {
            let journal: Journal =
                serde_json::from_slice(&bytes).map_err(|e| Error::BrokenJournal {
                    path: journal_path.clone(),
                    reason: e.to_string(),
                })?;
            apply(root, &journal)?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(&journal_path, "reading", e)),
    };
    remove_strays(root, 0);
    Ok(replayed)
}

/// Deletes the temporary files kpki left under `dir` (three levels deep: root, pki,
/// pki/etcd and the like).
fn remove_strays(dir: &Path, depth: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < 3 {
            remove_strays(&path, depth + 1);
        } else if kind.is_file()
            && name.starts_with('.')
            && name.contains(".kpki-")
            && name.ends_with(".tmp")
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// How kpki writes YAML: every string a plain or quoted scalar on one line, never a
/// folded (`>`) block — kubeadm writes a kubeconfig's `*-data` fields each on one line,
/// and scripts read them so (`grep client-certificate-data admin.conf | awk '{print $2}'`).
pub(crate) fn yaml_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! { prefer_block_scalars: false }
}

#[cfg(test)]
mod commit_tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn temp_dir(tag: &str) -> kpki_testkit::TempDir {
        let d = kpki_testkit::TempDir::new(tag);
        fs::create_dir_all(d.join("sub")).unwrap();
        d
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn file(path: PathBuf, contents: &[u8], mode: u32) -> (PathBuf, Zeroizing<Vec<u8>>, u32) {
        (path, Zeroizing::new(contents.to_vec()), mode)
    }

    #[test]
    fn writes_every_file_with_its_mode_and_leaves_no_temporary_file() {
        let dir = temp_dir("commit-ok");
        let d = dir.path();
        fs::write(d.join("old.crt"), b"old").unwrap();
        fs::write(d.join("gone.crt"), b"old").unwrap();
        let files: Vec<_> = (0..40)
            .map(|i| {
                d.join(if i % 2 == 0 { "sub" } else { "." })
                    .join(format!("f{i}"))
            })
            .chain([d.join("old.crt")])
            .enumerate()
            .map(|(i, p)| {
                let mode = if i % 3 == 0 { 0o600 } else { 0o644 };
                file(p, &vec![i as u8; 100 + i], mode)
            })
            .collect();
        commit(d, &files, &[d.join("gone.crt")]).unwrap();
        for (path, contents, mode) in &files {
            assert_eq!(
                fs::read(path).unwrap(),
                contents.as_slice(),
                "{}",
                path.display()
            );
            let m = fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, *mode, "{}", path.display());
        }
        assert!(!d.join("gone.crt").exists());
        for dir in [d.to_path_buf(), d.join("sub")] {
            let names = names_in(&dir);
            assert!(
                !names.iter().any(|n| n.ends_with(".tmp") || n == JOURNAL),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_failing_file_writes_nothing_and_cleans_up() {
        let dir = temp_dir("commit-fail");
        let d = dir.path();
        fs::write(d.join("keep.crt"), b"old").unwrap();
        let files = vec![
            file(d.join("keep.crt"), b"new", 0o644),
            file(d.join("sub").join("new.crt"), b"new", 0o644),
            file(d.join("no-such-dir").join("x.key"), b"secret", 0o600),
        ];
        let err = commit(d, &files, &[d.join("keep.crt")]).unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        assert_eq!(fs::read(d.join("keep.crt")).unwrap(), b"old");
        assert_eq!(names_in(d), ["keep.crt", "sub"]);
        assert!(names_in(&d.join("sub")).is_empty());
    }

    #[test]
    fn a_commit_cut_after_its_journal_is_finished_by_recover_and_one_cut_before_is_undone() {
        let d = temp_dir("journal");
        let (a, b) = (d.join("a.crt"), d.join("sub/b.key"));
        fs::write(&a, b"old a").unwrap();
        fs::write(&b, b"old b").unwrap();
        // Cut after the commit point: temporary files and the journal exist, nothing is
        // renamed yet (what a SIGKILL right after the journal's rename leaves).
        let (ta, tb) = (temp_path(&a).unwrap(), temp_path(&b).unwrap());
        fs::write(&ta, b"new a").unwrap();
        fs::write(&tb, b"new b").unwrap();
        let journal = Journal {
            writes: vec![(ta.clone(), a.clone()), (tb, b.clone())],
            removes: vec![d.join("gone")],
        };
        fs::write(d.join("gone"), b"x").unwrap();
        fs::write(d.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        assert!(recover(d.path()).unwrap());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(fs::read(&b).unwrap(), b"new b");
        assert!(!d.join("gone").exists() && !d.join(JOURNAL).exists());
        // The same journal replayed after some renames happened (a cut midway through
        // apply) finishes the rest.
        let tc = temp_path(&b).unwrap();
        fs::write(&tc, b"newer b").unwrap();
        let journal = Journal {
            writes: vec![(ta, a.clone()), (tc, b.clone())],
            removes: vec![],
        };
        fs::write(d.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        assert!(recover(d.path()).unwrap());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(fs::read(&b).unwrap(), b"newer b");
        // Cut before the commit point: temporary files, no journal.
        fs::write(temp_path(&a).unwrap(), b"newest a").unwrap();
        fs::write(d.join("sub/.b.key.kpki-0123456789ab.tmp"), b"partial").unwrap();
        assert!(!recover(d.path()).unwrap());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(names_in(&d.join("sub")), ["b.key"]);
        assert_eq!(names_in(d.path()), ["a.crt", "sub"]);
        // A whole commit: both files, their modes, nothing left over.
        let files = vec![
            file(a.clone(), b"third a", MODE_PUBLIC),
            file(b.clone(), b"third b", MODE_SECRET),
        ];
        commit(d.path(), &files, &[]).unwrap();
        assert_eq!(fs::read(&b).unwrap(), b"third b");
        assert_eq!(
            fs::metadata(&b).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(names_in(&d.join("sub")), ["b.key"]);
    }

    #[test]
    fn a_broken_journal_is_a_typed_error_and_nothing_is_touched() {
        let d = temp_dir("broken-journal");
        fs::write(d.join("a.crt"), b"a").unwrap();
        fs::write(d.join(JOURNAL), b"{\"writes\": [").unwrap();
        let err = recover(d.path()).unwrap_err();
        assert!(matches!(err, Error::BrokenJournal { .. }), "{err:?}");
        assert!(err.to_string().contains(JOURNAL), "{err}");
        assert_eq!(fs::read(d.join("a.crt")).unwrap(), b"a");
    }
}
