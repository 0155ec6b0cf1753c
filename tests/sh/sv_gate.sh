#!/usr/bin/env bash
# suricata-verify regression gate: runs the cases listed in
# tests/compat/sv-pass.txt (the ones mamori passed when the list was
# written with `sv_run.py --write-pass`) and fails if any of them fails.
# Skips (77) when the shared suricata-verify checkout is not there.
# Full report: python3 tests/compat/sv_run.py --mamori BIN --tests DIR -j2
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
SV=${SHARED:-$SRCDIR/../shared}/data/suricata-verify/tests
PASS=$SRCDIR/tests/compat/sv-pass.txt
[ -d "$SV" ] || { echo "skip: no suricata-verify checkout at $SV"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "skip: python3-yaml not installed"; exit 77; }
[ -s "$PASS" ] || { echo "skip: $PASS is empty"; exit 77; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/mamori-sv.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
python3 "$SRCDIR/tests/compat/sv_run.py" --mamori "$MAMORI" --tests "$SV" \
	--only "$PASS" --gate "$PASS" --out "$OUT" -j2 >"$OUT.log" 2>&1
rc=$?
tail -n 1 "$OUT.log"
if [ "$rc" != 0 ]; then
	grep -E '^FAIL' "$OUT.log"
	rm -f "$OUT.log"
	exit 1
fi
rm -f "$OUT.log"
exit 0
