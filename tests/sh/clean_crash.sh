#!/bin/bash
# mamori clean crash safety (issue 8).  On a small infected volume (two
# Storm files and an autorun.inf from the host fixtures, the infected
# SOFTWARE hive and alice's NTUSER.DAT from the hive fixtures) the test
# hook MAMORI_CRASH_AT=k (debug builds only) makes the process _exit at
# crash point k.  For every k of the apply:
#   crash at k -> re-run `clean --apply` exits 0 -> every file is
#   byte-identical to the result of an uninterrupted clean (whose dry run
#   finds nothing left to do) -> `clean --undo all` -> every file
#   byte-identical to the original (SHA-256 of every file, hives included).
# For every k of the undo (starting from a fully cleaned snapshot):
#   crash at k -> re-run `clean --undo all` exits 0 -> byte-identical.
# Skips (77) when the binary is not a debug build (the hook is off).
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}" "${BUILDDIR:?}"
export MAMORI_NO_PROGRESS=1 MAMORI_RULES_DIR="$SRCDIR/rules"
FX=$BUILDDIR/remedy-fx-crash
WORK=$(mktemp -d /tmp/mamori-clean-crash.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

FLAME_PAD=0 bash "$SRCDIR/tests/fixtures/host/build.sh" "$FX/host" >"$WORK/build.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { echo "SKIP: $(tail -1 "$WORK/build.log")"; exit 77; }
[ $rc -ne 0 ] && { cat "$WORK/build.log"; echo "FAIL: host fixture build"; exit 1; }
rm -rf "$FX/hive"
bash "$SRCDIR/tests/fixtures/hive/build.sh" "$FX/hive" "$SHARED" >"$WORK/build.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { echo "SKIP: $(tail -1 "$WORK/build.log")"; exit 77; }
[ $rc -ne 0 ] && { cat "$WORK/build.log"; echo "FAIL: hive fixture build"; exit 1; }

O=$WORK/orig
mkdir -p "$O/WINDOWS/system32/config" "$O/Documents and Settings/alice"
cp "$FX/host/usb-infected/autorun.inf" "$O/"
cp "$FX/host/infected/WINDOWS/asam.exe" "$FX/host/infected/WINDOWS/herjek.config" "$O/WINDOWS/"
cp "$FX/hive/infected/WINDOWS/system32/config/software" "$O/WINDOWS/system32/config/"
cp "$FX/hive/infected/Documents and Settings/alice/NTUSER.DAT" "$O/Documents and Settings/alice/"

V=$WORK/vol
Q=$WORK/q
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
sums "$O" >"$WORK/orig.sum"
fresh() { rm -rf "$V" "$Q"; cp -a "$O" "$V"; }

# How many crash points does a full apply / undo pass?
fresh
MAMORI_CRASH_AT=0 "$MAMORI" clean --apply --quarantine "$Q" "$V" >/dev/null 2>"$WORK/err"
n_apply=$(sed -n 's/.*crash points: \([0-9]*\).*/\1/p' "$WORK/err")
if [ -z "$n_apply" ]; then
	echo "SKIP: $MAMORI has no crash hook (not a MAMORI_DEBUG build)"
	exit 77
fi
# the uninterrupted result: nothing left to do, and the reference for every k
"$MAMORI" clean --quarantine "$Q" "$V" >"$WORK/out" 2>&1 ||
	{ echo "FAIL: plan not empty after a clean"; cat "$WORK/out"; exit 1; }
sums "$V" >"$WORK/cleaned.sum"
rm -rf "$WORK/snapV" "$WORK/snapQ"
cp -a "$V" "$WORK/snapV"
cp -a "$Q" "$WORK/snapQ"
MAMORI_CRASH_AT=0 "$MAMORI" clean --undo all --quarantine "$Q" 2>"$WORK/err" >/dev/null
n_undo=$(sed -n 's/.*crash points: \([0-9]*\).*/\1/p' "$WORK/err")
sums "$V" | cmp -s - "$WORK/orig.sum" || { echo "FAIL: plain undo not byte-identical"; exit 1; }
fail=0
start=$(date +%s)

for k in $(seq 1 "$n_apply"); do
	fresh
	MAMORI_CRASH_AT=$k "$MAMORI" clean --apply --quarantine "$Q" "$V" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 86 ] || { echo "FAIL: apply k=$k: exit $rc, want the crash exit 86"; fail=1; continue; }
	"$MAMORI" clean --apply --quarantine "$Q" "$V" >"$WORK/out" 2>&1 ||
		{ echo "FAIL: apply k=$k: re-run failed"; cat "$WORK/out"; fail=1; continue; }
	sums "$V" | cmp -s - "$WORK/cleaned.sum" ||
		{ echo "FAIL: apply k=$k: result differs from an uninterrupted clean"; sums "$V" | diff "$WORK/cleaned.sum" -; fail=1; }
	"$MAMORI" clean --undo all --quarantine "$Q" >"$WORK/out" 2>&1 ||
		{ echo "FAIL: apply k=$k: undo failed"; cat "$WORK/out"; fail=1; continue; }
	sums "$V" | cmp -s - "$WORK/orig.sum" ||
		{ echo "FAIL: apply k=$k: not byte-identical after undo"; sums "$V" | diff "$WORK/orig.sum" -; fail=1; }
	ls "$Q/store" | grep -q . && { echo "FAIL: apply k=$k: store not empty after undo"; ls "$Q/store"; fail=1; }
