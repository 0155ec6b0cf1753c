#!/usr/bin/env bash
# End-to-end checks of the detection engine through `mamori net`:
#  - a content split across two TCP segments, and the same segments sent
#    out of order, still fire a stream rule (once) and an http.user_agent
#    rule (once per transaction, with tx_id and the "http" object), while a
#    flow:no_stream rule (packet payload only) does not;
#  - EVE alert shape (alert{action,gid,signature_id,rev,signature,category,
#    severity,metadata}, app_proto, flow.alerted in the flow record, the
#    stats record's detect.alert);
#  - pass rules silence the flow; -S replaces, -s adds to the built-in
#    rules; --no-rules; a broken rule is a file:line warning and the run
#    goes on; --json summary has "alerts"; -c mamori.yaml (HOME_NET,
#    rule-files, eve file name);
#  - the generated family.pcap (tests/data/net) gives as many alerts on
#    Storm's "Windoss" user agent as the generator wrote such requests.
# The pcaps are written here by a few lines of Python: inert HTTP requests.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mamori-detect-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0

python3 - "$TMP" <<'EOF'
import struct, sys
out = sys.argv[1]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def tcp(src, dst, sp, dp, seq, ack, flags, data=b""):
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(ph + hdr + data)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    tot = 20 + len(hdr) + len(data)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x00\x66\x77\x88\x99\xaa" + b"\x08\x00"
    return eth + iph + hdr + data

def write(name, frames):
    with open(out + "/" + name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000.0
        for fr in frames:
            t += 0.001
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)

def session(order, sport):
    c, s = "192.168.1.10", "10.9.9.9"
    p1 = b"GET /abc.jpg HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Win"
    p2 = b"doss\r\nAccept: */*\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    cs, ss = 1000, 5000
    f = [tcp(c, s, sport, 80, cs, 0, 0x02), tcp(s, c, 80, sport, ss, cs + 1, 0x12),
         tcp(c, s, sport, 80, cs + 1, ss + 1, 0x10)]
    seg1 = tcp(c, s, sport, 80, cs + 1, ss + 1, 0x18, p1)
    seg2 = tcp(c, s, sport, 80, cs + 1 + len(p1), ss + 1, 0x18, p2)
    f += [seg1, seg2] if order == "in" else [seg2, seg1]
    end = cs + 1 + len(p1) + len(p2)
    f += [tcp(s, c, 80, sport, ss + 1, end, 0x18, resp),
          tcp(c, s, sport, 80, end, ss + 1 + len(resp), 0x11),
          tcp(s, c, 80, sport, ss + 1 + len(resp), end + 1, 0x11),
          tcp(c, s, sport, 80, end + 1, ss + 2 + len(resp), 0x10)]
    return f

write("split.pcap", session("in", 40001))
write("ooo.pcap", session("out", 40002))
EOF

cat >"$TMP/t.rules" <<'EOF'
alert tcp any any -> any 80 (msg:"stream Windoss"; flow:to_server,established; content:"User-Agent: Windoss"; classtype:trojan-activity; metadata:family storm, created_at 2024; sid:9000001; rev:3;)
alert http any any -> any any (msg:"ua Windoss"; flow:to_server; http.user_agent; content:"Windoss"; sid:9000002; rev:1;)
alert tcp any any -> any 80 (msg:"packet only"; flow:no_stream; content:"Windoss"; sid:9000003; rev:1;)
alert http any any -> any any (msg:"no such uri"; http.uri; content:"/nothere"; sid:9000004; rev:1;)
EOF

# check EVE SID COUNT...: exact alert counts per sid
check() {
	python3 - "$@" <<'EOF'
import json, sys
eve = sys.argv[1]
want = dict(zip(sys.argv[2::2], map(int, sys.argv[3::2])))
got, alerted, stats = {}, [], None
for line in open(eve):
    r = json.loads(line)
    if r["event_type"] == "alert":
        sid = str(r["alert"]["signature_id"])
        got[sid] = got.get(sid, 0) + 1
        a = r["alert"]
        for k in ("action", "gid", "signature_id", "rev", "signature", "category", "severity"):
            assert k in a, "alert without " + k
        assert a["action"] == "allowed"
        if sid == "9000001":
            assert a["rev"] == 3 and a["category"] == "A Network Trojan was Detected", a
            assert a["metadata"] == {"family": ["storm"], "created_at": ["2024"]}, a
            assert r["src_ip"] == "192.168.1.10" and r["dest_port"] == 80, r
        if sid == "9000002":
            assert r["tx_id"] == 0 and r["app_proto"] == "http", r
            assert "Windoss" in r["http"]["http_user_agent"], r
    elif r["event_type"] == "flow":
        alerted.append(r["flow"]["alerted"])
    elif r["event_type"] == "stats":
        stats = r["stats"]
bad = [(s, got.get(s, 0), n) for s, n in want.items() if got.get(s, 0) != n]
if bad:
    sys.exit("alert counts (sid, got, want): %s" % bad)
total = sum(got.values())
if total and not any(alerted):
    sys.exit("flow.alerted not set")
if stats is not None and stats.get("detect", {}).get("alert", 0) != total:
    sys.exit("stats detect.alert %s != %d" % (stats.get("detect"), total))
EOF
}

