//! The files dsim reads and writes, and what it promises about them.
//!
//! Writing. A file dsim writes is one it creates, or one that begins with
//! dsim's own header for that kind of file (its [`Format::marker`]), or an
//! empty one (which holds nothing to lose): a user's file is never
//! replaced. dsim never writes through a symbolic link, and never opens a
//! FIFO, a device or a socket at a path it was asked to write (opening a
//! FIFO blocks until someone reads it; `/dev/zero` never ends). It writes
//! to a temporary name in the same folder and renames that into place, so
//! a reader sees the old file or the new one, never half of one, and a
//! crash leaves the old file as it was. Recognising a header reads at most
//! a few dozen bytes.
//!
//! Reading. Scenario and repro files are read up to [`MAX_INPUT_BYTES`],
//! and text that is not UTF-8 is refused at the place of its first bad byte.

use crate::Diagnostic;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A kind of file dsim writes, recognised by the bytes it begins with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// For messages: "dsim trace", "JUnit report"...
    pub name: &'static str,
    /// Every file of this kind that dsim writes begins with these bytes,
    /// and a file that does not is not dsim's.
    pub marker: &'static str,
}

/// `--trace FILE`: JSON lines after a header line.
pub const TRACE: Format = Format { name: "dsim trace", marker: "{\"dsim\":\"trace\"," };
/// The first line of every trace file.
pub const TRACE_HEADER: &str = "{\"dsim\":\"trace\",\"version\":2}\n";
/// `run --history FILE`: `{"dsim":"history","version":1,"events":[...]}`.
pub const HISTORY: Format = Format { name: "dsim history", marker: "{\"dsim\":\"history\"," };
/// `explore --json FILE`, `merge --json FILE`: pretty JSON whose first field is `"dsim": "sweep"`.
pub const SWEEP: Format = Format { name: "dsim sweep", marker: "{\n  \"dsim\": \"sweep\"," };
/// `--junit FILE`: the XML declaration, then a comment naming dsim.
pub const JUNIT: Format = Format {
    name: "dsim JUnit report",
    marker: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- dsim junit",
};

/// `--html FILE`: a self-contained page whose second line names dsim.
pub const HTML: Format = Format { name: "dsim HTML report", marker: "<!DOCTYPE html>\n<!-- dsim report" };
/// `--perfetto FILE`: Chrome's trace-event JSON, marked by its first key.
pub const PERFETTO: Format = Format { name: "dsim Perfetto trace", marker: "{\"dsim\":\"perfetto\"," };

/// The largest scenario or repro file dsim reads: far above any real one,
/// and small enough that a wrong path (a disk image, `/dev/zero`) fails at
/// once instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// How many free names a new file (a repro) may try before giving up.
pub const MAX_NAME_TRIES: u32 = 1000;

/// A temporary name next to `target`, unique within this process (threads
/// of one sweep write repros at once) and, through the process id, across
/// processes. It keeps a prefix of the final name, so that it fits where
/// the final name fits and a user can tell what it was for.
fn temp_name(dir: &Path, target: &std::ffi::OsStr) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let prefix: String = target.to_string_lossy().chars().take(64).collect();
    dir.join(format!(".{prefix}.{}-{n}.dsim-tmp", std::process::id()))
}

/// Creates a new temporary file next to `target`; a name left behind by a
/// process that died is passed over.
fn create_temp(dir: &Path, target: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    for _ in 0..MAX_NAME_TRIES {
        let temp = temp_name(dir, target);
        // create_new never follows a link and never opens what exists.
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("{MAX_NAME_TRIES} temporary names in {} are taken", dir.display())))
}

/// Opens an existing file for reading without following a symbolic link
/// and without blocking on a FIFO; the caller checks what it opened.
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

/// What is at a path dsim was asked to write.
#[derive(Debug, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// Empty, or begins with the format's marker.
    Replaceable,
}

