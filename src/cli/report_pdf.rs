//! `calls report --pdf FILE`: the shift report as a PDF for printing and filing.
//!
//! Written with `pdf-writer` (typst's small PDF writer): A4 pages, the report's rows in a
//! table, in Chinese and English. The Chinese needs a font inside the PDF: the CJK font the
//! window already bundles (`assets/fonts/NotoSansCJKsc-Regular-subset.otf`, Noto Sans CJK SC,
//! SIL Open Font License; itself a subset of about 10,000 characters) is embedded as an
//! OpenType/CFF CID font (`FontFile3`), with the widths and a `ToUnicode` map of the characters
//! the report uses, so the text can be searched and copied.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use lamppost_data::calllog::report::ShiftReport;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str};

/// The bundled CJK font's file name in `assets/fonts`.
const FONT_FILE: &str = "NotoSansCJKsc-Regular-subset.otf";
/// A4, in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
const LINE: f32 = 17.0;

/// The bundled font: beside the executable (`assets/fonts`), or in the source tree.
fn font_path() -> PathBuf {
    let beside_exe = std::env::current_exe().ok().and_then(|p| {
        p.parent()
            .map(|d| d.join("assets").join("fonts").join(FONT_FILE))
    });
    match beside_exe {
        Some(p) if p.is_file() => p,
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join("fonts")
            .join(FONT_FILE),
    }
}

/// The glyphs the document uses: character → (CID, width in 1/1000 em).
struct Glyphs<'f> {
    face: ttf_parser::Face<'f>,
    used: BTreeMap<char, (u16, f32)>,
}

impl Glyphs<'_> {
    /// The text as 2-byte CIDs (Identity-H); characters the font lacks are left out.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let Some(&mut (cid, _)) = self.glyph(c) else {
                continue;
            };
            out.extend(cid.to_be_bytes());
        }
        out
    }

    fn glyph(&mut self, c: char) -> Option<&mut (u16, f32)> {
        if !self.used.contains_key(&c) {
            let gid = self.face.glyph_index(c)?;
            // A CID-keyed CFF font selects glyphs by CID, which a subset may number apart
            // from the glyph index.
            let cid = self
                .face
                .tables()
                .cff
                .and_then(|cff| cff.glyph_cid(gid))
                .unwrap_or(gid.0);
            let em = f32::from(self.face.units_per_em());
            let w = f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0)) * 1000.0 / em;
            self.used.insert(c, (cid, w));
        }
        self.used.get_mut(&c)
    }

    /// The width of `text` at `size` points.
    fn width(&mut self, text: &str, size: f32) -> f32 {
        text.chars()
            .filter_map(|c| self.glyph(c).map(|g| g.1))
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// Writes the report as a PDF: `title` (the range) on top, then every row of the report.
pub fn write_report_pdf(report: &ShiftReport, range: &str, made: &str) -> Result<Vec<u8>> {
    let path = font_path();
    let font = std::fs::read(&path).with_context(|| {
        format!(
            "找不到报告所需的中文字体 / the report's Chinese font is missing: {}",
            path.display()
        )
    })?;
    let face = ttf_parser::Face::parse(&font, 0).with_context(|| {
        format!(
            "中文字体文件无法读取 / the Chinese font cannot be read: {}",
            path.display()
        )
    })?;
    let mut glyphs = Glyphs {
        face,
        used: BTreeMap::new(),
    };

    // The lines: (size, indent, left text, right-aligned count).
    let mut lines: Vec<(f32, f32, String, String)> = vec![
        (18.0, 0.0, "接警班次报告 Shift report".into(), String::new()),
        (10.0, 0.0, range.to_owned(), String::new()),
        (10.0, 0.0, made.to_owned(), String::new()),
    ];
    let mut section = "";
    for (s, key, n) in report.rows() {
        if s != section {
            lines.push((12.0, 0.0, String::new(), String::new()));
            lines.push((12.0, 0.0, s.to_owned(), String::new()));
            section = s;
        }
        let key = if key.is_empty() { "-".to_owned() } else { key };
        lines.push((11.0, 18.0, key, n.to_string()));
    }

    let per_page = ((PAGE.1 - 2.0 * MARGIN) / LINE) as usize;
    let pages: Vec<&[(f32, f32, String, String)]> = lines.chunks(per_page.max(1)).collect();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, type0, cid_font, descriptor, font_file, to_unicode) = (
        alloc(),
        alloc(),
        alloc(),
        alloc(),
        alloc(),
        alloc(),
        alloc(),
    );
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    let font_name = Name(b"F1");
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(page_refs.len() as i32);

    for (lines, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let mut content = Content::new();
        let mut y = PAGE.1 - MARGIN;
        for (size, indent, text, count) in *lines {
            y -= LINE;
            if !text.is_empty() {
                content
                    .begin_text()
                    .set_font(font_name, *size)
                    .next_line(MARGIN + indent, y)
                    .show(Str(&glyphs.encode(text)))
                    .end_text();
            }
            if !count.is_empty() {
                let w = glyphs.width(count, *size);
                content
                    .begin_text()
                    .set_font(font_name, *size)
                    .next_line(PAGE.0 - MARGIN - w, y)
                    .show(Str(&glyphs.encode(count)))
                    .end_text();
            }
        }
        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .parent(tree)
            .contents(*content_ref);
        page.resources().fonts().pair(font_name, type0);
        page.finish();
        pdf.stream(*content_ref, &content.finish());
    }

    let base = Name(b"NotoSansCJKsc-Regular");
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    {
        let mut cid = pdf.cid_font(cid_font);
        cid.subtype(CidFontType::Type0)
            .base_font(base)
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(1000.0);
        let mut widths = cid.widths();
        for &(c, w) in glyphs.used.values() {
            widths.consecutive(c, [w]);
        }
    }
    let face = &glyphs.face;
    let em = f32::from(face.units_per_em());
    let scale = |v: i16| f32::from(v) * 1000.0 / em;
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(scale(face.ascender()))
        .descent(scale(face.descender()))
        .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(80.0)
        .font_file3(font_file);
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), info);
    for (&c, &(cid, _)) in &glyphs.used {
        cmap.pair(cid, c);
    }
    pdf.cmap(to_unicode, &cmap.finish());
    pdf.stream(font_file, &font)
        .pair(Name(b"Subtype"), Name(b"OpenType"));
    Ok(pdf.finish())
}
