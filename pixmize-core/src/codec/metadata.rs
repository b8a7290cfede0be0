//! Metadata found in an input (EXIF, XMP, ICC profile, comments): read from
//! the container, kept as raw bytes, and written back into JPEG, PNG and WebP
//! outputs only when asked.

use std::fmt;

use super::ImageFormat;
use super::header::Tiff;

/// Raw metadata blocks found in an input image, ready to be written back.
///
/// Nothing is interpreted except the EXIF orientation. Which blocks each
/// format yields:
///
/// | input | EXIF | XMP | ICC | comments |
/// |---|---|---|---|---|
/// | JPEG | `APP1 Exif` | `APP1` XMP packet | `APP2 ICC_PROFILE` (chunks joined) | `COM` segments |
/// | PNG | `eXIf` | `iTXt XML:com.adobe.xmp` | `iCCP` (inflated) | `tEXt`/`zTXt`/`iTXt` `Comment` |
/// | WebP | `EXIF` | `XMP ` | `ICCP` | — |
/// | TIFF | — (the TIFF tags are the file itself) | tag 700 | tag 34675 | — |
/// | GIF | — | — | — | comment extensions |
/// | BMP, AVIF | — | — | — | — |
///
/// `Debug` prints only the sizes, never the contents: EXIF may hold a GPS
/// position, which is personal data and must not end up in logs.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metadata {
    /// The EXIF block as a TIFF structure (starting with `II*\0` or `MM\0*`,
    /// without the JPEG `Exif\0\0` prefix).
    pub exif: Option<Vec<u8>>,
    /// The XMP packet (XML, UTF-8).
    pub xmp: Option<Vec<u8>>,
    /// The ICC colour profile.
    pub icc: Option<Vec<u8>>,
    /// Free-text comments (JPEG `COM`, PNG `Comment` text chunks, GIF comments).
    pub comments: Vec<String>,
}

impl Metadata {
    /// Whether no block was found.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exif.is_none() && self.xmp.is_none() && self.icc.is_none() && self.comments.is_empty()
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |b: &Option<Vec<u8>>| b.as_ref().map(|v| format!("{} bytes", v.len()));
        f.debug_struct("Metadata")
            .field("exif", &len(&self.exif))
            .field("xmp", &len(&self.xmp))
            .field("icc", &len(&self.icc))
            .field("comments", &self.comments.len())
            .finish()
    }
}

const JPEG_EXIF: &[u8] = b"Exif\0\0";
const JPEG_XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const JPEG_ICC: &[u8] = b"ICC_PROFILE\0";
#[cfg(feature = "png")]
pub(crate) const PNG_XMP_KEYWORD: &str = "XML:com.adobe.xmp";

/// Upper bound on metadata kept from one input, so a file made of huge
/// comment segments cannot make us allocate much more than its own size.
const MAX_BLOCK: usize = 16 << 20;

/// Reads the metadata blocks of `bytes` (already detected as `format`).
/// Malformed metadata is skipped, never an error: the pixels decide whether
/// a file is readable.
pub(crate) fn read(format: ImageFormat, bytes: &[u8]) -> Metadata {
    match format {
        ImageFormat::Jpeg => read_jpeg(bytes),
        #[cfg(feature = "png")]
        ImageFormat::Png => read_png(bytes),
        ImageFormat::Webp => read_webp(bytes),
        ImageFormat::Gif => read_gif(bytes),
        ImageFormat::Tiff => read_tiff(bytes),
        _ => Metadata::default(),
    }
}

/// Reads only what the orientation needs: the EXIF block (cheaper than
/// [`read`] for PNG, whose text chunks are skipped). TIFF has none: its
/// orientation is a tag of IFD0, which the header probe reads.
pub(crate) fn read_exif_only(format: ImageFormat, bytes: &[u8]) -> Metadata {
    match format {
        ImageFormat::Tiff => Metadata::default(),
        ImageFormat::Jpeg => Metadata {
            exif: jpeg_segments(bytes)
                .find(|(m, p)| *m == 0xE1 && p.starts_with(JPEG_EXIF))
                .map(|(_, p)| p[JPEG_EXIF.len()..].to_vec()),
            ..Metadata::default()
        },
        _ => read(format, bytes),
    }
}

