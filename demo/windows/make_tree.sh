#!/bin/bash
# Regenerates the demo tree for `mamori scan` (used by `make run`):
#   demo/windows/C/    a small Windows-like volume with planted artefacts
#   demo/windows/USB/  the contents of an infected USB stick
# Everything is inert: harmless PEs compiled from tests/fixtures/host/*.c
# with mingw-w64 carrying only the structures the checks key on (version
# resource claiming Microsoft, 1994/2011 timestamps, the Flame mutex string,
# a module name XOR 0xAE, the Storm typo'd agent string), generated .job and
# AUTORUN.INF files, and text placeholders at the Flame/Storm/Conficker paths.
# The Flame-like module is kept small (no 6 MB padding) so the tree stays a
# few hundred kilobytes; run `mamori scan demo/windows/C demo/windows/USB`.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FLAME_PAD=0 bash "$SRC/tests/fixtures/host/build.sh" "$TMP/fx"
rm -rf "$HERE/C" "$HERE/USB"
cp -a "$TMP/fx/infected" "$HERE/C"
cp -a "$TMP/fx/usb-infected" "$HERE/USB"
echo "demo tree: $(find "$HERE/C" "$HERE/USB" -type f | wc -l) files, $(du -sh "$HERE/C" "$HERE/USB" | awk '{print $1}' | paste -sd+)"
