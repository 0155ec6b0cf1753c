#!/usr/bin/env bash
# mamori scan benchmark (issue 6): files/s and MB/s of `mamori scan` on a
# generated Windows-like tree of at least 2 GB and 20,000 files, next to
# Debian's `yara -r -p N` running the same YARA rules, and `clamscan -r`
# when it is installed.  Not part of `make test`.
#
#  1. Generates the tree (deterministic: SEED) under $BENCH_TREE (default
#     /tmp/mamori-scan-bench), reused while SIZE/FILES/SEED are unchanged:
#     text and binary filler, harmless PEs copied from ../shared/data/pe,
#     a few planted IOC names so the scanner has findings to report.
#  2. Reads the whole tree once so every run reads from the page cache.
#  3. Runs each tool (best of REPEAT) and prints wall time, files/s, MB/s
#     and the ratio of mamori to yara.  mamori runs every analyzer (IOC,
#     hash-free, YARA, PE, autorun, job, RECYCLER); yara runs only the rules.
#
# Environment: BUILD (build folder with a release build; default build),
# SIZE (bytes, default 2G), FILES (default 20000), THREADS (default nproc),
# SEED (default 1), REPEAT (default 1), BENCH_TREE, KEEP=1 keeps the tree.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
SIZE=${SIZE:-2G}
FILES=${FILES:-20000}
THREADS=${THREADS:-$(nproc)}
SEED=${SEED:-1}
REPEAT=${REPEAT:-1}
TREE=${BENCH_TREE:-/tmp/mamori-scan-bench}
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
MAMORI=$BUILD/mamori
if [ ! -x "$MAMORI" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j 2 --target mamori_cli >/dev/null
fi
case $SIZE in
*G) BYTES=$(( ${SIZE%G} * 1024 * 1024 * 1024 )) ;;
*M) BYTES=$(( ${SIZE%M} * 1024 * 1024 )) ;;
*) BYTES=$SIZE ;;
esac

# ---- 1. the tree ---------------------------------------------------------------
STAMP="$SEED $BYTES $FILES"
if [ "$(cat "$TREE/.stamp" 2>/dev/null || true)" != "$STAMP" ]; then
	echo "generating $FILES files, $BYTES bytes in $TREE ..."
	rm -rf "$TREE"
	python3 - "$TREE" "$BYTES" "$FILES" "$SEED" "$SHARED/data/pe" <<'PY'
import os, random, sys
root, total, nfiles, seed, pedir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = random.Random(seed)
dirs = ["WINDOWS/system32", "WINDOWS/system32/drivers", "WINDOWS/Temp", "WINDOWS/Tasks",
        "Program Files/App%d", "Documents and Settings/user%d/My Documents",
        "Documents and Settings/user%d/Local Settings/Temp", "data/set%d/part%d"]
pes = [open(os.path.join(pedir, f), "rb").read() for f in sorted(os.listdir(pedir))] if os.path.isdir(pedir) else []
words = b"the quick brown fox jumps over lazy dog windows system file report data value ".split()
text_block = b" ".join(r.choice(words) for _ in range(200000))
# sizes: mostly small, some medium, a few large; scaled to the total
sizes = []
for i in range(nfiles):
    x = r.random()
    sizes.append(r.randint(1024, 65536) if x < 0.80 else r.randint(65536, 1 << 20) if x < 0.98
                 else r.randint(1 << 20, 24 << 20))
