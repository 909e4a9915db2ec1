#!/bin/sh
# Remove what install.sh added under ~/.local (this folder itself stays; delete it to remove the program).
set -eu
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
ID=org.desktop_planner.DesktopPlanner
rm -f "$HOME/.local/bin/desktop-planner" "$DATA/applications/$ID.desktop" "$DATA/mime/packages/desktop-planner.xml" \
  "$DATA/metainfo/$ID.metainfo.xml"
find "$DATA/icons/hicolor" -name 'desktop-planner.*' -delete 2>/dev/null || true
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$DATA/mime" || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" || true
echo "Removed the launcher, icon and file type. Projects (.tplan files) and settings are left as they were."
