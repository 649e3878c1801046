//! Photos (a citizen's of a case, a village's billboard): recognised by their content (JPEG, PNG,
//! WebP; never by the file's name) and stripped of what a phone writes
//! beside the picture (EXIF with its GPS position and camera, XMP, IPTC,
//! comments, text chunks) before anything is stored. The stripping works on
//! the container only: the image data is copied byte for byte, so the
//! picture is the one that was sent.

/// A photo format we keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    pub fn from_media_type(t: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::Webp].into_iter().find(|f| f.media_type() == t)
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The format the bytes begin with, whatever the file was called.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else {
        None
    }
}

/// The photo without its metadata, or `None` when the bytes are not a
/// well-formed image of a kept format (a truncated or forged file).
pub fn strip(bytes: &[u8]) -> Option<(Format, Vec<u8>)> {
    let format = sniff(bytes)?;
    let clean = match format {
        Format::Jpeg => strip_jpeg(bytes),
        Format::Png => strip_png(bytes),
        Format::Webp => strip_webp(bytes),
    }?;
    Some((format, clean))
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

/// JPEG segments: APP0 (JFIF), an APP2 ICC profile and APP14 (Adobe's
/// colour transform) are kept, as they change how the picture looks; every
/// other APPn (APP1 Exif and XMP, APP13 IPTC, makers' data) and COM go.
/// From the first SOS on, the scan data is copied as it is.
fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut at = 2;
    loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        // Fill bytes may pad before a marker.
        while b.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = *b.get(at + 1)?;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            }
            0xDA => {
                out.extend_from_slice(&b[at..]);
                return Some(out);
            }
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                at += 2;
            }
            _ => {
                let len = be16(b, at + 2)?;
                let end = at + 2 + len;
                if len < 2 || end > b.len() {
                    return None;
                }
                let body = &b[at + 4..end];
                let keep = match marker {
                    0xE0 | 0xEE => true,
                    0xE2 => body.starts_with(b"ICC_PROFILE\0"),
                    0xE1..=0xEF | 0xFE => false,
                    _ => true,
                };
                if keep {
                    out.extend_from_slice(&b[at..end]);
                }
                at = end;
            }
        }
    }
}

/// PNG chunks: eXIf, the text chunks (tEXt, zTXt, iTXt, where XMP and
/// cameras' notes go) and tIME go; the image chunks are copied.
fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = PNG_SIGNATURE.to_vec();
    let mut at = PNG_SIGNATURE.len();
    let mut first = true;
    loop {
        let len = u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = b.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(len)?;
        if end > b.len() || (first && kind != b"IHDR") {
            return None;
        }
        first = false;
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(&b[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

/// VP8X flag bits that announce the EXIF and XMP chunks.
const VP8X_EXIF: u8 = 0x08;
const VP8X_XMP: u8 = 0x04;

/// WebP (RIFF) chunks: EXIF and "XMP " go and VP8X no longer announces
/// them; the RIFF size is written again for what is left.
fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    let declared = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize;
    let end = 8usize.checked_add(declared)?;
    if end > b.len() {
        return None;
    }
    let mut chunks = Vec::new();
    let mut at = 12;
    while at < end {
        let kind = b.get(at..at + 4)?;
        let len = u32::from_le_bytes(b.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let next = at.checked_add(8)?.checked_add(len)?.checked_add(len % 2)?;
        if at + 8 + len > end {
            return None;
        }
        if !matches!(kind, b"EXIF" | b"XMP ") {
            let mut chunk = b[at..next.min(end)].to_vec();
            if kind == b"VP8X" && len >= 1 {
                chunk[8] &= !(VP8X_EXIF | VP8X_XMP);
            }
            chunks.extend_from_slice(&chunk);
        }
        at = next;
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(4 + chunks.len()).ok()?.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    #[test]
    fn a_jpeg_loses_exif_xmp_iptc_and_comments_and_keeps_its_picture() {
        let jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01data");
        let sof = segment(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
        let scan = [0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0, 0x3F, 0xFF, 0xD9];
        let mut jpeg = vec![0xFF, 0xD8];
        for part in [
            &jfif,
            &segment(0xE1, b"Exif\0\0MM\0*GPS-7.15"),
            &segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
            &icc,
            &segment(0xED, b"Photoshop 3.0\0IPTC"),
            &segment(0xFE, b"Kamera Merek X"),
            &sof,
        ] {
            jpeg.extend_from_slice(part);
        }
        jpeg.extend_from_slice(&scan);
        let (format, clean) = strip(&jpeg).unwrap();
        assert_eq!(format, Format::Jpeg);
        let mut expected = vec![0xFF, 0xD8];
        for part in [&jfif, &icc, &sof] {
            expected.extend_from_slice(part);
        }
        expected.extend_from_slice(&scan);
        assert_eq!(clean, expected);
        // Cut short, or not a JPEG after its first bytes: refused.
        assert!(strip(&jpeg[..40]).is_none());
        assert!(strip(b"\xFF\xD8\xFFnot a jpeg at all").is_none());
    }

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn a_png_loses_its_text_time_and_exif_chunks() {
        let ihdr = chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let mut png = PNG_SIGNATURE.to_vec();
        for c in [&ihdr, &chunk(b"eXIf", b"MM\0*GPS"), &chunk(b"tEXt", b"Author\0Siti"), &chunk(b"tIME", b"1234567"), &idat, &iend] {
            png.extend_from_slice(c);
        }
        let (_, clean) = strip(&png).unwrap();
        let expected: Vec<u8> = [PNG_SIGNATURE.to_vec(), ihdr, idat, iend].concat();
        assert_eq!(clean, expected);
        assert!(strip(&png[..30]).is_none());
    }

    fn riff(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body = chunks.concat();
        [b"RIFF".to_vec(), ((body.len() + 4) as u32).to_le_bytes().to_vec(), b"WEBP".to_vec(), body].concat()
    }

    #[test]
    fn a_webp_loses_exif_and_xmp_and_no_longer_announces_them() {
        let vp8x = |flags: u8| riff(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let image = riff(b"VP8L", b"image");
        let sent = webp(&[vp8x(0x10 | VP8X_EXIF | VP8X_XMP), image.clone(), riff(b"EXIF", b"MM\0*GPS"), riff(b"XMP ", b"<x/>")]);
        let (format, clean) = strip(&sent).unwrap();
        assert_eq!(format, Format::Webp);
        assert_eq!(clean, webp(&[vp8x(0x10), image]));
    }

    #[test]
    fn the_name_does_not_make_a_photo() {
        assert_eq!(sniff(b"%PDF-1.7 pretending to be foto.jpg"), None);
        assert_eq!(sniff(b"GIF89a"), None);
    }
}