/// Iterates over JPEG marker segments before the first scan, yielding
/// (marker, payload).
fn jpeg_segments(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut i = 2usize;
    std::iter::from_fn(move || {
        loop {
            while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
                i += 1;
            }
            if b.get(i) != Some(&0xFF) {
                return None;
            }
            let marker = *b.get(i + 1)?;
            i += 2;
            if matches!(marker, 0x01 | 0xD0..=0xD7) {
                continue;
            }
            if matches!(marker, 0xD9 | 0xDA) {
                return None;
            }
            let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
            let payload = b.get(i + 2..i + len.max(2))?;
            i += len.max(2);
            return Some((marker, payload));
        }
    })
}

fn read_jpeg(b: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    for (marker, payload) in jpeg_segments(b) {
        match marker {
            0xE1 if payload.starts_with(JPEG_EXIF) && m.exif.is_none() => {
                m.exif = Some(payload[JPEG_EXIF.len()..].to_vec());
            }
            0xE1 if payload.starts_with(JPEG_XMP) && m.xmp.is_none() => {
                m.xmp = Some(payload[JPEG_XMP.len()..].to_vec());
            }
            0xE2 if payload.starts_with(JPEG_ICC) && payload.len() > JPEG_ICC.len() + 2 => {
                icc_chunks.push((payload[JPEG_ICC.len()], &payload[JPEG_ICC.len() + 2..]));
            }
            0xFE if m.comments.len() < 64 => {
                m.comments.push(String::from_utf8_lossy(payload).into_owned());
            }
            _ => {}
        }
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        let icc: Vec<u8> = icc_chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        m.icc = Some(icc);
    }
    m
}

#[cfg(feature = "png")]
fn read_png(b: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    let mut decoder =
        png::Decoder::new_with_limits(std::io::Cursor::new(b), png::Limits { bytes: MAX_BLOCK });
    decoder.ignore_checksums(true);
    let Ok(reader) = decoder.read_info() else { return m };
    let info = reader.info();
    m.exif = info.exif_metadata.as_ref().map(|c| c.to_vec());
    m.icc = info.icc_profile.as_ref().map(|c| c.to_vec());
    for t in &info.utf8_text {
        if t.keyword == PNG_XMP_KEYWORD {
            if let Ok(text) = t.get_text() {
                m.xmp = Some(text.into_bytes());
            }
        } else if t.keyword == "Comment"
            && let Ok(text) = t.get_text()
        {
            m.comments.push(text);
        }
    }
    for t in &info.uncompressed_latin1_text {
        if t.keyword == "Comment" {
            m.comments.push(t.text.clone());
        }
    }
    for t in &info.compressed_latin1_text {
        if t.keyword == "Comment"
            && let Ok(text) = t.get_text()
        {
            m.comments.push(text);
        }
    }
    m
}

/// TIFF and BigTIFF: the XMP (tag 700) and ICC profile (tag 34675) entries
/// of IFD0, byte arrays stored inline or at an offset.
fn read_tiff(b: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    let t = Tiff::new(b);
    let Some(ifd) = t.first_ifd().and_then(|v| usize::try_from(v).ok()) else { return m };
    let Some(n) = t.entry_count(ifd) else { return m };
    for i in 0..usize::try_from(n).unwrap_or(0).min(4096) {
        let Some(e) = t.entry(ifd, i) else { break };
        let slot = match e.tag {
            700 => &mut m.xmp,
            34675 => &mut m.icc,
            _ => continue,
        };
        if let Some(block) = t.bytes(&e).filter(|v| !v.is_empty() && v.len() <= MAX_BLOCK) {
            *slot = Some(block.to_vec());
        }
    }
    m
}

/// Iterates over the chunks of a RIFF/WebP file, yielding (id, payload).
fn riff_chunks(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut i = 12usize;
    std::iter::from_fn(move || {
        let id: [u8; 4] = b.get(i..i.checked_add(4)?)?.try_into().ok()?;
        let start = i.checked_add(8)?;
        let len = u32::from_le_bytes(b.get(i + 4..start)?.try_into().ok()?) as usize;
        let payload = b.get(start..start.checked_add(len)?)?;
        i = start.checked_add(len)?.checked_add(len & 1)?;
        Some((id, payload))
    })
}

fn read_webp(b: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    for (id, payload) in riff_chunks(b) {
        match &id {
            b"EXIF" => {
                let raw = payload.strip_prefix(JPEG_EXIF).unwrap_or(payload);
                m.exif = Some(raw.to_vec());
            }
            b"XMP " => m.xmp = Some(payload.to_vec()),
            b"ICCP" => m.icc = Some(payload.to_vec()),
            _ => {}
        }
    }
    m
}

