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
    refuse_non_regular(path)?;
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

/// What kind of non-regular file `path` is, or `Ok` when it is a regular file or does
/// not exist. Uses `symlink_metadata`: a symbolic link is refused even when it points to
/// a regular file, since renaming over it would silently replace the link, not its
/// target.
fn refuse_non_regular(path: &Path) -> Result<(), OutputError> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let kind = if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        special_kind(&t)
    };
    Err(OutputError::NotARegularFile {
        path: path.to_path_buf(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_t: &fs::FileType) -> &'static str {
    "a special file"
}

/// Checks, before any work, that [`write_bytes_atomic`] will be able to write `path`:
/// the target is a regular file or absent, its directory exists, and a file can be
/// created there (a probe file is created and removed). Long runs call this first so
/// that a bad `--out` is refused before the solve, not after it.
///
/// # Errors
/// [`OutputError::NotARegularFile`] or [`OutputError::Io`] naming the failing step.
pub fn check_writable(path: &Path) -> Result<(), OutputError> {
    file_name(path)?;
    refuse_non_regular(path)?;
    let dir = parent_dir(path);
    let meta = fs::metadata(&dir).map_err(io(&dir, "open the output directory"))?;
    if !meta.is_dir() {
        return Err(OutputError::Io {
            path: dir,
            op: "open the output directory",
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let probe = dir.join(format!(
        "{}{}.probe{TEMP_SUFFIX}",
        temp_prefix(path)?,
        std::process::id()
    ));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(io(&dir, "create a file in the output directory"))?;
    fs::remove_file(&probe).map_err(io(&probe, "remove the probe file"))
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

    #[test]
    fn only_regular_files_are_replaced() {
        let d = scratch("regular");
        let target = d.join("r.h5");
        check_writable(&target).unwrap();
        fs::write(&target, b"old").unwrap();
        check_writable(&target).unwrap();
        write_bytes_atomic(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");

        let sub = d.join("sub");
        fs::create_dir(&sub).unwrap();
        for bad in [&sub, &d.join("missing/r.h5")] {
            assert!(check_writable(bad).is_err(), "{}", bad.display());
        }
        assert!(matches!(
            write_bytes_atomic(&sub, b"x"),
            Err(OutputError::NotARegularFile {
                kind: "a directory",
                ..
            })
        ));
        #[cfg(unix)]
        {
            let link = d.join("link.h5");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let err = check_writable(&link).unwrap_err();
            assert!(err.to_string().contains("a symbolic link"), "{err}");
            assert!(write_bytes_atomic(&link, b"x").is_err());
            assert_eq!(
                fs::read(&target).unwrap(),
                b"new",
                "the link's target is untouched"
            );
            let fifo = d.join("fifo.h5");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(made.unwrap().success(), "mkfifo (coreutils) is needed");
            let err = check_writable(&fifo).unwrap_err();
            assert!(err.to_string().contains("a FIFO"), "{err}");
            let err = check_writable(Path::new("/dev/null")).unwrap_err();
            assert!(err.to_string().contains("a device"), "{err}");
        }
        // No probe file is left behind.
        let left: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        fs::remove_dir_all(&d).ok();
    }

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
        // A directory is refused before any temporary file is created.
        let p = d.join("target");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("keep"), b"x").unwrap();
        let err = write_bytes_atomic(&p, b"data").unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::NotARegularFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{err}"
        );
        // Only the directory remains: no temporary file was left.
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
