"""Render packaging/icons/desktop-planner.svg to the PNG sizes of the freedesktop icon theme, a Windows .ico and
a macOS .icns, with Qt (QSvgRenderer; the .ico and .icns through Qt's image format plugins).

    python packaging/icons/render_icons.py OUT_FOLDER [--ico] [--icns]

Writes OUT_FOLDER/hicolor/<n>x<n>/apps/desktop-planner.png for every size, and the .ico/.icns beside the SVG.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

HERE = Path(__file__).resolve().parent
SVG = HERE / "desktop-planner.svg"
NAME = "desktop-planner"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--ico", action="store_true", help=f"also write {NAME}.ico (Windows) beside the SVG")
    parser.add_argument("--icns", action="store_true", help=f"also write {NAME}.icns (macOS) beside the SVG")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QImage/QPainter need it)
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        target = args.out / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(target), "PNG"):
            print(f"cannot write {target}", file=sys.stderr)
            return 1
    scalable = args.out / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    for wanted, fmt, size in ((args.ico, "ICO", 256), (args.icns, "ICNS", 512)):
        if wanted and not render(renderer, size).save(str(HERE / f"{NAME}.{fmt.lower()}"), fmt):
            print(f"Qt could not write the {fmt} file (its image format plugin is missing)", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
