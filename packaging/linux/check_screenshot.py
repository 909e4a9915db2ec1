"""Does a screenshot of the main window show coloured territory regions on the map? (package-test's check)

The map takes the window's left part; the territories' translucent fills and their dots are strongly saturated,
the OpenStreetMap basemap under them is pale (its land below 0.2 saturation). Exit status 0 when enough of the
map is strongly coloured and in several distinct hues (one per territory), else 1.
Usage: python check_screenshot.py SHOT.png
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QGuiApplication, QImage

MIN_COLOURED_SHARE = 0.12  # of the map's pixels (the demo: about 0.2; its dots alone: far less)
MIN_HUES = 6  # distinct 30-degree hue buckets among the coloured pixels, each at least 1 % of them


def coloured(path: str) -> tuple[float, int]:
    image = QImage(path)
    if image.isNull():
        raise SystemExit(f"cannot read {path}")
    width, height = image.width(), image.height()
    map_right = int(width * 0.55)
    hues: dict[int, int] = {}
    total = strong = 0
    for y in range(60, height - 60, 4):
        for x in range(0, map_right, 4):
            total += 1
            c = QColor(image.pixel(x, y))
            if c.hsvSaturationF() > 0.2 and c.valueF() > 0.3:
                strong += 1
                bucket = int(c.hsvHueF() * 12) % 12 if c.hsvHueF() >= 0 else -1
                hues[bucket] = hues.get(bucket, 0) + 1
    distinct = sum(1 for n in hues.values() if n >= 0.01 * max(strong, 1))
    return strong / max(total, 1), distinct


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841
    share, distinct = coloured(sys.argv[1])
    ok = share >= MIN_COLOURED_SHARE and distinct >= MIN_HUES
    print(f"screenshot: {share:.0%} of the map strongly coloured, {distinct} hues: "
          f"{'territory regions shown' if ok else 'NO territory regions'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
