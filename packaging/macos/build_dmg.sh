#!/usr/bin/env bash
# macOS: build "Desktop Planner.app" with the same PyInstaller spec and wrap it in a DMG. NOT RUN on the Linux
# machine this was written on; packaging/ci/build.yml runs it on a hosted macOS runner. Needs Xcode's command line
# tools (hdiutil, iconutil come with macOS) and a Python with the app and PyInstaller installed:
#
#   python3 -m venv .venv && .venv/bin/pip install -e ".[package]"
#   packaging/macos/build_dmg.sh .venv/bin/python
#
# Writes dist/Desktop Planner.app and dist/desktop-planner-<version>-macos-<arch>.dmg. The app is not signed or
# notarised: a first start needs right-click > Open (or `xattr -dr com.apple.quarantine "Desktop Planner.app"`).
# To sign, set CODESIGN_IDENTITY (a "Developer ID Application: ..." identity in the keychain).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${1:-python3}
cd "$ROOT"
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -n1)
ARCH=$(uname -m)

QT_QPA_PLATFORM=offscreen "$PY" packaging/icons/render_icons.py build/icons --icns
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/desktop_planner.spec
APP="dist/Desktop Planner.app"
[ -d "$APP" ] || { echo "PyInstaller made no $APP" >&2; exit 1; }

# the bundle answers from the command line too
"$APP/Contents/MacOS/desktop-planner" --version

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi

STAGE=build/dmg
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG=dist/desktop-planner-$VERSION-macos-$ARCH.dmg
rm -f "$DMG"
hdiutil create -volname "Desktop Planner $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
echo "built $DMG"
