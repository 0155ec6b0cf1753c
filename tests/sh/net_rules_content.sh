#!/usr/bin/env bash
# End-to-end content tests of the built-in rules (rules/mamori.rules):
#  1. `mamori rules check` loads every built-in rule;
#  2. make_family_pcaps.py still reproduces the committed fixtures byte for
#     byte (so the pcaps are what the script documents);
#  3. each fixture of tests/data/net/family/ raises exactly the alerts listed
#     in expected.txt (positive cases, near-miss negatives, TCP split,
#     out-of-order segments, chunked + gzip body);
#  4. the traffic generator's --family capture (tests/data/net/family.pcap)
#     raises one alert per embedded Storm/Flame/Conficker session as counted
#     in family.counts, and its captures without family traffic raise none
#     (false positives on normal browsing, DNS and SMTP).
# Skips (77) while `mamori net` has no rule engine (no -S in its --help).
set -u
: "${MAMORI:?MAMORI must point at the mamori binary}"
: "${SRCDIR:?SRCDIR must point at the source tree}"
FAM="$SRCDIR/tests/data/net/family"
NET="$SRCDIR/tests/data/net"

if ! "$MAMORI" net --help 2>&1 | grep -qE '(^|[[:space:]])-S[[:space:]]'; then
	echo "SKIP: 'mamori net' has no rule engine yet (no -S in 'mamori net --help')"
	exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

# 1. the rules load
if ! "$MAMORI" rules check "$SRCDIR/rules/mamori.rules" >"$TMP/check.out" 2>&1; then
	echo "FAIL: mamori rules check rules/mamori.rules"; cat "$TMP/check.out"; fail=1
fi

# 2. fixtures reproducible (and all listed: every .pcap has an expectation)
mkdir -p "$TMP/regen"
python3 "$FAM/make_family_pcaps.py" "$TMP/regen" >/dev/null || { echo "FAIL: generator"; fail=1; }
# (the gzip fixtures hold zlib/Python output, which may differ between
# versions of those: a difference there is only reported)
for f in "$TMP"/regen/*.pcap; do
	b=$(basename "$f")
	if ! cmp -s "$f" "$FAM/$b"; then
		case "$b" in
		*gzip*) echo "note: $b differs from a fresh run (zlib/Python version)" ;;
		*) echo "FAIL: $b differs from what make_family_pcaps.py writes"; fail=1 ;;
		esac
	fi
done

# alerts PCAP -> "sid:count ..." (sorted), "-" when none
alerts() {
	local out="$TMP/run"
	rm -rf "$out"; mkdir -p "$out"
	"$MAMORI" net -q -r "$1" -l "$out" >"$TMP/net.out" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "ERROR rc=$rc"; cat "$TMP/net.out" >&2; return
	fi
	python3 - "$out/eve.json" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "alert":
        c[r["alert"]["signature_id"]] += 1
print(" ".join("%d:%d" % (s, c[s]) for s in sorted(c)) or "-")
PY
}

for f in "$FAM"/*.pcap; do
	b=$(basename "$f" .pcap)
	grep -qE "^$b[[:space:]]" "$FAM/expected.txt" || { echo "FAIL: $b.pcap has no line in expected.txt"; fail=1; }
done

# 3. per-fixture expectations
n=0
while read -r name want; do
	case "$name" in ''|'#'*) continue ;; esac
	want=$(echo "$want" | tr -s ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
	got=$(alerts "$FAM/$name.pcap")
	n=$((n + 1))
	if [ "$got" != "$want" ]; then
		echo "FAIL: $name: expected [$want], got [$got]"; fail=1
	else
		echo "ok   $name: $got"
	fi
done < "$FAM/expected.txt"
echo "$n fixtures checked"

# 4. generator captures
if [ -f "$NET/family.pcap" ] && [ -f "$NET/family.counts" ]; then
	want=$(python3 - "$NET/family.counts" <<'PY'
import sys
c = dict(l.split() for l in open(sys.argv[1]) if l.strip())
m = {9100001: c["family.storm_post"], 9100002: c["family.storm_post"],
     9101002: c["family.flame_get"], 9102001: c["family.conficker_checkin"]}
print(" ".join("%d:%s" % (s, m[s]) for s in sorted(m) if int(m[s])) or "-")
PY
)
	got=$(alerts "$NET/family.pcap")
	if [ "$got" != "$want" ]; then
		echo "FAIL: family.pcap (mamori-gen --family): expected [$want], got [$got]"; fail=1
	else
		echo "ok   family.pcap: $got"
	fi
fi
for p in mixed altport live; do
	[ -f "$NET/$p.pcap" ] || continue
	got=$(alerts "$NET/$p.pcap")
	if [ "$got" != "-" ]; then
		echo "FAIL: $p.pcap (normal traffic) raised built-in alerts: [$got]"; fail=1
	else
		echo "ok   $p.pcap: no alert"
	fi
done

exit $fail
