"""SVG figures read by a real XML parser (Python's xml.etree).

Usage: python3 svg_check.py DIR   checks every *.svg (and *.json) under DIR

Each file must parse, have an <svg> root whose width and height match its
viewBox, draw something (paths, circles or rectangles), give every <text>
a font size and content, and embed only images that are real PNGs (base64
data URIs with PNG's signature and a non-empty IHDR, in a non-empty box). Every
*.json (TENSORGRAD_FIGURE_JSON's figure descriptions) must parse. Exits
77 (ctest: skipped) when DIR holds no SVG, 1 on any problem.
"""
import base64
import glob
import json
import os
import struct
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def check_image(element, where):
    href = element.get(XLINK) or element.get("href") or ""
    prefix = "data:image/png;base64,"
    if not href.startswith(prefix):
        return [f"{where}: <image> is not an embedded PNG"]
    png = base64.b64decode(href[len(prefix):], validate=True)
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        return [f"{where}: <image> data is not a PNG"]
    width, height = struct.unpack(">II", png[16:24])
    box = float(element.get("width")), float(element.get("height"))
    if not (width > 0 and height > 0 and box[0] > 0 and box[1] > 0):
        return [f"{where}: <image> {box[0]}x{box[1]} holds a {width}x{height} PNG"]
    return []


def check_svg(path):
    """The problems found in one file (empty: fine)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return [f"{path}: not XML: {e}"]
    if root.tag != SVG + "svg":
        return [f"{path}: root is {root.tag}, not <svg>"]
    problems = []
    w, h = root.get("width"), root.get("height")
    if root.get("viewBox") != f"0 0 {w} {h}":
        problems.append(f"{path}: viewBox {root.get('viewBox')} for {w}x{h}")
    shapes = sum(1 for e in root.iter() if e.tag in (SVG + "path", SVG + "circle", SVG + "rect"))
    if shapes < 2:  # the background and at least one mark
        problems.append(f"{path}: draws nothing")
    for i, text in enumerate(root.iter(SVG + "text")):
        if not (text.get("font-size") or "").isdigit() or not (text.text or "").strip():
            problems.append(f"{path}: <text> #{i} lacks a font size or content")
    for i, image in enumerate(root.iter(SVG + "image")):
        problems += check_image(image, f"{path} image #{i}")
    return problems


def texts(path):
    """The content of every <text> of the file."""
    return [t.text for t in ET.parse(path).getroot().iter(SVG + "text")]


def main(directory):
    paths = sorted(glob.glob(os.path.join(directory, "**", "*.svg"), recursive=True))
    if not paths:
        print(f"svg_check skipped: no SVG under {directory}")
        return 77
    problems = [p for path in paths for p in check_svg(path)]
    for path in sorted(glob.glob(os.path.join(directory, "**", "*.json"), recursive=True)):
        try:
            json.load(open(path))
        except ValueError as e:
            problems.append(f"{path}: not JSON: {e}")
    for p in problems:
        print("FAIL", p)
    print(f"{len(paths)} SVG files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