scale = total / sum(sizes)
sizes = [max(16, int(s * scale)) for s in sizes]
made = 0
for i, size in enumerate(sizes):
    d = r.choice(dirs)
    d = d.replace("%d", str(r.randint(0, 19)), 1).replace("%d", str(r.randint(0, 9)), 1)
    p = os.path.join(root, d)
    os.makedirs(p, exist_ok=True)
    kind = r.random()
    if kind < 0.1 and pes:
        body = r.choice(pes)
        body = body + bytes(max(0, size - len(body)))
        name = "f%05d.%s" % (i, r.choice(["dll", "exe", "sys"]))
    elif kind < 0.55:
        off = r.randint(0, len(text_block) - 1)
        body = (text_block[off:] + text_block) * (size // len(text_block) + 1)
        body = body[:size]
        name = "f%05d.%s" % (i, r.choice(["txt", "log", "ini", "xml"]))
    else:
        body = os.urandom(size)
        name = "f%05d.%s" % (i, r.choice(["bin", "dat", "jpg", "cab"]))
    with open(os.path.join(p, name), "wb") as f:
        f.write(body)
    made += len(body)
# a few plants (inert text at IOC paths)
for rel in ("WINDOWS/system32/mssecmgr.ocx", "WINDOWS/asam.exe", "WINDOWS/system32/wincom32.sys"):
    os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
    open(os.path.join(root, rel), "wb").write(b"inert placeholder\r\n")
print("generated %d files, %.2f GB" % (nfiles + 3, made / 1e9))
PY
	echo "$STAMP" >"$TREE/.stamp"
fi
NFILES=$(find "$TREE" -type f ! -name .stamp | wc -l)
NBYTES=$(du -sb --exclude=.stamp "$TREE" | cut -f1)

# ---- 2. warm the page cache ---------------------------------------------------
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null

# ---- 3. runs ----------------------------------------------------------------------
best() { # prints "wall cpu" (s) of the fastest of REPEAT runs of "$@"
	local b="" bc=""
	for ((i = 0; i < REPEAT; i++)); do
		local out
		/usr/bin/time -o "$TIMES" -f "%e %U %S" "$@" >/dev/null 2>&1 || true
		out=$(tail -1 "$TIMES")
		local w c
		w=$(echo "$out" | awk '{print $1}')
		c=$(echo "$out" | awk '{print $2 + $3}')
		if [ -z "$b" ] || awk "BEGIN { exit !($w < $b) }"; then b=$w; bc=$c; fi
	done
	echo "$b $bc"
}
row() { # name "wall cpu"
	set -- "$1" $2
	awk -v n="$1" -v s="$2" -v c="$3" -v f="$NFILES" -v b="$NBYTES" \
		'BEGIN { printf "%-34s %7.2f s wall %7.2f s cpu %8.0f files/s %8.1f MB/s %8.1f MB/cpu-s\n", n, s, c, f / s, b / 1e6 / s, b / 1e6 / c }'
}
wall() { echo "$1"; }
cpu() { echo "$2"; }
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
[ -x /usr/bin/time ] || { echo "scan_bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
YARA_RULES=(rules/yara/*.yar)
echo
echo "tree: $NFILES files, $(awk "BEGIN { printf \"%.2f\", $NBYTES / 1e9 }") GB; $THREADS threads; best of $REPEAT"
T_WALK=$(best "$MAMORI" scan -q --no-builtin --threads "$THREADS" "$TREE")
row "mamori scan --no-builtin (no rules)" "$T_WALK"
T_MAMORI=$(best "$MAMORI" scan -q --json -o /dev/null --threads "$THREADS" "$TREE")
row "mamori scan (all analyzers)" "$T_MAMORI"
T_MYARA=$(best "$MAMORI" scan -q --json -o /dev/null --no-builtin --yara rules/yara --threads "$THREADS" "$TREE")
row "mamori scan --no-builtin --yara" "$T_MYARA"
if command -v yara >/dev/null; then
	T_YARA=$(best yara -r -f -p "$THREADS" "${YARA_RULES[@]}" "$TREE")
	row "yara -r -f -p $THREADS (same rules)" "$T_YARA"
	T_YARA2=$(best yara -r -p "$THREADS" "${YARA_RULES[@]}" "$TREE")
	row "yara -r -p $THREADS (same rules)" "$T_YARA2"
	awk -v a="$(wall $T_MAMORI)" -v ac="$(cpu $T_MAMORI)" -v y="$(wall $T_YARA)" -v yc="$(cpu $T_YARA)" \
		-v y2="$(wall $T_YARA2)" -v y2c="$(cpu $T_YARA2)" 'BEGIN {
		printf "\nthroughput ratio mamori (all analyzers) / yara -f: %.2f wall, %.2f cpu\n", y / a, yc / ac
		printf "throughput ratio mamori (all analyzers) / yara:    %.2f wall, %.2f cpu\n", y2 / a, y2c / ac
		print "(> 1: mamori faster; wall time depends on other load on the machine, cpu time less so)" }'
else
	echo "yara: not installed (apt-get install yara)"
fi
if command -v clamscan >/dev/null; then
	# No signature database can be downloaded here, so clamscan is given the
	# same YARA rules as its database (ClamAV loads YARA rules; rules using
	# modules it lacks are skipped by it): the same content, another engine.
	CLAMDB=$(mktemp -d)
	cp "$ROOT"/rules/yara/*.yar "$CLAMDB"/
	T_CLAM=$(best clamscan -d "$CLAMDB" -r --no-summary --infected "$TREE")
	row "clamscan -r" "$T_CLAM"
	awk -v a="$(wall $T_MAMORI)" -v c="$(wall $T_CLAM)" 'BEGIN { printf "throughput ratio mamori / clamscan: %.2f wall\n", c / a }'
else
	echo "clamscan: not installed (apt-get install clamav)"
fi
[ "${KEEP:-0}" = 1 ] || { rm -rf "$TREE"; echo "(tree removed; KEEP=1 keeps it)"; }
