#!/usr/bin/env bash
# `make package`: build the one-folder bundle with PyInstaller and wrap it, with its desktop integration, as
# dist/desktop-planner-<version>-linux-<arch>.tar.gz.   Usage: packaging/linux/build.sh PYTHON
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${1:-python3}
cd "$ROOT"
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -n1)
ARCH=$(uname -m)
ID=org.desktop_planner.DesktopPlanner
NAME=desktop-planner-$VERSION
APP=dist/$NAME
TARBALL=dist/$NAME-linux-$ARCH.tar.gz
start=$(date +%s)
# PyInstaller runs ldd with its input from /dev/null; if something running as root ever renamed a file over it (an
# export once did), the build would fail deep inside PyInstaller: say so plainly instead.
if [ ! -c /dev/null ]; then
  echo "/dev/null is not the null device on this machine (something replaced it with a file); as root restore it:" >&2
  echo "  rm -f /dev/null && mknod -m 666 /dev/null c 1 3" >&2
  exit 1
fi

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/desktop_planner.spec

# Desktop integration beside the program: share/ in the usual layout, and install.sh that puts it under ~/.local.
mkdir -p "$APP/share/applications" "$APP/share/mime/packages" "$APP/share/metainfo"
cp packaging/linux/$ID.desktop "$APP/share/applications/"
cp packaging/linux/desktop-planner-mime.xml "$APP/share/mime/packages/desktop-planner.xml"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$(date -u +%Y-%m-%d)/" packaging/linux/$ID.metainfo.xml \
  > "$APP/share/metainfo/$ID.metainfo.xml"
QT_QPA_PLATFORM=offscreen "$PY" packaging/icons/render_icons.py "$APP/share/icons"
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/README.txt "$APP/"

rm -f "$TARBALL"
tar -C dist -cf - "$NAME" | gzip -6 > "$TARBALL"
echo "built $TARBALL ($(du -sh "$APP" | cut -f1) unpacked, $(du -sh "$TARBALL" | cut -f1) packed) in $(( $(date +%s) - start )) s"
