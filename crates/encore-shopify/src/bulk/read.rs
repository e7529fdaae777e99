//! Feeding the assembler from a stream, one bounded line at a time.

use std::io::BufRead;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::assemble::{CatalogAssembler, CatalogEntry, CatalogStats};

/// The longest line kept; a longer one is skipped as malformed (a product row is well under
/// 10 kB, so this only guards memory against a broken file).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Reads a catalog JSONL stream asynchronously (a download or a file).
pub struct CatalogReader<R> {
    input: R,
    assembler: CatalogAssembler,
    line: Vec<u8>,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> CatalogReader<R> {
    pub fn new(input: R, assembler: CatalogAssembler) -> Self {
        Self {
            input,
            assembler,
            line: Vec::with_capacity(4096),
            done: false,
        }
    }

    /// The next product or detached child; `None` at the end.
    pub async fn next(&mut self) -> std::io::Result<Option<CatalogEntry>> {
        while !self.done {
            self.line.clear();
            let read = read_bounded_async(&mut self.input, &mut self.line).await?;
            match read {
                Line::End => {
                    self.done = true;
                    return Ok(self.assembler.finish());
                }
                Line::TooLong => {
                    self.assembler.push_line(b"<line longer than the limit>");
                }
                Line::Read => {
                    if let Some(entry) = self.assembler.push_line(&self.line) {
                        return Ok(Some(entry));
                    }
                }
            }
        }
        Ok(None)
    }

    pub fn stats(&self) -> &CatalogStats {
        self.assembler.stats()
    }
}

/// Reads a catalog JSONL stream on the current thread.
pub struct CatalogLines<R> {
    input: R,
    assembler: CatalogAssembler,
    line: Vec<u8>,
    done: bool,
}

impl<R: BufRead> CatalogLines<R> {
    pub fn new(input: R, assembler: CatalogAssembler) -> Self {
        Self {
            input,
            assembler,
            line: Vec::with_capacity(4096),
            done: false,
        }
    }

    pub fn stats(&self) -> &CatalogStats {
        self.assembler.stats()
    }
}

impl<R: BufRead> Iterator for CatalogLines<R> {
    type Item = std::io::Result<CatalogEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            match read_bounded(&mut self.input, &mut self.line) {
                Err(e) => return Some(Err(e)),
                Ok(Line::End) => {
                    self.done = true;
                    return self.assembler.finish().map(Ok);
                }
                Ok(Line::TooLong) => {
                    self.assembler.push_line(b"<line longer than the limit>");
                }
                Ok(Line::Read) => {
                    if let Some(entry) = self.assembler.push_line(&self.line) {
                        return Some(Ok(entry));
                    }
                }
            }
        }
        None
    }
}

pub(super) enum Line {
    Read,
    TooLong,
    End,
}

/// Reads up to the next newline into `buf`, keeping at most MAX_LINE_BYTES; the rest of a
/// longer line is consumed and dropped.
fn read_bounded(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(finish_line(any, too_long));
        }
        any = true;
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long && buf.len() + take <= MAX_LINE_BYTES {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            too_long = true;
        }
        input.consume(take);
        if found {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

pub(super) async fn read_bounded_async(
    input: &mut (impl AsyncBufRead + Unpin),
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = input.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(finish_line(any, too_long));
        }
        any = true;
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long && buf.len() + take <= MAX_LINE_BYTES {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            too_long = true;
        }
        input.consume(take);
        if found {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

/// At the end of input: a last line without newline is still a line.
fn finish_line(any: bool, too_long: bool) -> Line {
    match (any, too_long) {
        (false, _) => Line::End,
        (true, true) => Line::TooLong,
        (true, false) => Line::Read,
    }
}
