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
# The Python on PATH may be a private one without PyYAML; Debian's has it
# (python3-yaml, installed by the Makefile).
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || { echo "skip: no python3 with PyYAML (apt-get install python3-yaml)"; exit 77; }
[ -s "$PASS" ] || { echo "skip: $PASS is empty"; exit 77; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/mamori-sv.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
$PY "$SRCDIR/tests/compat/sv_run.py" --mamori "$MAMORI" --tests "$SV" \
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
