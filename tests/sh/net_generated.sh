#!/usr/bin/env bash
# End-to-end check of `mamori net` against traffic with known contents: the
# pcaps in tests/data/net/ were written by mamori-gen (bench/gen_traffic.c),
# which also wrote NAME.counts — what it put in each file.  For each pcap
# the EVE records must match those counts exactly: HTTP requests (and how
# many on ports 8080/5000), DNS queries and NXDOMAIN answers, SMTP mails and
# recipients, and in family.pcap the inert family-like requests (Storm's
# "Windoss" User-Agent, Flame's rss.php?UNIQUE_NUMBER=, Conficker's
# /search?q=N check-ins).
#
# Then the generator itself: the same options give byte-identical output,
# and where tshark is installed it agrees with the generator's counts and
# finds no bad IPv4/TCP/UDP checksum.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
DATA=$SRCDIR/tests/data/net
GEN=$BUILDDIR/bench/mamori-gen
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mamori-gen-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0

for pcap in "$DATA"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	if ! "$MAMORI" net -r "$pcap" -l "$TMP/$name" -q 2>"$TMP/$name.err"; then
		echo "FAIL $name: mamori net exited non-zero:"
		cat "$TMP/$name.err"
		fail=1
		continue
	fi
	python3 - "$TMP/$name/eve.json" "$DATA/$name.counts" "$name" <<'EOF' || fail=1
import json, re, sys
eve, counts, name = sys.argv[1:4]
want = dict((k, int(v)) for k, v in (l.split() for l in open(counts) if l.strip()))
got = dict.fromkeys(["http_requests", "http_alt_port_requests", "dns_queries", "dns_nxdomain",
                     "smtp_mails", "smtp_rcpts", "family.storm_post", "family.flame_get",
                     "family.conficker_checkin"], 0)
for line in open(eve):
    r = json.loads(line)
    et = r.get("event_type")
    if et == "http":
        h = r["http"]
        got["http_requests"] += 1
        if r.get("dest_port") in (8080, 5000):
            got["http_alt_port_requests"] += 1
        ua, url = h.get("http_user_agent") or "", h.get("url") or ""
        if "Windoss NT" in ua and h.get("http_method") == "POST":
            got["family.storm_post"] += 1
        if url.startswith("/wp-content/rss.php?UNIQUE_NUMBER="):
            got["family.flame_get"] += 1
        if re.fullmatch(r"/search\?q=\d+", url):
            got["family.conficker_checkin"] += 1
    elif et == "dns":
        d = r["dns"]
        if d.get("type") == "query":
            got["dns_queries"] += 1
        elif d.get("type") == "answer" and d.get("rcode") == "NXDOMAIN":
            got["dns_nxdomain"] += 1
    elif et == "smtp" and r["smtp"].get("mail_from"):
        got["smtp_mails"] += 1
        got["smtp_rcpts"] += len(r["smtp"].get("rcpt_to") or [])
bad = [f"{k}: generator {want.get(k, 0)}, mamori {v}" for k, v in got.items() if want.get(k, 0) != v]
for b in bad:
    print(f"FAIL {name}: {b}")
if not bad:
    print(f"ok   {name}: " + ", ".join(f"{k} {v}" for k, v in got.items() if v))
sys.exit(1 if bad else 0)
EOF
done

if [ ! -x "$GEN" ]; then
	echo "note: $GEN not built; generator checks skipped"
	exit $fail
fi
args=(--seed 99 --count 40 --family --alt-ports 20 --max-body 64k)
"$GEN" "${args[@]}" --out "$TMP/a.pcap" >"$TMP/a.counts" &&
	"$GEN" "${args[@]}" --out "$TMP/b.pcap" >"$TMP/b.counts" || { echo "FAIL: mamori-gen failed"; exit 1; }
if cmp -s "$TMP/a.pcap" "$TMP/b.pcap" && cmp -s "$TMP/a.counts" "$TMP/b.counts"; then
	echo "ok   generator: same options, identical output"
else
	echo "FAIL generator: two runs with the same seed differ"
	fail=1
fi
if command -v tshark >/dev/null 2>&1; then
	# One tshark pass (it is slow to start); one line per frame.
	tshark -n -r "$TMP/a.pcap" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o ip.check_checksum:TRUE -T fields -E occurrence=a -E aggregator=/ \
		-e http.request -e dns.flags.response -e dns.flags.rcode -e smtp.req.command \
		-e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status \
		>"$TMP/a.fields" 2>/dev/null
	tcount() { awk -F'\t' "$1" "$TMP/a.fields" | wc -l; }
	want() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/a.counts"; }
	check() {
		if [ "$2" = "$3" ]; then echo "ok   generator/tshark $1: $2"; else
			echo "FAIL generator/tshark $1: generator $2, tshark $3"; fail=1; fi
	}
	check http_requests "$(want http_requests)" "$(tcount '$1 == "1"')"
	check dns_queries "$(want dns_queries)" "$(tcount '$2 == "0"')"
	check dns_nxdomain "$(want dns_nxdomain)" "$(tcount '$3 == "3"')"
	check smtp_mails "$(want smtp_mails)" "$(tcount '$4 == "MAIL"')"
	check packets "$(want packets)" "$(tcount '1')"
	check bad_checksums 0 "$(tcount '$5 ~ /(^|\/)0($|\/)/ || $6 == "0" || $7 == "0"')"
else
	echo "note: tshark not installed; generator/tshark cross-check skipped"
fi
exit $fail
