#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus/ (small files made here, never copied images).

  png/        PNGs of every colour type and bit depth, interlaced, palette + tRNS, with text, time,
              gamma, iCCP, sPLT and private chunks: written here with zlib, byte by byte
  jpeg/       JPEGs from libjpeg's encoder (Fuzz/c/make_jpeg_seeds.c, built with clang)
  labelfile/  CSV (comma, semicolon, tab), EcoTaxa TSV with its [t]/[f] type row, odd quoting
  toml/       the built-in themes' shape and config.toml settings

Regression seeds (minimized inputs of real findings) live beside them, named after what is wrong with
them; this script leaves those alone. Usage: python3 Fuzz/make_seeds.py
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def write(folder, name, data):
    path = os.path.join(CORPUS, folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


# MARK: PNG

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, color_type, bit_depth, rows, extra=b"", after_plte=b"", plte=None, interlace=0, idat_split=0):
    """rows: the filtered scanline bytes (each starting with its filter byte), all passes in order."""
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))
    out += extra
    if plte is not None:
        out += chunk(b"PLTE", plte)
    out += after_plte
    data = zlib.compress(rows, 9)
    if idat_split:
        for i in range(0, len(data), idat_split):
            out += chunk(b"IDAT", data[i:i + idat_split])
    else:
        out += chunk(b"IDAT", data)
    return out + chunk(b"IEND", b"")


def samples_per_pixel(color_type):
    return {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]


def scanlines(width, height, color_type, bit_depth, filters=(0,)):
    spp = samples_per_pixel(color_type)
    maxv = (1 << bit_depth) - 1
    if color_type == 3:
        maxv = min(maxv, 3)
    rows = b""
    for y in range(height):
        bits = []
        for x in range(width):
            for s in range(spp):
                bits.append(((x * 3 + y * 5 + s * 7) ^ (x >> 1)) % (maxv + 1))
        if bit_depth == 16:
            raw = b"".join(struct.pack(">H", v * 257 % 65536) for v in bits)
        elif bit_depth == 8:
            raw = bytes(bits)
        else:
            acc, n, raw = 0, 0, bytearray()
            for v in bits:
                acc = (acc << bit_depth) | v
                n += bit_depth
                if n == 8:
                    raw.append(acc)
                    acc, n = 0, 0
            if n:
                raw.append(acc << (8 - n))
            raw = bytes(raw)
        f = filters[y % len(filters)]
        # Filter "sub" with the byte distance of one pixel (1 for sub-byte depths).
        if f == 1:
            bpp = max(1, spp * bit_depth // 8)
            raw = bytes((raw[i] - (raw[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(raw)))
        rows += bytes([f]) + raw
    return rows


def adam7_scanlines(width, height, color_type, bit_depth):
    rows = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        w = len(range(x0, width, dx))
        h = len(range(y0, height, dy))
        if w and h:
            rows += scanlines(w, h, color_type, bit_depth)
    return rows


def make_png_seeds():
    for ct, depths in [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (4, [8]), (6, [8, 16])]:
        for bd in depths:
            write("png", f"ct{ct}-{bd}bit-9x7.png", png(9, 7, ct, bd, scanlines(9, 7, ct, bd, filters=(0, 1))))
    palette = bytes([0, 0, 0, 255, 0, 0, 10, 200, 30, 255, 255, 255])
    write("png", "palette-2bit-10x6.png", png(10, 6, 3, 2, scanlines(10, 6, 3, 2), plte=palette))
    write("png", "palette-trns-8bit-6x4.png",
          png(6, 4, 3, 8, scanlines(6, 4, 3, 8), plte=palette, after_plte=chunk(b"tRNS", bytes([0, 128]))))
    write("png", "gray-trns-8bit-5x5.png",
          png(5, 5, 0, 8, scanlines(5, 5, 0, 8), extra=chunk(b"tRNS", struct.pack(">H", 3))))
    write("png", "rgb-trns-8bit-5x5.png",
          png(5, 5, 2, 8, scanlines(5, 5, 2, 8), extra=chunk(b"tRNS", struct.pack(">HHH", 1, 2, 3))))
    write("png", "adam7-rgb-8bit-11x9.png", png(11, 9, 2, 8, adam7_scanlines(11, 9, 2, 8), interlace=1))
    write("png", "adam7-gray-1bit-13x5.png", png(13, 5, 0, 1, adam7_scanlines(13, 5, 0, 1), interlace=1))
    write("png", "split-idat-gray-8bit-16x16.png", png(16, 16, 0, 8, scanlines(16, 16, 0, 8), idat_split=17))
    text = (chunk(b"tEXt", b"Comment\x00ZooScan frame 12")
            + chunk(b"zTXt", b"Description\x00\x00" + zlib.compress(b"compressed text " * 8))
            + chunk(b"iTXt", b"Title\x00\x00\x00en\x00Titel\x00\xc3\xbcbersetzt")
            + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b"<x:xmpmeta/>"))
            + chunk(b"tIME", struct.pack(">HBBBBB", 2024, 6, 1, 12, 30, 0))
            + chunk(b"gAMA", struct.pack(">I", 45455))
            + chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
            + chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))
            + chunk(b"sBIT", bytes([5]))
            + chunk(b"prVt", b"instrument-specific"))
    write("png", "metadata-chunks-gray-8bit-4x4.png", png(4, 4, 0, 8, scanlines(4, 4, 0, 8), extra=text))
    icc = b"\x00" * 128 + struct.pack(">I", 0)  # a 132-byte profile header, no tags: libpng checks it
    write("png", "iccp-srgb-rgb-8bit-3x3.png",
          png(3, 3, 2, 8, scanlines(3, 3, 2, 8),
              extra=chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(icc)) + chunk(b"sRGB", b"\x00")))
    splt = b"pal\x00\x08" + bytes([1, 2, 3, 4, 0, 1]) * 3
    write("png", "splt-bkgd-hist-palette-4x4.png",
          png(4, 4, 3, 8, scanlines(4, 4, 3, 8), plte=palette,
              after_plte=chunk(b"bKGD", b"\x01") + chunk(b"hIST", struct.pack(">4H", 1, 2, 3, 4)) + chunk(b"sPLT", splt)))
    write("png", "offs-pcal-scal-gray-8bit-2x2.png",
          png(2, 2, 0, 8, scanlines(2, 2, 0, 8),
              extra=chunk(b"oFFs", struct.pack(">iiB", 1, 2, 0)) + chunk(b"sCAL", b"\x011.5\x002.5")
              + chunk(b"pCAL", b"depth\x00" + struct.pack(">iiBB", 0, 100, 0, 1) + b"m\x000")))


