//! The parsed JSON token file, kept between calls while the file is
//! unchanged, so a load does not re-read and re-parse it.
//!
//! A cached document is used again only when the file's stamp (device,
//! inode, size, modification and status-change times in nanoseconds, see
//! [`FileStamp`]) is the one seen when it was read **and** the snapshot is
//! *settled*: its times lie clearly before the moment the content was read.
//! That second rule is what makes the stamp trustworthy. File times come
//! from a coarse clock (a few milliseconds on Linux, a second or two on some
//! file systems), so a writer that rewrites the file within the same tick,
//! with the same size (and, after atomic renames, possibly a reused inode)
//! leaves a stamp equal to the old one. Any write made *after* a settled
//! read, though, gets a later tick and so a different stamp. Until a
//! snapshot has settled, a call reads the bytes again and compares them
//! with the cached ones (no parse when they are equal), then re-checks.
//!
//! Writers validate the same way under the write lock, and a write leaves
//! the document it wrote as the new snapshot.

use std::ffi::OsStr;
use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::private_dir::{io_error, Access, FileStamp, PrivateDir};
use crate::error::Result;

/// How far a file's times must lie before the read for the stamp to be
/// trusted: generous for clocks with sub-second precision, two seconds for
/// file systems that keep whole seconds (FAT keeps two).
const MARGIN_NS: i128 = 100_000_000;
const COARSE_MARGIN_NS: i128 = 2_000_000_000;

/// One read (or write) of the file.
pub(crate) struct Snapshot {
    pub(crate) stamp: FileStamp,
    pub(crate) doc: Arc<Map<String, Value>>,
    /// When the content was known to be the file's, ns since the epoch.
    known_at_ns: i128,
    /// The bytes, kept while the snapshot has not settled.
    bytes: Option<Arc<[u8]>>,
}

impl Snapshot {
    fn settled(&self) -> bool {
        let s = &self.stamp;
        let whole_seconds = s.mtime_ns % 1_000_000_000 == 0 && s.ctime_ns % 1_000_000_000 == 0;
        let margin = if whole_seconds {
            COARSE_MARGIN_NS
        } else {
            MARGIN_NS
        };
        s.mtime_ns.max(s.ctime_ns) + margin < self.known_at_ns
    }

    fn new(stamp: FileStamp, doc: Arc<Map<String, Value>>, bytes: Arc<[u8]>, at: i128) -> Self {
        let mut snap = Snapshot {
            stamp,
            doc,
            known_at_ns: at,
            bytes: Some(bytes),
        };
        if snap.settled() {
            snap.bytes = None;
        }
        snap
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The last snapshot of one file, shared by every handle on it.
#[derive(Default)]
pub(crate) struct SnapshotCache {
    last: Mutex<Option<Arc<Snapshot>>>,
}

/// What [`SnapshotCache::current`] found.
pub(crate) enum Current {
    /// No file.
    Missing,
    /// The file's content; `new_mode` when its permission bits differ from
    /// the last snapshot's (or there was none).
    Found { snap: Arc<Snapshot>, new_mode: bool },
}

impl SnapshotCache {
    fn last(&self) -> MutexGuard<'_, Option<Arc<Snapshot>>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The file `name` in `dir` as it is now, parsing it with `parse` only
    /// when its bytes changed.
    pub(crate) fn current(
        &self,
        dir: &PrivateDir,
        name: &OsStr,
        parse: impl FnOnce(&[u8]) -> Result<Map<String, Value>>,
    ) -> Result<Current> {
        let path = dir.join(name);
        let reading = |e| io_error("reading", &path, e);
        let cached = self.last().clone();
        let Some(stamp) = dir.stat(name).map_err(reading)? else {
            return Ok(Current::Missing);
        };
        if let Some(c) = &cached {
            if c.stamp == stamp && c.settled() {
                return Ok(Current::Found {
                    snap: c.clone(),
                    new_mode: false,
                });
            }
        }
        let at = now_ns();
        let mut file = match dir.open_file(name, Access::Read) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Current::Missing),
            Err(e) => return Err(reading(e)),
        };
        let mut bytes = Vec::with_capacity(stamp.size as usize + 1);
        file.read_to_end(&mut bytes).map_err(reading)?;
        let stamp = FileStamp::of(&file).map_err(reading)?;
        let bytes: Arc<[u8]> = bytes.into();
        let same_bytes = cached
            .as_ref()
            .filter(|c| c.bytes.as_deref() == Some(&bytes[..]))
            .map(|c| c.doc.clone());
        let new_mode = cached.as_ref().is_none_or(|c| c.stamp.mode != stamp.mode);
        let doc = match same_bytes {
            Some(doc) => doc,
            None => Arc::new(parse(&bytes)?),
        };
        let snap = Arc::new(Snapshot::new(stamp, doc, bytes, at));
        *self.last() = Some(snap.clone());
        Ok(Current::Found { snap, new_mode })
    }

    /// Remembers what a write put in the file (its stamp taken after the
    /// rename).
    pub(crate) fn remember(&self, stamp: FileStamp, doc: Map<String, Value>, bytes: Vec<u8>) {
        let snap = Snapshot::new(stamp, Arc::new(doc), bytes.into(), now_ns());
        *self.last() = Some(Arc::new(snap));
    }

    /// Forgets the snapshot (the file was moved away).
    pub(crate) fn forget(&self) {
        *self.last() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mtime_ns: i128, ctime_ns: i128) -> FileStamp {
        FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns,
            mode: 0o600,
            is_symlink: false,
        }
    }

    fn snap(mtime_ns: i128, ctime_ns: i128, read_at: i128) -> Snapshot {
        Snapshot::new(
            stamp(mtime_ns, ctime_ns),
            Arc::new(Map::new()),
            Arc::from(&b"{}"[..]),
            read_at,
        )
    }

    const S: i128 = 1_000_000_000;

    #[test]
    fn a_snapshot_read_within_the_files_clock_tick_is_not_trusted() {
        let t = 1_700_000_000 * S + 123_456_789;
        // Read in the same tick as the last change: a later write in that
        // tick would leave the same stamp.
        assert!(!snap(t, t, t + 1_000_000).settled());
        // The status change (a rename, a chmod) counts as much as the write.
        assert!(!snap(t - 10 * S, t, t + 1_000_000).settled());
        // Read well after the change: any later write has a later stamp.
        assert!(snap(t, t, t + MARGIN_NS + 1).settled());
        // An unsettled snapshot keeps its bytes to compare; a settled one not.
        assert!(snap(t, t, t).bytes.is_some());
        assert!(snap(t, t, t + S).bytes.is_none());
    }

    #[test]
    fn whole_second_file_clocks_need_a_longer_wait() {
        let t = 1_700_000_000 * S;
        assert!(!snap(t, t, t + S).settled());
        assert!(snap(t, t, t + COARSE_MARGIN_NS + 1).settled());
    }
}
