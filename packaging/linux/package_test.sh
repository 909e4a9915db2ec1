#!/usr/bin/env bash
# `make package-test`: unpack the built tarball into an empty folder and run the bundled program there as a user
# would, with no Python, no venv and a clean environment (env -i: only HOME, PATH=/usr/bin:/bin and
# QT_QPA_PLATFORM=offscreen):
#   --version; --screenshot of the bundled demo (its regions are built in child processes, so this also proves
#   that multiprocessing works in the frozen program); the first start without arguments (the user's copy of the
#   demo); `demo` to make a new project and `summary --json` on it.
# Prints the bundle's size and the cold start times.   Usage: packaging/linux/package_test.sh [CHECKER_PYTHON]
# CHECKER_PYTHON (optional, e.g. .venv/bin/python) only looks at the screenshot afterwards: are regions coloured?
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK_PY=${1:-}
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml" | head -n1)
TARBALL=$ROOT/dist/desktop-planner-$VERSION-linux-$(uname -m).tar.gz
[ -f "$TARBALL" ] || { echo "no $TARBALL: run make package first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/desktop-planner-package-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/first-home" "$WORK/out"
tar -C "$WORK" -xzf "$TARBALL"
APP=$WORK/desktop-planner-$VERSION
EXE=$APP/desktop-planner
# The program is run from the output folder, so nothing it does can lean on the source tree's working directory.
clean() { (cd "$WORK/out" && env -i HOME="${RUN_HOME:-$WORK/home}" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen "$@"); }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
fail() { echo "package-test FAILED: $*" >&2; exit 1; }

echo "bundle: $(du -sh "$APP" | cut -f1) unpacked ($(find "$APP" -type f | wc -l) files), tarball $(du -sh "$TARBALL" | cut -f1)"

t0=$(now); out=$(clean "$EXE" --version); t1=$(now)
[ "$out" = "desktop-planner $VERSION" ] || fail "--version said '$out', expected 'desktop-planner $VERSION'"
echo "--version: '$out' in $(secs "$t0" "$t1") s (cold)"

t0=$(now); clean "$EXE" "$APP/_internal/resources/demo_northeast.tplan" --screenshot "$WORK/out/demo.png"; t1=$(now)
[ -s "$WORK/out/demo.png" ] || fail "no screenshot of the bundled demo"
echo "--screenshot of the bundled demo: $(secs "$t0" "$t1") s (cold: process start, window, regions in child processes)"

# a home of its own: the run above made the bundled demo the last project opened
t0=$(now); RUN_HOME=$WORK/first-home clean "$EXE" --screenshot "$WORK/out/first-start.png"; t1=$(now)
[ -s "$WORK/out/first-start.png" ] || fail "no screenshot of the first start"
copy=$(find "$WORK/first-home" -name demo_northeast.tplan | head -n1)
[ -n "$copy" ] || fail "the first start made no user copy of the demo"
# a copy of the bundled file (found in the bundle by desktop_planner/ui/app.py), not a demo built anew
cmp -s "$copy" "$APP/_internal/resources/demo_northeast.tplan" || fail "the user's demo is not the bundled one"
echo "first start without arguments (user's copy of the demo): $(secs "$t0" "$t1") s"

clean "$EXE" demo "$WORK/out/new.tplan" --accounts 2000 --territories 8 --region midwest >/dev/null \
  || fail "the demo command failed"
clean "$EXE" summary "$WORK/out/new.tplan" --json > "$WORK/out/summary.json" || fail "summary --json failed"
grep -q '"territories"' "$WORK/out/summary.json" || fail "summary --json has no territories: $(head -c 300 "$WORK/out/summary.json")"
if command -v python3 >/dev/null; then  # the system's, only to read the JSON; the program itself never needs it
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("summary --json:", len(d["territories"]), "territories")' \
    "$WORK/out/summary.json"
fi

if [ -n "$CHECK_PY" ]; then
  QT_QPA_PLATFORM=offscreen "$CHECK_PY" "$ROOT/packaging/linux/check_screenshot.py" "$WORK/out/demo.png" \
    || fail "the screenshot shows no coloured territory regions"
fi
if [ -n "${KEEP_SCREENSHOT:-}" ]; then cp "$WORK/out/demo.png" "$KEEP_SCREENSHOT"; echo "screenshot kept: $KEEP_SCREENSHOT"; fi
echo "package-test passed"