# MARK: JPEG

def make_jpeg_seeds():
    folder = os.path.join(CORPUS, "jpeg")
    os.makedirs(folder, exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libjpeg"], check=True, capture_output=True,
                           text=True).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        tool = os.path.join(tmp, "make_jpeg_seeds")
        subprocess.run(["clang", "-O1", os.path.join(HERE, "c", "make_jpeg_seeds.c"), "-o", tool] + flags, check=True)
        subprocess.run([tool, folder], check=True)


# MARK: Label files

def make_labelfile_seeds():
    write("labelfile", "plain.csv", "path,label\nimg/a.png,copepod\nimg/b.jpg,diatom\n")
    write("labelfile", "full-columns.csv",
          "file,class,status,annotator,time,confidence,sample,depth\n"
          "a.png,copepod,validated,ana,2024-06-01T12:30:00Z,0.9,S1,10\n"
          "b.png,detritus,P,,2024-06-01 12:31:00,0.25,S1,12.5\n"
          "c.png,,dubious,bo,2024-06-01,,S2,\n")
    write("labelfile", "semicolon.csv", "image;taxon;status\nx/1.png;Calanus;V\nx/2.png;\"Oithona; sp.\";D\n")
    write("labelfile", "tab.tsv", "img\tspecies\n1.png\tAcartia\n2.png\t\n")
    write("labelfile", "bom-crlf.csv", "\ufeffpath,label\r\na.png,\"quoted, with comma\"\r\nb.png,\"say \"\"hi\"\"\"\r\n")
    write("labelfile", "no-known-path-column.csv", "name,label\nfoo.jpeg,bar\n")
    write("labelfile", "ecotaxa.tsv",
          "img_file_name\tobject_id\tobject_annotation_category\tobject_annotation_status\t"
          "object_annotation_person_name\tobject_annotation_date\tobject_annotation_time\tobject_depth_min\n"
          "[t]\t[t]\t[t]\t[t]\t[t]\t[t]\t[t]\t[f]\n"
          "a.jpg\to1\tCopepoda\tvalidated\tana\t20240601\t123000\t5.5\n"
          "b.jpg\to2\tdetritus\tpredicted\t\t20240602\t0930\t7\n"
          "c.jpg\to3\tCalanus<Calanidae\t\t\t\t\t\n")
    write("labelfile", "ecotaxa-probability.tsv",
          "img_file_name\tobject_annotation_category\tobject_annotation_probability\n"
          "[t]\t[t]\t[f]\nq.png\tdiatom\t0.75\n")


# MARK: TOML

def make_toml_seeds():
    for name in ["dark", "mono"]:
        with open(os.path.join(ROOT, "Sources/plankterm/Resources/themes", name + ".toml")) as f:
            write("toml", f"theme-{name}.toml", f.read())
    write("toml", "theme-partial.toml", 'name = "partial"\n[colors]\naccent = "#ff8800"\n[ansi16]\naccent = 3\n')
    write("toml", "config-all.toml",
          'theme = "light"\ncolor = "256"\nannotator = "ana"\nblitter = "quadrant"\n'
          'train_every = 50\ntrain_idle = 120\ntrain_head = "mlp"\njobs = false\n')
    write("toml", "config-minimal.toml", 'theme = "high-contrast"\n')
    write("toml", "toml-syntax.toml",
          '# every kind of TOML value\nstr = "a\\tb\\u00e9"\nlit = \'c:\\\\x\'\nml = """\nline\n"""\n'
          'int = 0x7f\nflt = 1e-3\ninf = inf\nbool = true\ndate = 1979-05-27T07:32:00-08:00\n'
          'arr = [1, [2, 3], "x"]\ninline = { a = 1, b.c = 2 }\n[[aot]]\nk = 1\n[[aot]]\nk = 2\n'
          '[a."quoted key".b]\nx = 1\n')


if __name__ == "__main__":
    make_png_seeds()
    make_jpeg_seeds()
    make_labelfile_seeds()
    make_toml_seeds()
    for folder in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, folder))
        size = sum(os.path.getsize(os.path.join(CORPUS, folder, f)) for f in files)
        print(f"{folder}: {len(files)} files, {size} bytes", file=sys.stderr)
