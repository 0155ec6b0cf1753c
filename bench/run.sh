#!/usr/bin/env bash
# mamori benchmark (`make bench`): throughput of `mamori net` against a bare
# libpcap read loop over the same deterministic >= 1 GB pcap.
#
#  1. Generates the corpus with mamori-gen (seeded HTTP/DNS/SMTP mix plus
#     inert family traffic at known counts) into bench/out/ (gitignored),
#     reused while the generator source and options are unchanged.
#  2. Warms the page cache (reads the file once) so every run reads from RAM.
#  3. Runs each configuration of the CONFIGS table below, REPEAT times
#     (best run kept), under /usr/bin/time -v for wall time and peak RSS.
#  4. Prints wall and CPU seconds, Gbit/s (captured bytes), packets/s, peak
#     RSS and the ratio to the read loop, by wall time and by CPU time (the
#     issue's target: mamori >= 40% of the read loop).
#
# Environment: BUILD (default build), SIZE (default 1G), SEED (default 1),
# REPEAT (default 1), ONLY (regex of config names to run), BENCH_OUT
# (default bench/out).  Extra configurations: add a line to CONFIGS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
SIZE=${SIZE:-1G}
SEED=${SEED:-1}
REPEAT=${REPEAT:-1}
ONLY=${ONLY:-.}
OUT=${BENCH_OUT:-bench/out}
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
GEN_OPTS=(--seed "$SEED" --size "$SIZE" --family=10 --alt-ports 5)

