//! STUB (files helper replaces this).
use std::path::Path;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FileError(String);
pub struct RawItem { pub bytes: Vec<u8>, pub origin: String }
pub fn open(path: &Path) -> Result<Box<dyn Iterator<Item = Result<RawItem, FileError>> + Send>, FileError> { let _ = path; todo!() }
pub struct MboxWriter<W: std::io::Write> { w: W }
impl<W: std::io::Write> MboxWriter<W> {
    pub fn new(w: W) -> Self { MboxWriter { w } }
    pub fn write_message(&mut self, b: &[u8]) -> std::io::Result<()> { self.w.write_all(b) }
    pub fn flush(&mut self) -> std::io::Result<()> { self.w.flush() }
}
