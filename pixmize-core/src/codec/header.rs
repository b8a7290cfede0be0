//! Header probes: image size and frame count read from the container
//! headers alone, without decoding or allocating pixels. They run before any
//! decoder so that [`Limits`](super::Limits) can reject a decompression bomb
//! in microseconds.
//!
//! Each probe only reads fixed-size fields and walks chunk or marker lists by
//! their declared lengths; it never allocates.

use super::ImageFormat;

/// What a header probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Stored width (before EXIF orientation).
    pub(crate) width: u32,
    /// Stored height (before EXIF orientation).
    pub(crate) height: u32,
    /// Number of frames or pages (1 for still images).
    pub(crate) frames: u64,
    /// JPEG only: number of colour components in the frame header.
    pub(crate) components: u8,
    /// TIFF only: the Orientation tag (274), if present.
    pub(crate) tiff_orientation: Option<u8>,
}

/// A header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid or truncated header: {0}")]
pub(crate) struct HeaderError(pub(crate) &'static str);

type Result<T> = std::result::Result<T, HeaderError>;

impl Header {
    fn still(width: u32, height: u32) -> Self {
        Self { width, height, frames: 1, components: 0, tiff_orientation: None }
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// Reads the header of `bytes`, already detected as `format`.
pub(crate) fn probe(format: ImageFormat, bytes: &[u8]) -> Result<Header> {
    let h = match format {
        ImageFormat::Jpeg => jpeg(bytes)?,
        ImageFormat::Png => png(bytes)?,
        ImageFormat::Webp => webp(bytes)?,
        ImageFormat::Gif => gif(bytes)?,
        ImageFormat::Bmp => bmp(bytes)?,
        ImageFormat::Tiff => tiff(bytes)?,
        ImageFormat::Avif => avif(bytes)?,
    };
    if h.width == 0 || h.height == 0 {
        return Err(HeaderError("zero width or height"));
    }
    Ok(h)
}

/// JPEG: walk the marker segments (ITU T.81 §B.1.1) to the first SOFn.
fn jpeg(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("JPEG ends before its frame header");
    let mut i = 2; // after SOI
    loop {
        // markers may be preceded by fill bytes 0xFF
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if b.get(i) != Some(&0xFF) {
            return Err(HeaderError("JPEG marker expected"));
        }
        let marker = *b.get(i + 1).ok_or(TRUNC)?;
        i += 2;
        match marker {
            // standalone markers without a length
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return Err(HeaderError("JPEG has no frame header before its scan")),
            _ => {}
        }
        let len = usize::from(be16(b, i).ok_or(TRUNC)?);
        if len < 2 {
            return Err(HeaderError("JPEG segment length below 2"));
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let height = be16(b, i + 3).ok_or(TRUNC)?;
            let width = be16(b, i + 5).ok_or(TRUNC)?;
            let components = *b.get(i + 7).ok_or(TRUNC)?;
            if height == 0 {
                // the height would come later in a DNL segment; rare, and
                // neither decoder here supports it
                return Err(HeaderError("JPEG height defined by DNL is not supported"));
            }
            let mut h = Header::still(u32::from(width), u32::from(height));
            h.components = components;
            return Ok(h);
        }
        i += len;
    }
}

/// PNG: IHDR is the first chunk (PNG spec §11.2.2); APNG's acTL, if any,
/// comes before the first IDAT and gives the frame count.
fn png(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("PNG ends before IHDR");
    if b.get(12..16) != Some(b"IHDR") {
        return Err(HeaderError("PNG does not start with IHDR"));
    }
    let width = be32(b, 16).ok_or(TRUNC)?;
    let height = be32(b, 20).ok_or(TRUNC)?;
    let mut h = Header::still(width, height);
    // walk chunks (length, type, data, crc) until IDAT looking for acTL
    let mut i = 8usize;
    while let (Some(len), Some(kind)) =
        (be32(b, i), b.get(i.saturating_add(4)..i.saturating_add(8)))
    {
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        if kind == b"acTL" {
            h.frames = u64::from(be32(b, i.saturating_add(8)).unwrap_or(1).max(1));
            break;
        }
        i = match i.checked_add(12).and_then(|v| v.checked_add(len as usize)) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(h)
}

/// WebP: RIFF container; the first chunk is `VP8 `, `VP8L` or `VP8X`
/// (WebP container spec). Animated files count their `ANMF` chunks.
fn webp(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("WebP ends before its image header");
    let kind = b.get(12..16).ok_or(TRUNC)?;
    let data = 20;
    match kind {
        b"VP8 " => {
            // 3-byte frame tag, start code 9d 01 2a, then 14-bit sizes
            if b.get(data + 3..data + 6) != Some(&[0x9d, 0x01, 0x2a]) {
                return Err(HeaderError("WebP VP8 start code missing"));
            }
            let w = le16(b, data + 6).ok_or(TRUNC)? & 0x3FFF;
            let h = le16(b, data + 8).ok_or(TRUNC)? & 0x3FFF;
            Ok(Header::still(u32::from(w), u32::from(h)))
        }
        b"VP8L" => {
            if b.get(data) != Some(&0x2f) {
                return Err(HeaderError("WebP VP8L signature missing"));
            }
            let bits = le32(b, data + 1).ok_or(TRUNC)?;
            Ok(Header::still((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let flags = *b.get(data).ok_or(TRUNC)?;
            let w = le24(b, data + 4).ok_or(TRUNC)? + 1;
            let h = le24(b, data + 7).ok_or(TRUNC)? + 1;
            let mut header = Header::still(w, h);
            if flags & 0x02 != 0 {
                header.frames = count_riff_chunks(b, b"ANMF").max(1);
            }
            Ok(header)
        }
        _ => Err(HeaderError("WebP has no VP8, VP8L or VP8X chunk first")),
    }
}

fn count_riff_chunks(b: &[u8], id: &[u8; 4]) -> u64 {
    let mut n = 0;
    let mut i = 12usize;
    while let (Some(kind), Some(len)) =
        (b.get(i..i.saturating_add(4)), le32(b, i.saturating_add(4)))
    {
        if kind == id {
            n += 1;
        }
        let len = len as usize;
        i = match i
            .checked_add(8)
            .and_then(|v| v.checked_add(len))
            .and_then(|v| v.checked_add(len & 1))
        {
            Some(next) => next,
            None => break,
        };
    }
    n
}

/// GIF: logical screen size at offset 6; frames are image descriptors
/// (0x2C) found by walking the block structure (GIF89a spec).
fn gif(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("GIF ends before its screen descriptor");
    let w = le16(b, 6).ok_or(TRUNC)?;
    let h = le16(b, 8).ok_or(TRUNC)?;
    let mut header = Header::still(u32::from(w), u32::from(h));
    header.frames = gif_frames(b).max(1);
    Ok(header)
}

fn gif_frames(b: &[u8]) -> u64 {
    let Some(&packed) = b.get(10) else { return 0 };
    let mut i = 13usize;
    if packed & 0x80 != 0 {
        i += 3 << ((packed & 7) + 1);
    }
    let skip_sub_blocks = |mut i: usize| -> Option<usize> {
        loop {
            let n = usize::from(*b.get(i)?);
            i += 1;
            if n == 0 {
                return Some(i);
            }
            i += n;
        }
    };
    let mut frames = 0;
    loop {
        match b.get(i) {
            Some(0x21) => match skip_sub_blocks(i + 2) {
                Some(next) => i = next,
                None => return frames,
            },
            Some(0x2C) => {
                frames += 1;
                let Some(&flags) = b.get(i + 9) else { return frames };
                i += 10;
                if flags & 0x80 != 0 {
                    i += 3 << ((flags & 7) + 1);
                }
                match skip_sub_blocks(i + 1) {
                    Some(next) => i = next,
                    None => return frames,
                }
            }
            _ => return frames,
        }
    }
}

/// BMP: BITMAPCOREHEADER (12 bytes, u16 sizes) or BITMAPINFOHEADER and
/// later (i32 sizes; a negative height means top-down rows).
fn bmp(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("BMP ends before its DIB header");
    let dib = le32(b, 14).ok_or(TRUNC)?;
    let (w, h) = if dib == 12 {
        (u32::from(le16(b, 18).ok_or(TRUNC)?), u32::from(le16(b, 20).ok_or(TRUNC)?))
    } else {
        let w = le32(b, 18).ok_or(TRUNC)? as i32;
        let h = le32(b, 22).ok_or(TRUNC)? as i32;
        if w < 0 {
            return Err(HeaderError("BMP width is negative"));
        }
        (w.unsigned_abs(), h.unsigned_abs())
    };
    Ok(Header::still(w, h))
}

/// A TIFF (TIFF 6.0 §2) or BigTIFF file, for walking its IFDs: the byte
/// order and offset size come from the header. Shared by the header probe
/// and the metadata reader; every read is bounds-checked and nothing is
/// allocated.
#[derive(Clone, Copy)]
pub(super) struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
    big: bool,
}

/// One IFD entry: its tag, field type, and where it starts.
#[derive(Clone, Copy)]
pub(super) struct TiffEntry {
    pub(super) tag: u16,
    pub(super) typ: u16,
    at: usize,
}

impl<'a> Tiff<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        let le = b.first() == Some(&b'I');
        let big = b.get(2..4) == Some(if le { &[0x2B, 0][..] } else { &[0, 0x2B][..] });
        Tiff { b, le, big }
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        if self.le { le16(self.b, at) } else { be16(self.b, at) }
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        if self.le { le32(self.b, at) } else { be32(self.b, at) }
    }

    fn u64_at(&self, at: usize) -> Option<u64> {
        let first = u64::from(self.u32_at(at)?);
        let second = u64::from(self.u32_at(at.checked_add(4)?)?);
        Some(if self.le { second << 32 | first } else { first << 32 | second })
    }

    /// An offset or count field: 4 bytes in TIFF, 8 in BigTIFF.
    fn field_at(&self, at: usize) -> Option<u64> {
        if self.big { self.u64_at(at) } else { self.u32_at(at).map(u64::from) }
    }

    fn field_size(&self) -> usize {
        if self.big { 8 } else { 4 }
    }

    fn entry_size(&self) -> usize {
        if self.big { 20 } else { 12 }
    }

    fn count_size(&self) -> usize {
        if self.big { 8 } else { 2 }
    }

    /// The offset of IFD0.
    pub(super) fn first_ifd(&self) -> Option<u64> {
        self.field_at(if self.big { 8 } else { 4 })
    }

    /// The number of entries of the IFD at `ifd`.
    pub(super) fn entry_count(&self, ifd: usize) -> Option<u64> {
        if self.big { self.u64_at(ifd) } else { self.u16_at(ifd).map(u64::from) }
    }

    /// Entry `i` of the IFD at `ifd`, when its tag and type are in the file.
    pub(super) fn entry(&self, ifd: usize, i: usize) -> Option<TiffEntry> {
        let at =
            ifd.checked_add(self.count_size())?.checked_add(i.checked_mul(self.entry_size())?)?;
        Some(TiffEntry { tag: self.u16_at(at)?, typ: self.u16_at(at.checked_add(2)?)?, at })
    }

    /// The offset of the IFD after the one at `ifd`, which has `n` entries.
    pub(super) fn next_ifd(&self, ifd: usize, n: u64) -> Option<u64> {
        let entries = usize::try_from(n).ok()?.checked_mul(self.entry_size())?;
        self.field_at(ifd.checked_add(self.count_size())?.checked_add(entries)?)
    }

    fn value_at(&self, e: &TiffEntry) -> Option<usize> {
        e.at.checked_add(4)?.checked_add(self.field_size())
    }

    /// The value of a SHORT, LONG or LONG8 entry (LONG8: high bits
    /// ignored); `None` for other types.
    pub(super) fn scalar(&self, e: &TiffEntry) -> Option<u32> {
        let at = self.value_at(e)?;
        match e.typ {
            3 => self.u16_at(at).map(u32::from),
            4 | 16 => self.u32_at(at),
            _ => None,
        }
    }

    /// The bytes of a BYTE or UNDEFINED entry: in its value field when they
    /// fit there, at the offset it holds otherwise; `None` for other types
    /// and for values outside the file.
    pub(super) fn bytes(&self, e: &TiffEntry) -> Option<&'a [u8]> {
        if !matches!(e.typ, 1 | 7) {
            return None;
        }
        let count = usize::try_from(self.field_at(e.at.checked_add(4)?)?).ok()?;
        let value_at = self.value_at(e)?;
        let start = if count <= self.field_size() {
            value_at
        } else {
            usize::try_from(self.field_at(value_at)?).ok()?
        };
        self.b.get(start..start.checked_add(count)?)
    }
}

/// TIFF and BigTIFF: IFD0's ImageWidth (256), ImageLength (257) and
/// Orientation (274); pages are counted by following the IFD chain
/// (bounded, so a cyclic chain cannot loop forever).
fn tiff(b: &[u8]) -> Result<Header> {
    const TRUNC: HeaderError = HeaderError("TIFF ends inside its first IFD");
    let t = Tiff::new(b);
    let mut ifd = t.first_ifd().ok_or(TRUNC)?;
    let (mut width, mut height, mut orientation) = (0u32, 0u32, None);
    let mut pages = 0u64;
    while ifd != 0 && pages < 65_536 {
        let at = usize::try_from(ifd).map_err(|_| TRUNC)?;
        let Some(n) = t.entry_count(at) else { break };
        pages += 1;
        if pages == 1 {
            for i in 0..usize::try_from(n).unwrap_or(0).min(4096) {
                let e = t.entry(at, i).ok_or(TRUNC)?;
                match (e.tag, t.scalar(&e)) {
                    (256, Some(v)) => width = v,
                    (257, Some(v)) => height = v,
                    (274, Some(v)) => orientation = u8::try_from(v).ok(),
                    _ => {}
                }
            }
        }
        match t.next_ifd(at, n) {
            Some(next) if next > ifd => ifd = next,
            _ => break,
        }
    }
    if width == 0 || height == 0 {
        return Err(HeaderError("TIFF has no image width or length"));
    }
    let mut h = Header::still(width, height);
    h.frames = pages.max(1);
    h.tiff_orientation = orientation;
    Ok(h)
}

/// AVIF: the `ispe` (image spatial extents) property inside
/// `meta/iprp/ipco` (ISO/IEC 23008-12 §6.5.3). The largest `ispe` found is
/// used, which is conservative for limits when a file holds a thumbnail too.
fn avif(b: &[u8]) -> Result<Header> {
    let meta = find_box(b, b"meta").ok_or(HeaderError("AVIF has no meta box"))?;
    // `meta` is a full box: 4 bytes of version and flags first
    let meta = meta.get(4..).ok_or(HeaderError("AVIF meta box is truncated"))?;
    let iprp = find_box(meta, b"iprp").ok_or(HeaderError("AVIF has no iprp box"))?;
    let ipco = find_box(iprp, b"ipco").ok_or(HeaderError("AVIF has no ipco box"))?;
    let (mut w, mut h) = (0u32, 0u32);
    let mut i = 0usize;
    while let Some((kind, body, next)) = next_box(ipco, i) {
        if kind == b"ispe"
            && let (Some(bw), Some(bh)) = (be32(body, 4), be32(body, 8))
            && u64::from(bw) * u64::from(bh) > u64::from(w) * u64::from(h)
        {
            (w, h) = (bw, bh);
        }
        i = next;
    }
    if w == 0 {
        return Err(HeaderError("AVIF has no ispe property"));
    }
    Ok(Header::still(w, h))
}

/// Returns (type, body, offset of the next box) of the box at `i`.
fn next_box(b: &[u8], i: usize) -> Option<(&[u8], &[u8], usize)> {
    let size = be32(b, i)? as u64;
    let kind = b.get(i.checked_add(4)?..i.checked_add(8)?)?;
    let (header, size) = match size {
        0 => (8usize, (b.len() - i) as u64),
        1 => {
            let hi = be32(b, i.checked_add(8)?)?;
            let lo = be32(b, i.checked_add(12)?)?;
            (16, u64::from(hi) << 32 | u64::from(lo))
        }
        s => (8, s),
    };
    let size = usize::try_from(size).ok()?;
    if size < header {
        return None;
    }
    let end = i.checked_add(size)?;
    let body = b.get(i.checked_add(header)?..end.min(b.len()))?;
    Some((kind, body, end))
}

fn find_box<'a>(b: &'a [u8], want: &[u8; 4]) -> Option<&'a [u8]> {
    let mut i = 0usize;
    while let Some((kind, body, next)) = next_box(b, i) {
        if kind == want {
            return Some(body);
        }
        i = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_sof_after_app_segments() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xFF, 0xC2, 0, 11, 8];
        b.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 3]);
        let h = probe(ImageFormat::Jpeg, &b).unwrap();
        assert_eq!((h.width, h.height, h.components), (0x5678, 0x1234, 3));
    }

    #[test]
    fn truncated_headers_are_errors() {
        let cases: &[(ImageFormat, &[u8])] = &[
            (ImageFormat::Jpeg, b"\xFF\xD8\xFF"),
            (ImageFormat::Jpeg, b"\xFF\xD8\xFF\xE0\xFF\xFF"),
            (ImageFormat::Png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0"),
            (ImageFormat::Webp, b"RIFF\0\0\0\0WEBPVP8 "),
            (ImageFormat::Gif, b"GIF89a\x01"),
            (ImageFormat::Bmp, b"BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0"),
            (ImageFormat::Tiff, b"II*\0\x08\0\0\0\x01\0"),
            (ImageFormat::Tiff, b"MM\0*\xFF\xFF\xFF\xFF"),
            (ImageFormat::Avif, b"\0\0\0\x18ftypavif\0\0\0\0avif"),
        ];
        for (format, bytes) in cases {
            assert!(probe(*format, bytes).is_err(), "{format} {bytes:?}");
        }
    }

    #[test]
    fn tiff_both_byte_orders() {
        // one IFD with 3 entries: width 300 (SHORT), length 200 (LONG), orientation 6
        let le: Vec<u8> = [
            &b"II*\0\x08\0\0\0\x03\0"[..],
            &[0, 1, 3, 0, 1, 0, 0, 0, 44, 1, 0, 0],
            &[1, 1, 4, 0, 1, 0, 0, 0, 200, 0, 0, 0],
            &[18, 1, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0],
            &[0, 0, 0, 0],
        ]
        .concat();
        let be: Vec<u8> = [
            &b"MM\0*\0\0\0\x08\0\x03"[..],
            &[1, 0, 0, 3, 0, 0, 0, 1, 1, 44, 0, 0],
            &[1, 1, 0, 4, 0, 0, 0, 1, 0, 0, 0, 200],
            &[1, 18, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0],
            &[0, 0, 0, 0],
        ]
        .concat();
        for b in [le, be] {
            let h = probe(ImageFormat::Tiff, &b).unwrap();
            assert_eq!((h.width, h.height, h.tiff_orientation, h.frames), (300, 200, Some(6), 1));
        }
    }

    /// Found by the `decode` fuzz target: a BigTIFF whose IFD offset is
    /// near `u64::MAX` made the offset arithmetic overflow.
    #[test]
    fn bigtiff_with_huge_ifd_offset_is_an_error() {
        let mut b = b"II+\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&[0xFF; 64]);
        assert!(probe(ImageFormat::Tiff, &b).is_err());
        let mut b = b"II+\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&(u64::MAX - 3).to_le_bytes());
        assert!(probe(ImageFormat::Tiff, &b).is_err());
    }

    #[test]
    fn gif_counts_frames() {
        let mut b = b"GIF89a\x02\0\x02\0\x00\0\0".to_vec();
        for _ in 0..3 {
            b.extend_from_slice(&[0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 2, 0x4C, 0x01, 0]);
        }
        b.push(0x3B);
        assert_eq!(probe(ImageFormat::Gif, &b).unwrap().frames, 3);
    }

    #[test]
    fn avif_ispe() {
        let ispe =
            [&[0, 0, 0, 20][..], b"ispe", &[0, 0, 0, 0], &[0, 0, 1, 0], &[0, 0, 0, 200]].concat();
        let ipco = [&(8 + ispe.len() as u32).to_be_bytes()[..], b"ipco", &ispe].concat();
        let iprp = [&(8 + ipco.len() as u32).to_be_bytes()[..], b"iprp", &ipco].concat();
        let meta = [&(12 + iprp.len() as u32).to_be_bytes()[..], b"meta", &[0; 4], &iprp].concat();
        let file = [&b"\0\0\0\x10ftypavif\0\0\0\0"[..], &meta].concat();
        let h = probe(ImageFormat::Avif, &file).unwrap();
        assert_eq!((h.width, h.height), (256, 200));
    }
}
