"""Build the document fonts once: the Simplified Chinese face of Noto Serif CJK (regular and
bold), subset to GB 2312 plus Latin and punctuation, with TrueType outlines, as standalone font files under
odr/static/fonts/.

Why: WeasyPrint otherwise copies each 26 MB collection face out of the system .ttc and
subsets it for every PDF; a 5 MB single face makes each document about 1.6× faster and
its file about 2.7× smaller (docs/benchmarks.md). Characters outside GB 2312 (rare names)
still render: the templates fall back to the system "Noto Serif CJK SC".
The files are build output (gitignored); scripts/setup.sh runs this when they are missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-{weight}.ttc")
TARGET = Path(__file__).resolve().parent.parent / "odr/static/fonts"
SC_INDEX = 2  # JP, KR, SC, TC, HK


def _characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for start, end in ((0x2000, 0x2070), (0x2460, 0x2500), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars |= set(range(start, end))
    return chars


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by TrueType (quadratic) ones, in place.

    Why: WeasyPrint subsets the embedded font again for every PDF with HarfBuzz, and a
    CFF face makes it parse and desubroutinize charstrings each time; glyf outlines are
    copied as they are. Measured on the settlement agreement: PDF writing about 25 ms
    faster per document and the file 25 % smaller (docs/benchmarks.md). Curves are
    converted within 1 unit of the 1000-unit em, invisible at any print size.
    """
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
                 "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\x00\x01\x00\x00"


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    chars = _characters()
    for weight in ("Regular", "Bold"):
        out = TARGET / f"OdrSerifSC-{weight}.ttf"
        source = Path(str(SOURCE).format(weight=weight))
        if out.exists() or not source.exists():
            continue
        font = TTCollection(str(source)).fonts[SC_INDEX]
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        _to_truetype(font)
        tmp = out.with_suffix(".tmp")
        font.save(str(tmp))
        tmp.replace(out)
        print(f"built {out.name} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