/// Says whether dsim may put a file of `format` at `path`, and if not why,
/// in a sentence that names the path.
fn existing(path: &Path, format: Format) -> Result<Existing, String> {
    let shown = path.display();
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(format!("cannot write {shown}: {e}")),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(format!(
            "{shown} is a symbolic link; dsim never writes through one (name the file itself, or another path)"
        ));
    }
    if kind.is_dir() {
        return Err(format!("{shown} is a folder; give the path of a file"));
    }
    if !kind.is_file() {
        return Err(format!(
            "{shown} is not a regular file (a FIFO, a device or a socket); dsim writes only regular files (use - for standard output)"
        ));
    }
    if meta.len() == 0 {
        return Ok(Existing::Replaceable);
    }
    let mut head = Vec::with_capacity(format.marker.len());
    let read = open_no_follow(path).and_then(|f| {
        // Checked again on the open file: the path may have changed since.
        if !f.metadata()?.is_file() {
            return Err(io::Error::other("it is no longer a regular file"));
        }
        f.take(format.marker.len() as u64).read_to_end(&mut head)
    });
    match read {
        Ok(_) if head == format.marker.as_bytes() => Ok(Existing::Replaceable),
        Ok(_) => Err(format!(
            "{shown} exists and was not written by dsim (it does not begin with the {} header); \
             not overwriting it: choose another path, or remove the file first",
            format.name
        )),
        Err(e) => Err(format!("cannot write {shown}: cannot read what it holds: {e}")),
    }
}

/// Checks, before any work, that a file of `format` may be put at `path`.
pub fn check_writable(path: &Path, format: Format) -> Result<(), String> {
    existing(path, format).map(|_| ())
}

/// A file being written under a temporary name next to its final place;
/// [`AtomicFile::commit`] renames it into place. Dropped without a commit,
/// the temporary file is removed and the final place is untouched.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    format: Format,
    out: Option<io::BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing a file of `format` for `target`, after checking that
    /// `target` may be replaced; creates the folder if needed.
    pub fn create(target: &Path, format: Format) -> Result<AtomicFile, String> {
        existing(target, format)?;
        let shown = target.display();
        let name = target.file_name().ok_or_else(|| format!("{shown} names no file"))?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
        let (temp, file) = create_temp(dir, name)
            .map_err(|e| format!("cannot write {shown}: cannot create a file in {}: {e}", dir.display()))?;
        Ok(AtomicFile { target: target.to_path_buf(), temp, format, out: Some(io::BufWriter::new(file)) })
    }

    /// Finishes the file and puts it in place, checking again that the
    /// place may be taken (something may have appeared there meanwhile).
    pub fn commit(mut self) -> Result<(), String> {
        let shown = self.target.display().to_string();
        let out = self.out.take().expect("committed once");
        let file = out.into_inner().map_err(|e| format!("cannot write {shown}: {}", e.error()))?;
        file.sync_all().map_err(|e| format!("cannot write {shown}: {e}"))?;
        drop(file);
        let placed = match existing(&self.target, self.format)? {
            // A hard link fails if the name was taken meanwhile, where a
            // rename would replace whatever took it.
            Existing::Nothing => match fs::hard_link(&self.temp, &self.target) {
                Ok(()) => fs::remove_file(&self.temp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(format!("{shown} appeared while dsim was writing it; not replacing it"))
                }
                // Some file systems have no hard links.
                Err(_) => fs::rename(&self.temp, &self.target),
            },
            Existing::Replaceable => fs::rename(&self.temp, &self.target),
        };
        placed.map_err(|e| format!("cannot write {shown}: {e}"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // The temporary file, whether committed (then it is a second link
        // or already renamed away) or abandoned.
        let _ = fs::remove_file(&self.temp);
    }
}

/// Writes a whole file of `format` at `path` (see the module's promises).
pub fn write_file(path: &Path, format: Format, contents: &[u8]) -> Result<(), String> {
    debug_assert!(contents.starts_with(format.marker.as_bytes()), "a {} begins with its header", format.name);
    let mut file = AtomicFile::create(path, format)?;
    file.write_all(contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.commit()
}

/// Writes `contents` at `path` only if nothing is there: through a
/// temporary name, then a hard link that fails if the name is taken.
/// An error of kind `AlreadyExists` means the name is taken.
pub fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| io::Error::other("the path names no file"))?;
    // An error here is never AlreadyExists, which callers take to mean
    // that `path` is taken.
    let (temp, mut f) = create_temp(dir, name).map_err(io::Error::other)?;
    let written = f.write_all(contents).and_then(|_| f.sync_all());
    drop(f);
    let placed = written.and_then(|_| match fs::hard_link(&temp, path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists && e.kind() != io::ErrorKind::NotFound => {
            // No hard links on this file system: create the name exclusively.
            let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
            f.write_all(contents)
        }
        other => other,
    });
    let _ = fs::remove_file(&temp);
    placed
}

