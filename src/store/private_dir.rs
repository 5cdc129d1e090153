//! A directory opened once; every file the stores create or open in it is
//! reached relative to that handle and never through a symbolic link.
//!
//! The directory the caller names may itself be reached through links (that
//! is the caller's choice); the names inside it are oauthkit's, so a link
//! found there was planted by someone else and is refused (`O_NOFOLLOW`,
//! `openat`, `fstatat(AT_SYMLINK_NOFOLLOW)`, `renameat`, `unlinkat`).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How [`PrivateDir::open_file`] opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read only; the file must exist.
    Read,
    /// Read and write, created 0600 when missing, never truncated (lock files).
    ReadWriteCreate,
    /// Write; a new 0600 file that must not exist yet (temporary files).
    CreateNew,
}

/// What `fstat` says about a file: who it is and when it last changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub(crate) mtime_ns: i128,
    /// Status-change time, nanoseconds since the epoch.
    pub(crate) ctime_ns: i128,
    /// Permission bits.
    pub(crate) mode: u32,
    /// Whether this is a symbolic link (only from [`PrivateDir::stat`]).
    pub(crate) is_symlink: bool,
}

impl FileStamp {
    /// The stamp of an open file.
    pub(crate) fn of(file: &File) -> io::Result<FileStamp> {
        Ok(FileStamp::from_metadata(&file.metadata()?))
    }

    #[cfg(unix)]
    fn from_metadata(m: &std::fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            mode: m.mode() & 0o7777,
            is_symlink: m.file_type().is_symlink(),
        }
    }

    #[cfg(not(unix))]
    fn from_metadata(m: &std::fs::Metadata) -> FileStamp {
        let ns = |t: io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128)
        };
        FileStamp {
            dev: 0,
            ino: 0,
            size: m.len(),
            mtime_ns: ns(m.modified()),
            ctime_ns: ns(m.created()),
            mode: 0o600,
            is_symlink: m.file_type().is_symlink(),
        }
    }

    /// Whether two stamps name the same file (device and inode).
    pub(crate) fn same_file(&self, other: &FileStamp) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// An open directory; see the module documentation.
pub(crate) struct PrivateDir {
    path: PathBuf,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

impl std::fmt::Debug for PrivateDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PrivateDir").field(&self.path).finish()
    }
}

/// The error for a planted link, or the plain I/O error.
pub(crate) fn io_error(doing: &str, path: &Path, e: io::Error) -> Error {
    if is_link_refusal(&e) {
        return Error::io(
            format!(
                "{doing} {}: refusing to follow a symbolic link there (oauthkit never reaches \
                 its files through a link; remove it)",
                path.display()
            ),
            e,
        );
    }
    Error::io(format!("{doing} {}", path.display()), e)
}

/// The error a refused link gives (for links found by `stat`).
pub(crate) fn link_refusal() -> io::Error {
    #[cfg(unix)]
    {
        io::Error::from_raw_os_error(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        io::Error::other("refusing a symbolic link")
    }
}

/// Whether `e` is the error `O_NOFOLLOW` gives for a link.
pub(crate) fn is_link_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::EMLINK))
    }
    #[cfg(not(unix))]
    {
        e.kind() == io::ErrorKind::Other && e.to_string().contains("symbolic link")
    }
}

#[cfg(unix)]
fn cstr(name: &OsStr) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.contains(&b'/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file name",
        ));
    }
    std::ffi::CString::new(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a file name"))
}

#[cfg(unix)]
fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

