#!/usr/bin/env bash
# Live capture: replays a small generated pcap (tests/data/net/live.pcap)
# with tcpreplay onto one end of a veth pair inside a network namespace this
# test creates, captures the other end with `mamori net -i`, stops mamori
# with SIGINT and checks that the http, dns and smtp records equal those of
# `mamori net -r` on the same pcap, compared as multisets of (event_type,
# addresses, ports, protocol fields) — timestamps and flow ids differ
# between the two runs and are ignored.
#
# No timing assumptions for correctness: mamori is known to be capturing
# once its packet socket shows in the namespace's /proc/net/packet; after
# the replay the test waits (up to 5 s) until the live eve.json holds as
# many records as the offline one, then sends SIGINT.  Skips (77) with the
# reason when namespaces or veth devices cannot be created.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
PCAP=$SRCDIR/tests/data/net/live.pcap

skip() {
	echo "skip: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN) to create a network namespace"
command -v ip >/dev/null 2>&1 || skip "iproute2 'ip' not installed"
command -v tcpreplay >/dev/null 2>&1 || skip "tcpreplay not installed (apt-get install tcpreplay)"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ -f "$PCAP" ] || { echo "missing $PCAP"; exit 1; }

NS=mamori-live-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mamori-live.XXXXXX")
MPID=
cleanup() {
	if [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null; then
		kill -KILL "$MPID" 2>/dev/null
		wait "$MPID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>"$TMP/err" || skip "cannot create a network namespace: $(cat "$TMP/err")"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link add veth0 type veth peer name veth1 2>"$TMP/err" ||
	skip "cannot create a veth pair: $(cat "$TMP/err")"
# No addresses and no IPv6 on the pair: the kernel then sends nothing of
# its own (router solicitations, RSTs) that would mix with the replay.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
nsx ip link set veth0 up
nsx ip link set veth1 up
nsx ip link set lo up

# Offline reference.
if ! "$MAMORI" net -r "$PCAP" -l "$TMP/offline" -q 2>"$TMP/offline.err"; then
	echo "mamori net -r failed:"
	cat "$TMP/offline.err"
	exit 1
fi

count_records() {
	[ -f "$1" ] || { echo 0; return; }
	grep -cE '"event_type":"(http|dns|smtp)"' "$1"
}
want=$(count_records "$TMP/offline/eve.json")
[ "$want" -gt 0 ] || { echo "offline run wrote no http/dns/smtp records"; exit 1; }

# Started directly (ip netns exec execs mamori, so $! is mamori's pid) and
# with job control on: a non-interactive shell otherwise starts background
# commands with SIGINT ignored, and SIGINT is how this test stops mamori.
set -m
ip netns exec "$NS" "$MAMORI" net -i veth0 -l "$TMP/live" 2>"$TMP/live.err" &
MPID=$!
set +m

# mamori says "capturing on veth0" once the capture is active (the packet
# socket exists a little earlier, while libpcap is still setting it up, and
# packets sent in that window were missed now and then).
ready=0
for _ in $(seq 1 200); do
	if ! kill -0 "$MPID" 2>/dev/null; then
		echo "mamori net -i exited early:"
		cat "$TMP/live.err"
		exit 1
	fi
	if grep -q "capturing on veth0" "$TMP/live.err" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" = 1 ] || { echo "mamori did not open a capture on veth0 within 20 s"; exit 1; }

if ! nsx tcpreplay -q -i veth1 --pps=400 "$PCAP" >"$TMP/replay.out" 2>&1; then
	echo "tcpreplay failed:"
	cat "$TMP/replay.out"
	exit 1
fi

# Records may only reach the file at exit (buffered EVE); then this waits
# the full 5 s, which also covers libpcap's ring-buffer block timeout.
for _ in $(seq 1 50); do
	[ "$(count_records "$TMP/live/eve.json")" -ge "$want" ] && break
	sleep 0.1
done
kill -INT "$MPID"
wait "$MPID"
rc=$?
MPID=
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	echo "mamori net -i exited with $rc after SIGINT:"
	cat "$TMP/live.err"
	exit 1
fi

python3 - "$TMP/offline/eve.json" "$TMP/live/eve.json" <<'EOF'
import collections, json, sys

KEYS = {
    "http": ("hostname", "url", "http_user_agent", "http_method", "status", "length"),
    "dns": ("type", "id", "rrname", "rrtype", "rcode", "answers"),
    "smtp": ("helo", "mail_from", "rcpt_to"),
}

def keys(path):
    c = collections.Counter()
    try:
        f = open(path)
    except OSError:
        return c
    with f:
        for line in f:
            r = json.loads(line)
            et = r.get("event_type")
            if et not in KEYS:
                continue
            obj = r.get(et, {})
            fields = tuple(json.dumps(obj.get(k), sort_keys=True) for k in KEYS[et])
            c[(et, r.get("src_ip"), r.get("src_port"), r.get("dest_ip"), r.get("dest_port"),
               r.get("proto"), fields)] += 1
    return c

off, live = keys(sys.argv[1]), keys(sys.argv[2])
per_type = lambda c: dict(collections.Counter(k[0] for k in c.elements()))
print("offline records:", per_type(off))
print("live records:   ", per_type(live))
bad = 0
for k in sorted(set(off) | set(live), key=repr):
    if off[k] != live[k]:
        bad += 1
        if bad <= 20:
            print(f"  differs: offline {off[k]} live {live[k]}: {k}")
if bad:
    print(f"FAIL: {bad} record keys differ between -r and -i")
    sys.exit(1)
print("live capture matches offline read")
EOF
