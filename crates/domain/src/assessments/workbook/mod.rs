//! The check sheet as an Excel workbook, both ways: written from an assessment (a cover with
//! live formulas and a radar chart, one row per in-scope item with dropdowns and protected
//! read-only columns, a hidden sheet that names the assessment and its version), and read
//! back from a filled copy with the same rules as the JSON API, all or nothing, every problem
//! reported by sheet, cell and item number.

mod layout;
mod read;
mod write;

pub use layout::{CONTENT_TYPE, Column};
pub use read::import;
pub use write::{Exported, export};

/// The largest workbook an upload may be, compressed: a filled 153-item check sheet is
/// about 40 KB.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;
