#!/bin/sh
# Install Desktop Planner for the current user: a launcher in the applications menu, the icon, and .tplan files
# opening with it. The program stays in this folder (move the folder first if you want it elsewhere).
# Undo with ./uninstall.sh. Nothing is written outside ~/.local.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=$HOME/.local/bin
ID=org.desktop_planner.DesktopPlanner

mkdir -p "$BIN" "$DATA/applications" "$DATA/mime/packages" "$DATA/metainfo"
# A small script, not a link: the program finds its _internal folder beside its real location.
printf '#!/bin/sh\nexec "%s/desktop-planner" "$@"\n' "$HERE" > "$BIN/desktop-planner"
chmod +x "$BIN/desktop-planner"
sed "s|^Exec=desktop-planner|Exec=\"$HERE/desktop-planner\"|" "$HERE/share/applications/$ID.desktop" \
  > "$DATA/applications/$ID.desktop"
cp "$HERE/share/mime/packages/desktop-planner.xml" "$DATA/mime/packages/"
cp "$HERE/share/metainfo/$ID.metainfo.xml" "$DATA/metainfo/"
cp -R "$HERE/share/icons" "$DATA/"
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$DATA/mime" || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Installed: Desktop Planner is in your applications menu; from a terminal: $BIN/desktop-planner"