impl PrivateDir {
    /// Opens `dir`, creating it (and missing parents) with mode 0700.
    pub(crate) fn open(dir: &Path) -> Result<PrivateDir> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        create_private_dir(dir)?;
        Self::open_existing(dir).map_err(|e| io_error("opening directory", dir, e))
    }

    #[cfg(unix)]
    fn open_existing(dir: &Path) -> io::Result<PrivateDir> {
        use std::os::fd::{FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a path"))?;
        // SAFETY: a valid C string; the returned descriptor is owned below.
        let fd = check(unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        })?;
        Ok(PrivateDir {
            path: dir.to_path_buf(),
            // SAFETY: `fd` was just opened and is owned by nobody else.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    #[cfg(not(unix))]
    fn open_existing(dir: &Path) -> io::Result<PrivateDir> {
        if !dir.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not a directory"));
        }
        Ok(PrivateDir {
            path: dir.to_path_buf(),
        })
    }

    /// The directory's path (for messages and for libraries that take paths).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` inside this directory (for messages).
    pub(crate) fn join(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    #[cfg(unix)]
    fn raw(&self) -> libc::c_int {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }

    /// Opens `name` in this directory without following a link.
    #[cfg(unix)]
    pub(crate) fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
        use std::os::fd::FromRawFd;
        let c = cstr(name)?;
        // O_NONBLOCK: a FIFO planted under the name must not hang the open
        // (it has no effect on regular files).
        let flags = libc::O_NOFOLLOW
            | libc::O_CLOEXEC
            | libc::O_NONBLOCK
            | match access {
                Access::Read => libc::O_RDONLY,
                Access::ReadWriteCreate => libc::O_RDWR | libc::O_CREAT,
                Access::CreateNew => libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            };
        // SAFETY: valid descriptor and C string; the result is owned below.
        let fd =
            check(unsafe { libc::openat(self.raw(), c.as_ptr(), flags, 0o600 as libc::c_uint) })?;
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        // O_NOFOLLOW stops a link; a FIFO or device planted instead is no
        // token file either.
        if !file.metadata()?.file_type().is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(file)
    }

    #[cfg(not(unix))]
    pub(crate) fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
        let path = self.join(name);
        if let Ok(m) = std::fs::symlink_metadata(&path) {
            if m.file_type().is_symlink() {
                return Err(io::Error::other("refusing a symbolic link"));
            }
        }
        let mut o = std::fs::OpenOptions::new();
        match access {
            Access::Read => o.read(true),
            Access::ReadWriteCreate => o.read(true).write(true).create(true).truncate(false),
            Access::CreateNew => o.write(true).create_new(true),
        };
        o.open(path)
    }

    /// What `fstatat(AT_SYMLINK_NOFOLLOW)` says about `name`; `None` when it
    /// does not exist.
    #[cfg(unix)]
    pub(crate) fn stat(&self, name: &OsStr) -> io::Result<Option<FileStamp>> {
        let c = cstr(name)?;
        // SAFETY: zeroed `stat` is a valid value to be overwritten.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor, C string and out pointer.
        let rc =
            unsafe { libc::fstatat(self.raw(), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
        #[allow(clippy::unnecessary_cast)] // field types differ between platforms
        Ok(Some(FileStamp {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            size: st.st_size as u64,
            mtime_ns: i128::from(st.st_mtime as i64) * 1_000_000_000
                + i128::from(st.st_mtime_nsec as i64),
            ctime_ns: i128::from(st.st_ctime as i64) * 1_000_000_000
                + i128::from(st.st_ctime_nsec as i64),
            mode: (st.st_mode as u32) & 0o7777,
            is_symlink: (st.st_mode as u32 & libc::S_IFMT as u32) == libc::S_IFLNK as u32,
        }))
    }

    #[cfg(not(unix))]
    pub(crate) fn stat(&self, name: &OsStr) -> io::Result<Option<FileStamp>> {
        match std::fs::symlink_metadata(self.join(name)) {
            Ok(m) => Ok(Some(FileStamp::from_metadata(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Renames `from` over `to` (both in this directory). A link at `to` is
    /// replaced, never followed.
    #[cfg(unix)]
    pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (f, t) = (cstr(from)?, cstr(to)?);
        // SAFETY: valid descriptors and C strings.
        check(unsafe { libc::renameat(self.raw(), f.as_ptr(), self.raw(), t.as_ptr()) })?;
        Ok(())
    }

    #[cfg(not(unix))]
    pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        std::fs::rename(self.join(from), self.join(to))
    }

    /// Gives `from` the name `to`, failing with `AlreadyExists` when `to`
    /// exists in any form (a file, a link, a directory).
    #[cfg(unix)]
    pub(crate) fn rename_no_replace(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        let (f, t) = (cstr(from)?, cstr(to)?);
        // A hard link never replaces anything; then the old name goes.
        // SAFETY: valid descriptors and C strings.
        let linked =
            check(unsafe { libc::linkat(self.raw(), f.as_ptr(), self.raw(), t.as_ptr(), 0) });
        match linked {
            Ok(_) => self.remove(from),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                // A file system without hard links: check, then rename.
                if self.stat(to)?.is_some() {
                    return Err(io::Error::from(io::ErrorKind::AlreadyExists));
                }
                self.rename(from, to)
            }
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn rename_no_replace(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        if self.stat(to)?.is_some() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        self.rename(from, to)
    }

    /// Removes the file (or link) `name`.
    #[cfg(unix)]
    pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
        let c = cstr(name)?;
        // SAFETY: valid descriptor and C string.
        check(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), 0) })?;
        Ok(())
    }

    #[cfg(not(unix))]
    pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
        std::fs::remove_file(self.join(name))
    }

    /// Removes the subdirectory `name` if it is empty (an error otherwise).
    #[cfg(unix)]
    pub(crate) fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        let c = cstr(name)?;
        // SAFETY: valid descriptor and C string.
        check(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), libc::AT_REMOVEDIR) })?;
        Ok(())
    }

    #[cfg(not(unix))]
    pub(crate) fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        std::fs::remove_dir(self.join(name))
    }

    /// Opens (creating 0700 when missing) the subdirectory `name`, refusing
    /// a link there.
    #[cfg(unix)]
    pub(crate) fn subdir(&self, name: &OsStr) -> Result<PrivateDir> {
        use std::os::fd::{FromRawFd, OwnedFd};
        let path = self.join(name);
        let c = cstr(name).map_err(|e| io_error("opening directory", &path, e))?;
        // SAFETY: valid descriptor and C string.
        if let Err(e) = check(unsafe { libc::mkdirat(self.raw(), c.as_ptr(), 0o700) }) {
            if e.kind() != io::ErrorKind::AlreadyExists {
                return Err(io_error("creating directory", &path, e));
            }
        }
        // SAFETY: valid descriptor and C string; the result is owned below.
        let fd = check(unsafe {
            libc::openat(
                self.raw(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        })
        .map_err(|e| {
            // O_DIRECTORY|O_NOFOLLOW on a link says ELOOP or ENOTDIR.
            if matches!(self.stat(name), Ok(Some(s)) if s.is_symlink) {
                io_error(
                    "opening directory",
                    &path,
                    io::Error::from_raw_os_error(libc::ELOOP),
                )
            } else {
                io_error("opening directory", &path, e)
            }
        })?;
        Ok(PrivateDir {
            path,
            // SAFETY: `fd` was just opened and is owned by nobody else.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    #[cfg(not(unix))]
    pub(crate) fn subdir(&self, name: &OsStr) -> Result<PrivateDir> {
        let path = self.join(name);
        if matches!(self.stat(name), Ok(Some(s)) if s.is_symlink) {
            return Err(io_error(
                "opening directory",
                &path,
                io::Error::other("refusing a symbolic link"),
            ));
        }
        PrivateDir::open(&path)
    }

    /// The names in this directory.
    pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(&self.path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }

    /// Flushes the directory itself (after a rename) to disk.
    #[cfg(unix)]
    pub(crate) fn sync(&self) -> io::Result<()> {
        // SAFETY: valid descriptor.
        check(unsafe { libc::fsync(self.raw()) })?;
        Ok(())
    }

    #[cfg(not(unix))]
    pub(crate) fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}

/// Creates a directory (and parents) with mode 0700 for the last component.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| Error::io(format!("creating directory {}", dir.display()), e))
}

/// Splits a file path into its (opened) directory and its file name.
pub(crate) fn split(path: &Path) -> Result<(PrivateDir, OsString)> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::InvalidArgument(format!("'{}' is not a file path", path.display())))?
        .to_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((PrivateDir::open(parent)?, name))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn no_access_mode_follows_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victims = tempfile::tempdir().unwrap();
        let victim = victims.path().join("victim");
        std::fs::write(&victim, b"victim").unwrap();
        let d = PrivateDir::open(dir.path()).unwrap();
        for (i, access) in [Access::Read, Access::ReadWriteCreate, Access::CreateNew]
            .into_iter()
            .enumerate()
        {
            let name = format!("link-{i}");
            symlink(&victim, dir.path().join(&name)).unwrap();
            let err = d.open_file(OsStr::new(&name), access).unwrap_err();
            // O_EXCL refuses any existing name, a link included.
            let refused = is_link_refusal(&err)
                || (access == Access::CreateNew && err.kind() == io::ErrorKind::AlreadyExists);
            assert!(refused, "{access:?}: {err}");
            let dangling = format!("dangling-{i}");
            let missing = victims.path().join(&dangling);
            symlink(&missing, dir.path().join(&dangling)).unwrap();
            assert!(d.open_file(OsStr::new(&dangling), access).is_err());
            assert!(
                !missing.exists(),
                "{access:?} created a file through a link"
            );
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"victim");
        let stamp = d.stat(OsStr::new("link-0")).unwrap().unwrap();
        assert!(stamp.is_symlink);
    }

    #[test]
    fn rename_no_replace_never_replaces_a_file_or_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let d = PrivateDir::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("a"), b"a").unwrap();
        std::fs::write(dir.path().join("b"), b"b").unwrap();
        symlink("/nonexistent", dir.path().join("l")).unwrap();
        for to in ["b", "l"] {
            let err = d
                .rename_no_replace(OsStr::new("a"), OsStr::new(to))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        }
        d.rename_no_replace(OsStr::new("a"), OsStr::new("c"))
            .unwrap();
        assert_eq!(std::fs::read(dir.path().join("c")).unwrap(), b"a");
        assert!(!dir.path().join("a").exists());
    }

    #[test]
    fn names_with_a_slash_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = PrivateDir::open(dir.path()).unwrap();
        assert!(d
            .open_file(OsStr::new("../x"), Access::ReadWriteCreate)
            .is_err());
        assert!(d.stat(OsStr::new("a/b")).is_err());
    }
}
