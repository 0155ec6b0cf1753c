#!/bin/bash
# mamori scan on bad input: truncated and lying PE headers, .job files with
# wrong lengths, a multi-megabyte junk autorun.inf, unreadable files and
# folders (permission errors; as root the scan runs as "nobody" through
# setpriv so permissions apply), a FIFO, symlink loops, an oversized file.
# Each gives a finding or a clear per-file message, the scan goes on (a
# planted IOC after them is still found), no sanitizer report, and the exit
# status follows the rules: 1 with findings, 2 with errors and no findings.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}"
export MAMORI_NO_PROGRESS=1 MAMORI_RULES_DIR="$SRCDIR/rules"
WORK=$(mktemp -d /tmp/mamori-scan-err.XXXXXX)
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
T=$WORK/tree
TOOLS="python3 $SRCDIR/tests/fixtures/host/fixture_tools.py"
mkdir -p "$T/WINDOWS/system32" "$T/WINDOWS/Tasks" "$T/usb" "$T/locked" "$T/d"
fail=0

PE=$SHARED/data/pe/plaso-wrc-test-wevt_template.dll
head -c 200 "$PE" >"$T/WINDOWS/system32/truncated.dll"
python3 - "$PE" "$T/WINDOWS/system32/lying.dll" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
lf = struct.unpack_from("<I", b, 0x3C)[0]
struct.pack_into("<H", b, lf + 6, 0xFFFF)      # 65535 sections
open(sys.argv[2], "wb").write(bytes(b))
b2 = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b2, 0x3C, 0xFFFFFFF0)   # e_lfanew past the end
open(sys.argv[2] + ".2.dll", "wb").write(bytes(b2))
PY
for b in truncated trigger-size app-offset string-length; do
	$TOOLS job "$T/WINDOWS/Tasks/bad-$b.job" --app rundll32.exe --params 'x.vmx,y' --break "$b"
done
python3 - "$T/usb/autorun.inf" <<'PY'
import random, sys
r = random.Random(1)
n = 6 << 20
junk = bytes(b for b in (r.randrange(256) for _ in range(n)) if b not in b"[=")
open(sys.argv[1], "wb").write(b"[autorun]\r\n" + junk[: n // 2] + b"\r\nopen=RUNDLL32.EXE x.vmx,y\r\n" + junk[n // 2 :])
PY
printf 'inert placeholder\r\n' >"$T/WINDOWS/system32/mssecmgr.ocx"
truncate -s 9M "$T/big.bin"
mkfifo "$T/d/fifo"
ln -s "$T" "$T/d/loop-to-root"
ln -s "$T/d/self" "$T/d/self"
ln -s /nonexistent "$T/d/dangling"
printf 'secret\n' >"$T/locked/unreadable.txt"
chmod 000 "$T/locked/unreadable.txt"
mkdir "$T/locked/closed"
chmod 000 "$T/locked/closed"
chmod -R a+rX "$T" 2>/dev/null
chmod 000 "$T/locked/unreadable.txt" "$T/locked/closed"

RUN=()
if [ "$(id -u)" = 0 ]; then
	if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
fi
"${RUN[@]}" "$MAMORI" scan --json --max-filesize 8M --threads 3 "$T" >"$WORK/out.json" 2>"$WORK/err.txt"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: exit $rc, want 1"; fail=1; }
if grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$WORK/err.txt"; then
	echo "FAIL: sanitizer report"
	fail=1
fi
check_err() {
	grep -q -- "$1" "$WORK/err.txt" || { echo "FAIL: no message matching '$1'"; fail=1; }
}
check_err "big.bin': larger than --max-filesize, skipped"
check_err "bad-truncated.job': not a valid Task Scheduler .job file"
check_err "bad-string-length.job': not a valid Task Scheduler .job file"
if [ ${#RUN[@]} -gt 0 ] || [ "$(id -u)" != 0 ]; then
	check_err "unreadable.txt': cannot open: Permission denied"
	check_err "closed': cannot list directory: Permission denied"
	grep -q " 2 errors" "$WORK/err.txt" || { echo "FAIL: error count"; fail=1; }
else
	echo "note: running as root without setpriv; permission errors not exercised"
fi
python3 - "$WORK/out.json" <<'PY' || fail=1
import json, sys
got = {(json.loads(l)["finding"]["path"].rsplit("/", 1)[-1], json.loads(l)["finding"]["indicator"]) for l in open(sys.argv[1])}
want = {("mssecmgr.ocx", "flame.ioc.name"), ("autorun.inf", "conficker.autorun.rundll32")}
bad = [g for g in got if g[0].startswith(("truncated", "lying", "bad-"))]
if not want <= got or bad:
    print("FAIL: findings", sorted(got), "missing", want - got, "unexpected", bad)
    sys.exit(1)
PY

# errors and no findings: exit 2
if [ ${#RUN[@]} -gt 0 ] || [ "$(id -u)" != 0 ]; then
	"${RUN[@]}" "$MAMORI" scan -q "$T/locked" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || { echo "FAIL: unreadable-only scan exit $rc, want 2"; fail=1; }
fi
# a missing root is an error, the other roots are still scanned
"$MAMORI" scan -q --json "$WORK/none" "$T/WINDOWS/system32" >"$WORK/o2.json" 2>"$WORK/e2.txt"
rc=$?
[ $rc -eq 1 ] && grep -q "cannot access scan root" "$WORK/e2.txt" && grep -q mssecmgr "$WORK/o2.json" ||
	{ echo "FAIL: missing root handling (exit $rc)"; cat "$WORK/e2.txt"; fail=1; }

[ $fail -eq 0 ] && echo PASS
exit $fail