fn read_gif(b: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    let Some(&packed) = b.get(10) else { return m };
    let mut i = 13usize;
    if packed & 0x80 != 0 {
        i += 3 << ((packed & 7) + 1);
    }
    // walk blocks until the first image descriptor; comments before it are kept
    while let Some(&0x21) = b.get(i) {
        let label = b.get(i + 1).copied();
        i += 2;
        let mut text = Vec::new();
        while let Some(&n) = b.get(i) {
            i += 1;
            if n == 0 {
                break;
            }
            let Some(block) = b.get(i..i + usize::from(n)) else { return m };
            if label == Some(0xFE) && text.len() < MAX_BLOCK {
                text.extend_from_slice(block);
            }
            i += usize::from(n);
        }
        if label == Some(0xFE) {
            m.comments.push(String::from_utf8_lossy(&text).into_owned());
        }
    }
    m
}

/// What to write into an output.
pub(crate) struct Selection<'a> {
    pub(crate) exif: Option<&'a [u8]>,
    pub(crate) xmp: Option<&'a [u8]>,
    pub(crate) icc: Option<&'a [u8]>,
    pub(crate) comments: &'a [String],
}

impl Selection<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.exif.is_none() && self.xmp.is_none() && self.icc.is_none() && self.comments.is_empty()
    }
}

/// Inserts APP1 (EXIF, XMP), APP2 (ICC) and COM segments right after SOI
/// and any JFIF APP0 of an encoder's output. Blocks that do not fit a
/// segment (64 KiB) are dropped, except ICC, which is split into chunks as
/// ICC.1:2010 Annex B.4 describes.
#[cfg(feature = "jpeg")]
pub(crate) fn write_jpeg(encoded: &[u8], sel: &Selection<'_>) -> Vec<u8> {
    if sel.is_empty() || encoded.len() < 2 {
        return encoded.to_vec();
    }
    // position after SOI and a leading APP0
    let mut at = 2;
    if encoded.get(2..4) == Some(&[0xFF, 0xE0])
        && let Some(l) = encoded.get(4..6)
    {
        at = 4 + usize::from(u16::from_be_bytes([l[0], l[1]]));
    }
    let at = at.min(encoded.len());
    let mut out = Vec::with_capacity(encoded.len() + 1024);
    out.extend_from_slice(&encoded[..at]);
    let mut segment = |marker: u8, parts: &[&[u8]]| {
        let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
        if let Ok(len) = u16::try_from(len) {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&len.to_be_bytes());
            for p in parts {
                out.extend_from_slice(p);
            }
        }
    };
    if let Some(exif) = sel.exif {
        segment(0xE1, &[JPEG_EXIF, exif]);
    }
    if let Some(xmp) = sel.xmp {
        segment(0xE1, &[JPEG_XMP, xmp]);
    }
    if let Some(icc) = sel.icc {
        const CHUNK: usize = 65_519 - 14;
        let chunks: Vec<&[u8]> = icc.chunks(CHUNK).collect();
        if let Ok(count) = u8::try_from(chunks.len()) {
            for (seq, chunk) in chunks.iter().enumerate() {
                let seq = u8::try_from(seq + 1).unwrap_or(u8::MAX);
                segment(0xE2, &[JPEG_ICC, &[seq, count], chunk]);
            }
        }
    }
    for c in sel.comments {
        segment(0xFE, &[c.as_bytes()]);
    }
    out.extend_from_slice(&encoded[at..]);
    out
}