run() {	# run NAME ARGS...: mamori net into $TMP/NAME
	local name=$1
	shift
	if ! "$MAMORI" net -l "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; then
		echo "FAIL $name: mamori net exited non-zero"
		cat "$TMP/$name.err"
		fail=1
		return 1
	fi
}

for p in split ooo; do
	if run "$p" -r "$TMP/$p.pcap" -S "$TMP/t.rules"; then
		check "$TMP/$p/eve.json" 9000001 1 9000002 1 9000003 0 9000004 0 ||
			{ echo "FAIL $p"; fail=1; }
	fi
done

# pass rules silence the flow
cp "$TMP/t.rules" "$TMP/p.rules"
echo 'pass tcp any any -> any 80 (msg:"pass it"; content:"GET /abc"; sid:9000010;)' >>"$TMP/p.rules"
if run pass -r "$TMP/split.pcap" -S "$TMP/p.rules"; then
	check "$TMP/pass/eve.json" 9000001 0 9000002 0 9000010 0 || { echo "FAIL pass"; fail=1; }
fi

# a broken rule: warning with file:line, the rest loads, exit 0
cp "$TMP/t.rules" "$TMP/b.rules"
echo 'alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:9000020;)' >>"$TMP/b.rules"
if run broken -r "$TMP/split.pcap" -S "$TMP/b.rules"; then
	grep -q "b.rules:5:" "$TMP/broken.err" || { echo "FAIL broken: no file:line warning"; cat "$TMP/broken.err"; fail=1; }
	check "$TMP/broken/eve.json" 9000001 1 9000002 1 || { echo "FAIL broken"; fail=1; }
fi

# --no-rules: no alerts; --json summary carries "alerts"
if run norules -r "$TMP/split.pcap" -S "$TMP/t.rules" --no-rules --json; then
	check "$TMP/norules/eve.json" 9000001 0 9000002 0 || { echo "FAIL no-rules"; fail=1; }
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["alerts"] == 0 else 1)' \
		"$TMP/norules.out" || { echo "FAIL --json alerts"; fail=1; }
fi
if run jsonsum -r "$TMP/split.pcap" -S "$TMP/t.rules" --json; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["alerts"] == 2 else 1)' \
		"$TMP/jsonsum.out" || { echo "FAIL --json alerts != 2"; cat "$TMP/jsonsum.out"; fail=1; }
fi

# -S replaces the built-in set, -s adds to it (an empty rules dir here)
mkdir -p "$TMP/rdir"
cp "$TMP/t.rules" "$TMP/rdir/mamori.rules"
echo 'alert http any any -> any any (msg:"extra"; http.host; content:"example.test"; sid:9000030;)' >"$TMP/x.rules"
if run builtin -r "$TMP/split.pcap" --rules-dir "$TMP/rdir"; then
	check "$TMP/builtin/eve.json" 9000001 1 9000030 0 || { echo "FAIL built-in rules"; fail=1; }
fi
if run adds -r "$TMP/split.pcap" --rules-dir "$TMP/rdir" -s "$TMP/x.rules"; then
	check "$TMP/adds/eve.json" 9000001 1 9000030 1 || { echo "FAIL -s"; fail=1; }
fi
if run replaces -r "$TMP/split.pcap" --rules-dir "$TMP/rdir" -S "$TMP/x.rules"; then
	check "$TMP/replaces/eve.json" 9000001 0 9000030 1 || { echo "FAIL -S"; fail=1; }
fi

# -c mamori.yaml: its address groups, rule-files and eve file name apply
echo 'alert http $HOME_NET any -> any any (msg:"home"; http.host; content:"example.test"; sid:9000040;)' >"$TMP/home.rules"
for net in 192.168.0.0/16:1 10.0.0.0/8:0; do
	printf 'vars:\n  address-groups:\n    HOME_NET: "[%s]"\ndefault-rule-path: %s\nrule-files: [home.rules]\noutputs:\n  eve:\n    filename: cfg.json\n' \
		"${net%%:*}" "$TMP" >"$TMP/mamori.yaml"
	if run "cfg${net##*:}" -r "$TMP/split.pcap" -c "$TMP/mamori.yaml"; then
		check "$TMP/cfg${net##*:}/cfg.json" 9000040 "${net##*:}" 9000001 0 ||
			{ echo "FAIL config HOME_NET=${net%%:*}"; fail=1; }
	fi
done

# family.pcap: one alert per Storm-like request (the generator's count)
FAM=$SRCDIR/tests/data/net/family
if [ -f "$FAM.pcap" ]; then
	want=$(awk '$1 == "family.storm_post" {print $2}' "$FAM.counts")
	if run family -r "$FAM.pcap" -S "$TMP/t.rules"; then
		check "$TMP/family/eve.json" 9000002 "$want" || { echo "FAIL family"; fail=1; }
	fi
fi

[ "$fail" = 0 ] && echo "net_detect: all checks passed"
exit "$fail"
