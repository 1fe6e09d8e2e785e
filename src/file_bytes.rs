//! A model file's bytes: a slice in memory, or in browsers the caller's `Uint8Array`, read one
//! tensor at a time. A browser load then neither copies the whole file into wasm memory before
//! it starts (60 ms for SmolLM2, on the page's thread) nor holds the file twice.

use std::borrow::Cow;

#[derive(Clone)]
pub enum FileBytes<'a> {
    Memory(&'a [u8]),
    #[cfg(target_arch = "wasm32")]
    Js(js_sys::Uint8Array),
}

impl<'a> From<&'a [u8]> for FileBytes<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        FileBytes::Memory(bytes)
    }
}

impl<'a> FileBytes<'a> {
    pub fn len(&self) -> u64 {
        match self {
            FileBytes::Memory(b) => b.len() as u64,
            #[cfg(target_arch = "wasm32")]
            FileBytes::Js(a) => a.length() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `start`, not yet read. Callers take ranges `gguf::parse` checked (like
    /// slicing, a range outside the file is a bug).
    pub fn range(&self, start: u64, len: u64) -> FileBytes<'a> {
        match self {
            FileBytes::Memory(b) => FileBytes::Memory(&b[start as usize..(start + len) as usize]),
            #[cfg(target_arch = "wasm32")]
            FileBytes::Js(a) => FileBytes::Js(a.subarray(start as u32, (start + len) as u32)),
        }
    }

    /// The bytes: borrowed from memory, or copied out of the JS array.
    pub fn read(&self) -> Cow<'a, [u8]> {
        match self {
            FileBytes::Memory(b) => Cow::Borrowed(b),
            #[cfg(target_arch = "wasm32")]
            FileBytes::Js(a) => Cow::Owned(a.to_vec()),
        }
    }
}