GEN=$BUILD/bench/mamori-gen
READLOOP=$BUILD/bench/mamori-readloop
MAMORI=$BUILD/mamori
if [ ! -x "$GEN" ] || [ ! -x "$READLOOP" ] || [ ! -x "$MAMORI" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j 2 --target mamori_gen mamori_readloop mamori_cli >/dev/null
fi
calc() { awk "BEGIN { print ($*) }"; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

# --- configurations -------------------------------------------------------
# name | what it measures | command ({pcap} and {log} are substituted)
ET_ARGS=""
for f in "$SHARED"/data/et-open-2019/emerging-*.rules; do
	[ -e "$f" ] && ET_ARGS="$ET_ARGS -S $f"
done
CONFIGS=(
	"readloop|bare pcap_next_ex loop, every byte summed|$READLOOP {pcap}"
	"pipeline|mamori net, 1 thread, EVE on, no rules, no correlation|$MAMORI net -r {pcap} -l {log} -q --no-rules --no-correlation"
	"builtin|mamori net, built-in rules, no correlation|$MAMORI net -r {pcap} -l {log} -q --no-correlation"
	"default|mamori net, built-in rules and correlation (the default)|$MAMORI net -r {pcap} -l {log} -q"
	"etopen|mamori net, ET Open 2019 (-S every emerging-*.rules)|$MAMORI net -r {pcap} -l {log} -q --no-correlation$ET_ARGS"
	# (commands are split on spaces and not passed through eval: no quotes or globs)
	# "workers2|2 workers, EVE on|$MAMORI net -r {pcap} -l {log} -q --workers 2"
)

# --- corpus ---------------------------------------------------------------
mkdir -p "$OUT"
key=$( (sha256sum bench/gen_traffic.c; echo "${GEN_OPTS[*]}") | sha256sum | cut -c1-12)
PCAP=$OUT/corpus-$key.pcap
COUNTS=$OUT/corpus-$key.counts
if [ ! -s "$PCAP" ] || [ ! -s "$COUNTS" ]; then
	rm -f "$OUT"/corpus-*.pcap "$OUT"/corpus-*.counts
	echo "bench: generating $SIZE corpus ($PCAP) ..."
	t0=$(date +%s.%N)
	"$GEN" "${GEN_OPTS[@]}" --out "$PCAP.tmp" >"$COUNTS.tmp"
	mv "$PCAP.tmp" "$PCAP"
	mv "$COUNTS.tmp" "$COUNTS"
	echo "bench: generated in $(calc "$(date +%s.%N) - $t0") s"
fi
count() { awk -v k="$1" '$1 == k { print $2 }' "$COUNTS"; }
echo "corpus: $PCAP ($(count bytes) bytes, $(count packets) packets, $(count http_requests) HTTP" \
	"requests, $(count dns_queries) DNS queries, $(count smtp_mails) SMTP mails)"
echo "family traffic in it: $(grep '^family\.' "$COUNTS" | sed 's/^family\.//' | tr '\n' ' ')"

# --- warm the page cache --------------------------------------------------
cat "$PCAP" >/dev/null

# --- runs -----------------------------------------------------------------
LOG=$(mktemp -d "${TMPDIR:-/tmp}/mamori-bench.XXXXXX")
trap 'rm -rf "$LOG"' EXIT
# Captured bytes and packets as libpcap sees them (what Gbit/s is computed on).
ref=$("$READLOOP" "$PCAP")
BYTES=$(sed -E 's/.*bytes=([0-9]+).*/\1/' <<<"$ref")
PKTS=$(sed -E 's/.*packets=([0-9]+).*/\1/' <<<"$ref")

declare -A GBPS CPU
printf '\n%-10s %9s %8s %9s %12s %10s %8s %8s  %s\n' config wall_s cpu_s Gbit/s packets/s peakRSS/MB ratio cpuratio what
for row in "${CONFIGS[@]}"; do
	IFS='|' read -r name what cmd <<<"$row"
	[[ $name =~ $ONLY ]] || continue
	best=
	for _ in $(seq 1 "$REPEAT"); do
		rm -rf "$LOG/eve"
		c=${cmd//\{pcap\}/$PCAP}
		c=${c//\{log\}/$LOG/eve}
		read -r -a argv <<<"$c"
		t0=$(date +%s.%N)
		if ! /usr/bin/time -v -o "$LOG/time" "${argv[@]}" >"$LOG/out" 2>"$LOG/err"; then
			echo "bench: $name failed:" >&2
			tail -5 "$LOG/err" >&2
			continue 2
		fi
		wall=$(calc "$(date +%s.%N) - $t0")
		rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$LOG/time")
		cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { print s }' "$LOG/time")
		if [ -z "$best" ] || [ "$(calc "$wall < $best")" = 1 ]; then
			best=$wall
			best_rss=$rss
			best_cpu=$cpu
		fi
	done
	[ "$(calc "$best > 0")" = 1 ] || best=0.001
	gbps=$(calc "$BYTES * 8 / $best / 1000000000")
	pps=$(calc "int($PKTS / $best)")
	GBPS[$name]=$gbps
	CPU[$name]=$best_cpu
	ratio=- cratio=-
	if [ -n "${GBPS[readloop]:-}" ]; then
		ratio=$(calc "sprintf(\"%.1f%%\", 100 * $gbps / ${GBPS[readloop]})")
		cratio=$(calc "sprintf(\"%.1f%%\", 100 * ${CPU[readloop]} / ($best_cpu > 0 ? $best_cpu : 0.001))")
	fi
	printf '%-10s %9.3f %8.2f %9.3f %12d %10.1f %8s %8s  %s\n' "$name" "$best" "$best_cpu" "$gbps" \
		"$pps" "$(calc "$best_rss / 1024")" "$ratio" "$cratio" "$what"
	if [ "$name" != readloop ] && [ -f "$LOG/eve/eve.json" ]; then
		echo "           eve.json: $(grep -c . "$LOG/eve/eve.json") records" \
			"($(grep -c '"event_type":"http"' "$LOG/eve/eve.json") http," \
			"$(grep -c '"event_type":"dns"' "$LOG/eve/eve.json") dns," \
			"$(grep -c '"event_type":"smtp"' "$LOG/eve/eve.json") smtp)"
	fi
done
echo
echo "Gbit/s and packets/s: captured bytes/packets ($BYTES bytes, $PKTS packets) over wall time" \
	"incl. start-up, best of $REPEAT, file in the page cache.  ratio = Gbit/s / readloop's;" \
	"cpuratio = readloop's CPU seconds / this one's (steadier on a shared machine)."