/// Whether `path` is a regular file holding exactly `contents` (read
/// without following a link or blocking on a FIFO, and only as far as the
/// length of `contents`).
pub fn holds_exactly(path: &Path, contents: &[u8]) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else { return false };
    if !meta.is_file() || meta.len() != contents.len() as u64 {
        return false;
    }
    let mut held = Vec::with_capacity(contents.len());
    open_no_follow(path)
        .and_then(|f| f.take(contents.len() as u64).read_to_end(&mut held))
        .is_ok_and(|_| held == contents)
}

/// Reads a text file the user gave (a scenario, a repro: `what`), at most
/// [`MAX_INPUT_BYTES`] of it, refusing what is not a regular file as
/// [`read_regular`] does; text that is not UTF-8 is an error at the first
/// bad byte.
pub fn read_text(path: &str, what: &str) -> Result<String, Diagnostic> {
    utf8(path, what, read_regular(Path::new(path), what, MAX_INPUT_BYTES)?)
}

/// The largest history `dsim check` reads: histories from long Jepsen runs
/// are far bigger than scenarios, but still a bound.
pub const MAX_HISTORY_BYTES: u64 = 1 << 30;

/// The bytes of the regular file at `path`, at most `max` of them. Anything
/// else is refused before it is opened: a folder, a FIFO (opening one waits
/// for a writer), a device such as `/dev/zero` (which never ends), a socket.
pub fn read_regular(path: &Path, what: &str, max: u64) -> Result<Vec<u8>, Diagnostic> {
    let shown = path.display().to_string();
    let cannot = |e: &dyn std::fmt::Display| Diagnostic::file(&shown, format!("cannot read the {what}: {e}"));
    let meta = fs::metadata(path).map_err(|e| cannot(&e))?;
    if meta.is_dir() {
        return Err(cannot(&"it is a folder"));
    }
    if !meta.is_file() {
        return Err(cannot(
            &"it is not a regular file (a FIFO, a device or a socket); save it to a file first",
        ));
    }
    let file = File::open(path).map_err(|e| cannot(&e))?;
    // The file may have changed since the check above; the bound holds
    // whatever it is now.
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > max {
        return Err(Diagnostic::file(
            &shown,
            format!("the {what} is larger than {} MiB, the most dsim reads", max >> 20),
        ));
    }
    Ok(bytes)
}

/// `bytes` as text, or an error at the first byte that is not UTF-8.
pub fn utf8(path: &str, what: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let shown = String::from_utf8_lossy(&bytes);
        Diagnostic::new(
            path,
            &shown,
            Some(at..at + 1),
            format!("the {what} is not valid UTF-8: byte 0x{:02x} at byte offset {at}", bytes[at]),
        )
        .with_help("save the file as UTF-8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dsim-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn only_dsims_own_or_empty_files_are_replaced() {
        let dir = temp_dir("own");
        let path = dir.join("t.jsonl");
        assert_eq!(existing(&path, TRACE), Ok(Existing::Nothing));
        fs::write(&path, "").unwrap();
        assert_eq!(existing(&path, TRACE), Ok(Existing::Replaceable));
        fs::write(&path, format!("{TRACE_HEADER}{{}}\n")).unwrap();
        assert_eq!(existing(&path, TRACE), Ok(Existing::Replaceable));
        for theirs in ["\n", "{\"dsim\":\"trace\"}", "{\"dsim\":\"history\",", "[]"] {
            fs::write(&path, theirs).unwrap();
            assert!(existing(&path, TRACE).is_err(), "{theirs:?}");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn commit_puts_the_file_in_place_and_leaves_nothing_else() {
        let dir = temp_dir("commit");
        let path = dir.join("h.json");
        write_file(&path, HISTORY, b"{\"dsim\":\"history\",\"events\":[]}").unwrap();
        write_file(&path, HISTORY, b"{\"dsim\":\"history\",\"events\":[ ]}").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"dsim\":\"history\",\"events\":[ ]}");
        let abandoned = AtomicFile::create(&dir.join("x.json"), HISTORY).unwrap();
        drop(abandoned);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "only h.json");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = temp_dir("new");
        let path = dir.join("r.json");
        write_new(&path, b"one").unwrap();
        assert_eq!(write_new(&path, b"two").unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert!(holds_exactly(&path, b"one") && !holds_exactly(&path, b"two"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_utf8_is_placed() {
        let d = utf8("s.toml", "scenario", b"a = 1\nb = \"\xff\"\n".to_vec()).unwrap_err();
        let loc = d.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 6));
        assert!(d.message.contains("0xff") && d.message.contains("offset 11"), "{}", d.message);
    }
}
