//! Crash-safe replacement of a file's contents.
//!
//! # Why this order of operations
//! POSIX `rename(2)` replaces the target atomically: any observer (including one after a
//! crash) sees either the old file or the new one, never a mix. So the bytes go to a
//! temporary file *in the same directory* (rename is only atomic within a file
//! system), which is `fsync`ed before the rename (otherwise a power loss can leave the
//! renamed name pointing at unwritten blocks, the ext4 "zero-length file" problem), and
//! the directory is `fsync`ed after it so the rename itself is durable.
//! A process killed (SIGKILL included) at any instant therefore leaves at the target
//! path either nothing, the previous complete file, or the new complete file; the only
//! debris is a temporary file `.<name>.<pid>.<n>.pinn-tmp`, which
//! [`remove_stale_temps`] deletes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::OutputError;

/// Suffix of every temporary file this module creates.
pub const TEMP_SUFFIX: &str = ".pinn-tmp";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn io(path: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::Io { path, op, source }
}

/// Directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> Result<String, OutputError> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| OutputError::Io {
            path: path.to_path_buf(),
            op: "take file name",
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        })
}

/// Prefix shared by every temporary file of the target `path`.
fn temp_prefix(path: &Path) -> Result<String, OutputError> {
    Ok(format!(".{}.", file_name(path)?))
}

/// Replaces the contents of `path` by `bytes` atomically and durably (see the module
/// docs). On any error the temporary file is removed and the target is untouched.
///
/// # Errors
/// [`OutputError::Io`] naming the failing step.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = parent_dir(path);
    // pid + process-wide counter: unique among concurrent writers (threads and processes)
    // to the same target; `create_new` refuses to reuse a leftover name anyway.
    let tmp = dir.join(format!(
        "{}{}.{}{TEMP_SUFFIX}",
        temp_prefix(path)?,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_then_rename(&tmp, path, &dir, bytes);
    if result.is_err() {
        // Best effort: the temp file may not exist (creation failed) or already be
        // renamed (only the directory fsync failed), both fine.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(tmp: &Path, path: &Path, dir: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(io(tmp, "create temporary file"))?;
    f.write_all(bytes)
        .map_err(io(tmp, "write temporary file"))?;
    f.sync_all().map_err(io(tmp, "fsync temporary file"))?;
    drop(f);
    fs::rename(tmp, path).map_err(io(path, "rename temporary file over target"))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir, "fsync directory"))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), OutputError> {
    // Directories cannot be opened as files on Windows; `rename` there is
    // `MoveFileEx(MOVEFILE_REPLACE_EXISTING)`, durable enough without it.
    Ok(())
}

/// Deletes temporary files left by writers to `path` that were killed between creating
/// and renaming them. Call it when no other process is writing `path` (e.g. at the
/// start of a run); a live writer's temporary file would be removed too, making its
/// rename fail with an error (never a corrupt target).
///
/// Returns how many files were removed.
///
/// # Errors
/// [`OutputError::Io`] if the directory cannot be listed or a file not removed.
pub fn remove_stale_temps(path: &Path) -> Result<usize, OutputError> {
    let dir = parent_dir(path);
    let prefix = temp_prefix(path)?;
    let mut n = 0;
    for entry in fs::read_dir(&dir).map_err(io(&dir, "list directory"))? {
        let entry = entry.map_err(io(&dir, "list directory"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX) {
            let p = entry.path();
            fs::remove_file(&p).map_err(io(&p, "remove stale temporary file"))?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pinn-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_contents_and_leaves_no_temp() {
        let d = scratch("replace");
        let p = d.join("r.h5");
        write_bytes_atomic(&p, b"first").unwrap();
        write_bytes_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn failure_is_typed_and_cleans_up() {
        let d = scratch("fail");
        // Renaming a file over a non-empty directory fails (EISDIR/ENOTEMPTY).
        let p = d.join("target");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("keep"), b"x").unwrap();
        let err = write_bytes_atomic(&p, b"data").unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::Io {
                    op: "rename temporary file over target",
                    ..
                }
            ),
            "{err}"
        );
        // Only the directory remains: the temporary file was removed.
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        // A missing directory fails at creation with the temp path in the message.
        let err = write_bytes_atomic(&d.join("no/such/dir/r.h5"), b"x").unwrap_err();
        assert!(err.to_string().contains("create temporary file"), "{err}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn stale_temps_are_removed_and_others_kept() {
        let d = scratch("stale");
        let p = d.join("r.h5");
        fs::write(d.join(".r.h5.123.0.pinn-tmp"), b"partial").unwrap();
        fs::write(d.join(".r.h5.9.4.pinn-tmp"), b"partial").unwrap();
        fs::write(d.join(".other.h5.1.0.pinn-tmp"), b"not ours").unwrap();
        fs::write(&p, b"complete").unwrap();
        assert_eq!(remove_stale_temps(&p).unwrap(), 2);
        let mut left: Vec<String> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".other.h5.1.0.pinn-tmp", "r.h5"]);
        fs::remove_dir_all(&d).unwrap();
    }
}