done

for k in $(seq 1 "$n_undo"); do
	rm -rf "$V" "$Q"
	cp -a "$WORK/snapV" "$V"
	cp -a "$WORK/snapQ" "$Q"
	MAMORI_CRASH_AT=$k "$MAMORI" clean --undo all --quarantine "$Q" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 86 ] || { echo "FAIL: undo k=$k: exit $rc, want the crash exit 86"; fail=1; continue; }
	"$MAMORI" clean --undo all --quarantine "$Q" >"$WORK/out" 2>&1 ||
		{ echo "FAIL: undo k=$k: re-run failed"; cat "$WORK/out"; fail=1; continue; }
	sums "$V" | cmp -s - "$WORK/orig.sum" ||
		{ echo "FAIL: undo k=$k: not byte-identical"; sums "$V" | diff "$WORK/orig.sum" -; fail=1; }
done
# quarantine restore of one item, crashed at each of its points
rm -rf "$V" "$Q"
cp -a "$WORK/snapV" "$V"
cp -a "$WORK/snapQ" "$Q"
MAMORI_CRASH_AT=0 "$MAMORI" quarantine --quarantine "$Q" restore 1 >/dev/null 2>"$WORK/err"
n_qr=$(sed -n 's/.*crash points: \([0-9]*\).*/\1/p' "$WORK/err")
for k in $(seq 1 "$n_qr"); do
	rm -rf "$V" "$Q"
	cp -a "$WORK/snapV" "$V"
	cp -a "$WORK/snapQ" "$Q"
	MAMORI_CRASH_AT=$k "$MAMORI" quarantine --quarantine "$Q" restore 1 >/dev/null 2>&1
	rc=$?
	[ $rc -eq 86 ] || { echo "FAIL: restore k=$k: exit $rc, want 86"; fail=1; continue; }
	"$MAMORI" quarantine --quarantine "$Q" restore 1 >"$WORK/out" 2>&1 ||
		{ echo "FAIL: restore k=$k: re-run failed"; cat "$WORK/out"; fail=1; continue; }
	"$MAMORI" clean --undo all --quarantine "$Q" >"$WORK/out" 2>&1 ||
		{ echo "FAIL: restore k=$k: undo failed"; cat "$WORK/out"; fail=1; continue; }
	sums "$V" | cmp -s - "$WORK/orig.sum" ||
		{ echo "FAIL: restore k=$k: not byte-identical"; fail=1; }
done
echo "crash points tested: $n_apply in apply, $n_undo in undo, $n_qr in quarantine restore ($(( $(date +%s) - start )) s)"
[ $fail -eq 0 ] && echo "$((n_apply + n_undo + n_qr)) passed, 0 failed"
exit $fail