/// Rebuilds a WebP file with a `VP8X` header and `ICCP`, `EXIF` and `XMP `
/// chunks in the order the WebP container spec requires (VP8X, ICCP,
/// image data, EXIF, XMP). `has_alpha` sets the VP8X alpha flag.
#[cfg(feature = "webp")]
pub(crate) fn write_webp(
    encoded: &[u8],
    sel: &Selection<'_>,
    width: u32,
    height: u32,
    has_alpha: bool,
) -> Vec<u8> {
    if sel.exif.is_none() && sel.xmp.is_none() && sel.icc.is_none() {
        return encoded.to_vec();
    }
    let mut image_chunks = Vec::new();
    let mut flags = 0u8;
    for (id, payload) in riff_chunks(encoded) {
        match &id {
            b"VP8X" => flags |= payload.first().copied().unwrap_or(0) & 0x12,
            b"ICCP" | b"EXIF" | b"XMP " => {}
            _ => image_chunks.push((id, payload)),
        }
    }
    if has_alpha {
        flags |= 0x10;
    }
    if sel.icc.is_some() {
        flags |= 0x20;
    }
    if sel.exif.is_some() {
        flags |= 0x08;
    }
    if sel.xmp.is_some() {
        flags |= 0x04;
    }
    let mut body = Vec::with_capacity(encoded.len() + 1024);
    body.extend_from_slice(b"WEBP");
    let mut chunk = |id: &[u8; 4], payload: &[u8]| {
        body.extend_from_slice(id);
        body.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(u32::MAX).to_le_bytes());
        body.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            body.push(0);
        }
    };
    let mut vp8x = [0u8; 10];
    vp8x[0] = flags;
    vp8x[4..7].copy_from_slice(&(width.saturating_sub(1)).to_le_bytes()[..3]);
    vp8x[7..10].copy_from_slice(&(height.saturating_sub(1)).to_le_bytes()[..3]);
    chunk(b"VP8X", &vp8x);
    if let Some(icc) = sel.icc {
        chunk(b"ICCP", icc);
    }
    for (id, payload) in &image_chunks {
        chunk(id, payload);
    }
    if let Some(exif) = sel.exif {
        chunk(b"EXIF", exif);
    }
    if let Some(xmp) = sel.xmp {
        chunk(b"XMP ", xmp);
    }
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian classic TIFF whose IFD0 holds an inline 4-byte XMP
    /// and an ICC profile stored at an offset; and the same in BigTIFF.
    #[test]
    fn tiff_xmp_and_icc_are_read_from_ifd0() {
        let icc: Vec<u8> = (0..40u8).collect();
        let mut classic = b"II*\0".to_vec();
        classic.extend(8u32.to_le_bytes());
        classic.extend(2u16.to_le_bytes());
        classic.extend([0xBC, 0x02, 1, 0]); // tag 700, BYTE
        classic.extend(4u32.to_le_bytes());
        classic.extend(b"<x/>");
        classic.extend([0x73, 0x87, 7, 0]); // tag 34675, UNDEFINED
        classic.extend(40u32.to_le_bytes());
        classic.extend(38u32.to_le_bytes()); // 8 + 2 + 24 + 4 (next IFD)
        classic.extend(0u32.to_le_bytes());
        classic.extend(&icc);
        let m = read(ImageFormat::Tiff, &classic);
        assert_eq!(m.xmp.as_deref(), Some(&b"<x/>"[..]));
        assert_eq!(m.icc.as_deref(), Some(&icc[..]));

        let mut big = b"MM\0\x2B\0\x08\0\0".to_vec();
        big.extend(16u64.to_be_bytes());
        big.extend(1u64.to_be_bytes());
        big.extend([0x87, 0x73, 0, 7]);
        big.extend(40u64.to_be_bytes());
        big.extend(52u64.to_be_bytes()); // 16 + 8 + 20 + 8 (next IFD)
        big.extend(0u64.to_be_bytes());
        big.extend(&icc);
        let m = read(ImageFormat::Tiff, &big);
        assert_eq!(m.icc.as_deref(), Some(&icc[..]));
        assert!(m.xmp.is_none());

        // An offset past the end, or a truncated IFD, yields nothing.
        let cut = &classic[..30];
        assert!(read(ImageFormat::Tiff, cut).icc.is_none());
        assert!(read(ImageFormat::Tiff, b"II*\0\xff\xff\xff\xff").is_empty());
    }

    #[test]
    fn debug_hides_contents() {
        let m = Metadata {
            exif: Some(b"GPS 48.85N".to_vec()),
            comments: vec!["secret".into()],
            ..Default::default()
        };
        let s = format!("{m:?}");
        assert!(!s.contains("GPS") && !s.contains("secret"), "{s}");
        assert!(s.contains("10 bytes"), "{s}");
    }

    #[test]
    #[cfg(feature = "jpeg")]
    fn jpeg_roundtrip_of_blocks() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xD9];
        let icc = vec![7u8; 70_000]; // two APP2 chunks
        let comments = vec!["hello".to_string()];
        let sel = Selection {
            exif: Some(b"II*\0rest"),
            xmp: Some(b"<x/>"),
            icc: Some(&icc),
            comments: &comments,
        };
        let out = write_jpeg(&jpeg, &sel);
        let m = read_jpeg(&out);
        assert_eq!(m.exif.as_deref(), Some(&b"II*\0rest"[..]));
        assert_eq!(m.xmp.as_deref(), Some(&b"<x/>"[..]));
        assert_eq!(m.icc.as_deref(), Some(&icc[..]));
        assert_eq!(m.comments, comments);
        assert_eq!(&out[..8], &jpeg[..8], "SOI and APP0 stay first");
    }
}
