//! Reading a key file: private to its owner, never through a symbolic link.

use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Longest key file accepted (a few hundred keys).
const MAX_LEN: u64 = 64 * 1024;

/// The text of the key file at `path`, refused when others may read it.
pub(crate) fn read_private(path: &Path) -> Result<Zeroizing<String>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options
        .open(path)
        .map_err(|e| Error::io(format!("opening key file {}", path.display()), e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "key file {} is not a regular file",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if meta.mode() & 0o077 != 0 {
            return Err(Error::InvalidArgument(format!(
                "key file {} is readable by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                meta.mode() & 0o777,
                path.display()
            )));
        }
    }
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(format!("reading key file {}", path.display()), e))?;
    if text.len() as u64 > MAX_LEN {
        return Err(Error::InvalidArgument(format!(
            "key file {} is larger than {MAX_LEN} bytes",
            path.display()
        )));
    }
    Ok(text)
}
