#!/bin/bash
# mamori scan end to end on generated fixtures (tests/fixtures/host/build.sh):
#  - every planted artefact of the infected Windows-like tree and of the
#    infected FAT USB image is found with the right family and indicator;
#  - the clean tree, the clean USB image, ../shared/data/pe/* and
#    ../shared/data/job/plaso-wintask.job give zero findings (exit 0);
#  - hash IOCs from an --ioc folder, -o FILE, --threads 1 vs 4 agree.
# The USB image is scanned through its mtools-extracted copy; when a loop
# mount works (root, loop devices present) the mounted image is scanned too.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}" "${BUILDDIR:?}"
export MAMORI_NO_PROGRESS=1 MAMORI_RULES_DIR="$SRCDIR/rules"
FX=$BUILDDIR/host-fixtures
WORK=$(mktemp -d /tmp/mamori-scan-fx.XXXXXX)
MNT=""
cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

bash "$SRCDIR/tests/fixtures/host/build.sh" "$FX" >"$WORK/build.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	echo "SKIP: $(tail -1 "$WORK/build.log")"
	exit 77
elif [ $rc -ne 0 ]; then
	cat "$WORK/build.log"
	echo "FAIL: fixture build failed"
	exit 1
fi
fail=0

# ---- infected: every plant found ---------------------------------------------
cd "$FX"
"$MAMORI" scan --json --threads 4 infected usb-infected >"$WORK/inf.json" 2>"$WORK/inf.err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: infected scan exit $rc, want 1"; cat "$WORK/inf.err"; fail=1; }
python3 - "$WORK/inf.json" expected.tsv <<'PY' || fail=1
import json, sys
found = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["event_type"] == "finding" and "timestamp" in r, r
    f = r["finding"]
    for k in ("path", "family", "indicator", "severity", "evidence", "sha256", "remedy"):
        assert k in f, (k, f)
    assert len(f["sha256"]) == 64
    found.add((f["path"], f["family"], f["indicator"]))
missing = 0
n = 0
for line in open(sys.argv[2]):
    root, rel, fam, ind = line.rstrip("\n").split("\t")
    n += 1
    if (root + "/" + rel, fam, ind) not in found:
        print("MISSING: %s/%s %s %s" % (root, rel, fam, ind))
        missing += 1
planted = {(r + "/" + p) for r, p, _, _ in (l.rstrip("\n").split("\t") for l in open(sys.argv[2]))}
extra = [x for x in found if x[0] not in planted]
for x in extra:
    print("UNEXPECTED (not a planted file): %s %s %s" % x)
print("%d expected findings, %d found in total, %d missing, %d on unplanted files" % (n, len(found), missing, len(extra)))
sys.exit(1 if missing or extra else 0)
PY

# ---- clean: zero findings ----------------------------------------------------
"$MAMORI" scan --json clean usb-clean "$SHARED"/data/pe/* "$SHARED/data/job/plaso-wintask.job" \
	>"$WORK/clean.json" 2>"$WORK/clean.err"
rc=$?
if [ $rc -ne 0 ] || [ -s "$WORK/clean.json" ]; then
	echo "FAIL: clean scan exit $rc (want 0) with findings:"
	cat "$WORK/clean.json" "$WORK/clean.err"
	fail=1
fi
grep -q " 0 findings, 0 errors" "$WORK/clean.err" || { echo "FAIL: clean summary"; cat "$WORK/clean.err"; fail=1; }

# ---- threads: same findings with 1 and 4 workers -------------------------------
"$MAMORI" scan --json --threads 1 infected usb-infected >"$WORK/t1.json" 2>/dev/null
norm() { python3 -c 'import json,sys; print("\n".join(sorted("%s|%s" % (json.loads(l)["finding"]["path"], json.loads(l)["finding"]["indicator"]) for l in open(sys.argv[1]))))' "$1"; }
if [ "$(norm "$WORK/t1.json")" != "$(norm "$WORK/inf.json")" ]; then
	echo "FAIL: --threads 1 and --threads 4 disagree"
	fail=1
fi

# ---- hash IOCs and -o FILE -------------------------------------------------------------
mkdir -p "$WORK/ioc"
VMX=usb-infected/RECYCLER/S-5-3-42-2819952290-8240758988-879315005-3665/jwgkvsq.vmx
{
	echo "# test list"
	echo "sha256 ; $(sha256sum "$VMX" | cut -d' ' -f1) ; conficker ; 95 ; ; test fixture digest"
	echo "md5 ; $(md5sum usb-infected/setup.exe | cut -d' ' -f1) ; generic ; 10 ; ; test fixture digest"
} >"$WORK/ioc/hashes.txt"
"$MAMORI" scan --json --ioc "$WORK/ioc" -o "$WORK/out.json" usb-infected 2>"$WORK/hash.err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: hash scan exit $rc"; cat "$WORK/hash.err"; fail=1; }
grep -q "2 hash IOCs" "$WORK/hash.err" || { echo "FAIL: hash IOC count"; cat "$WORK/hash.err"; fail=1; }
python3 - "$WORK/out.json" <<'PY' || fail=1
import json, sys
got = {(json.loads(l)["finding"]["path"].split("/")[-1], json.loads(l)["finding"]["indicator"],
        json.loads(l)["finding"].get("severity_name")) for l in open(sys.argv[1])}
want = {("jwgkvsq.vmx", "conficker.ioc.hash", "high"), ("setup.exe", "generic.ioc.hash", "info")}
if not want <= got:
    print("FAIL: hash findings missing:", want - got)
    sys.exit(1)
PY

# ---- table output -----------------------------------------------------------------------
"$MAMORI" scan infected >"$WORK/table.txt" 2>/dev/null
grep -q '^SEV  *FAMILY  *INDICATOR  *PATH' "$WORK/table.txt" &&
	grep -q 'flame.pe.export_timestamp *infected/WINDOWS/system32/mssecmgr.ocx' "$WORK/table.txt" ||
	{ echo "FAIL: table output"; head "$WORK/table.txt"; fail=1; }

# ---- the FAT image itself, loop-mounted when possible --------------------------
MNT=$WORK/mnt
mkdir -p "$MNT"
if mount -o loop,ro "$FX/usb-infected.img" "$MNT" 2>/dev/null; then
	"$MAMORI" scan --json "$MNT" >"$WORK/mnt.json" 2>/dev/null
	for ind in conficker.autorun.recycler conficker.recycler.malformed_sid conficker.pe.dll_disguised; do
		grep -q "\"indicator\":\"$ind\"" "$WORK/mnt.json" || { echo "FAIL: mounted image lacks $ind"; fail=1; }
	done
	echo "scanned the loop-mounted FAT image too"
else
	MNT=""
	echo "note: loop mount unavailable; the FAT image was scanned through its mtools-extracted copy"
fi

[ $fail -eq 0 ] && echo "PASS"
exit $fail
