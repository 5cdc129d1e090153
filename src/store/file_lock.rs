//! Advisory cross-process file locks with a timeout.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How long writers wait for each other by default. Long enough for a slow
/// disk, short enough that a wedged process is reported rather than waited
/// on forever.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// An exclusive advisory lock on a lock file; released on drop (and by the
/// operating system if the process dies, so a crash never leaves a stale
/// lock behind).
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
}

impl FileLock {
    /// Locks `path` (created 0600 if missing), polling until `timeout`.
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<FileLock> {
        let file = open_private(path)
            .map_err(|e| Error::io(format!("opening lock file {}", path.display()), e))?;
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io(format!("locking {}", path.display()), e))
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::LockTimeout(path.display().to_string()));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Opens (creating if needed) a file readable and writable by its owner only.
pub(crate) fn open_private(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// The lock file guarding one key of one namespace of the store at `store`:
/// `{store}.locks/{sha256(namespace/key) prefix}.lock`. Hashing keeps any key
/// a safe file name.
pub(crate) fn key_lock_path(store: &Path, namespace: &str, key: &str) -> Result<PathBuf> {
    let mut dir = store.as_os_str().to_owned();
    dir.push(".locks");
    let dir = PathBuf::from(dir);
    create_private_dir(&dir)?;
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!("{name}.lock")))
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
