#!/usr/bin/env bash
# End to end: `mamori net -r` on the committed TLS and SSH captures
# (tests/data/tls, tests/data/ssh; real openssl s_server/s_client, sshd/ssh
# and a python3 socket pair on loopback) and checks of the EVE tls and ssh
# records against independent references:
#   - certificate fields against `openssl x509` on the same cert.pem,
#     run here (subject, issuer, serial, SHA-1 fingerprint, validity),
#     also with a client certificate in the handshake (clientauth.pcap);
#   - JA3/JA3S strings and hashes against tshark's (tls.handshake.ja3*,
#     kept in tests/data/tls/ja3.txt by make.sh);
#   - hassh against tshark's ssh.kex.hassh / hasshserver (hassh.txt).
# One record per session, app_proto detected by probing (port 44312 and
# 2223 have no port hint).  Skips (77) when python3 or openssl is missing.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
skip() {
	echo "skip: $*"
	exit 77
}
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
TLS=$SRCDIR/tests/data/tls
SSH=$SRCDIR/tests/data/ssh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mamori-tlsssh.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for p in "$TLS"/tls12.pcap "$TLS"/tls13.pcap "$TLS"/flame.pcap \
	"$TLS"/clientauth.pcap \
	"$SSH"/openssh.pcap "$SSH"/prebanner.pcap; do
	name=$(basename "$p" .pcap)
	mkdir -p "$TMP/$name"
	if ! "$MAMORI" net -r "$p" -l "$TMP/$name" >"$TMP/$name.out" 2>&1; then
		echo "mamori net -r $p failed:"
		cat "$TMP/$name.out"
		exit 1
	fi
done
openssl x509 -in "$TLS/cert.pem" -noout -subject -issuer -serial -startdate \
	-enddate -fingerprint -sha1 \
	-nameopt sep_comma_plus_space,sname,utf8,-esc_msb >"$TMP/x509.txt" || exit 1

python3 - "$TMP" "$TLS" "$SSH" <<'PY'
import datetime
import json
import sys

tmp, tls_dir, ssh_dir = sys.argv[1:4]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def records(name, etype):
    out = []
    with open("%s/%s/eve.json" % (tmp, name)) as f:
        for line in f:
            r = json.loads(line)
            if r.get("event_type") == etype:
                out.append(r)
    return out


# openssl x509 -> Suricata's formats
x = {}
with open(tmp + "/x509.txt") as f:
    for line in f:
        k, _, v = line.strip().partition("=")
        x[k] = v


def ts(v):
    d = datetime.datetime.strptime(v.replace(" GMT", ""), "%b %d %H:%M:%S %Y")
    return d.strftime("%Y-%m-%dT%H:%M:%S")


serial = x["serial"]
if len(serial) % 2:
    serial = "0" + serial
if serial[0] in "89ABCDEF":
    serial = "00" + serial  # Suricata prints the DER content bytes
want_cert = {
    "subject": x["subject"],
    "issuerdn": x["issuer"],
    "serial": ":".join(serial[i:i + 2] for i in range(0, len(serial), 2)),
    "fingerprint": x["sha1 Fingerprint"].lower(),
    "notbefore": ts(x["notBefore"]),
    "notafter": ts(x["notAfter"]),
}

# tshark's JA3 / JA3S (ja3.txt: name, ja3 hash, ja3 string, ja3s hash, ja3s string)
ja3 = {}
with open(tls_dir + "/ja3.txt") as f:
    for line in f:
        name, h, s, sh, ss = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
        d = ja3.setdefault(name, {})
        if h:
            d["ja3"] = {"hash": h, "string": s}
        if sh:
            d["ja3s"] = {"hash": sh, "string": ss}

cases = {
    "tls12": ("www.example.test", "TLS 1.2", True, 44312),
    "tls13": ("tls13.example.test", "TLS 1.3", False, 8443),
    "flame": ("traffic-spot.biz", "TLS 1.2", True, 443),
    # client authentication: the record shows the server's certificate
    "clientauth": ("auth.example.test", "TLS 1.2", True, 44315),
}
for name, (sni, version, cert, port) in cases.items():
    recs = records(name, "tls")
    check(len(recs) == 1, "%s: %d tls records, want 1" % (name, len(recs)))
    if not recs:
        continue
    r = recs[0]
    t = r.get("tls", {})
    check(r.get("app_proto") == "tls", "%s: app_proto %r" % (name, r.get("app_proto")))
    check(r.get("dest_port") == port, "%s: dest_port %r" % (name, r.get("dest_port")))
    check(t.get("sni") == sni, "%s: sni %r" % (name, t.get("sni")))
    check(t.get("version") == version, "%s: version %r" % (name, t.get("version")))
    for k in ("ja3", "ja3s"):
        check(t.get(k) == ja3[name][k], "%s: %s %r != tshark %r" % (name, k, t.get(k), ja3[name][k]))
    for k, v in want_cert.items():
        if cert:
            check(t.get(k) == v, "%s: %s %r != openssl %r" % (name, k, t.get(k), v))
        else:
            check(k not in t, "%s: %s present in TLS 1.3 (cert is encrypted)" % (name, k))
    check("session_resumed" not in t, "%s: session_resumed" % name)

# SSH
hassh = {}
with open(ssh_dir + "/hassh.txt") as f:
    for line in f:
        port, _, c, s = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
        if c:
            hassh["client"] = c
        if s:
            hassh["server"] = s
recs = records("openssh", "ssh")
check(len(recs) == 1, "openssh: %d ssh records, want 1" % len(recs))
for r in recs[:1]:
    s = r.get("ssh", {})
    for side in ("client", "server"):
        d = s.get(side, {})
        check(d.get("proto_version") == "2.0", "openssh %s proto %r" % (side, d.get("proto_version")))
        check(d.get("software_version") == "OpenSSH_9.2p1",
              "openssh %s software %r" % (side, d.get("software_version")))
        check(d.get("hassh", {}).get("hash") == hassh[side],
              "openssh %s hassh %r != tshark %r" % (side, d.get("hassh"), hassh[side]))
recs = records("prebanner", "ssh")
check(len(recs) == 1, "prebanner: %d ssh records, want 1" % len(recs))
for r in recs[:1]:
    s = r.get("ssh", {})
    check(r.get("app_proto") == "ssh", "prebanner app_proto %r" % r.get("app_proto"))
    check(s.get("client") == {"proto_version": "1.99", "software_version": "PuTTY_Release_0.78"},
          "prebanner client %r" % s.get("client"))
    check(s.get("server") == {"proto_version": "2.0", "software_version": "mamori_test_server_1.0"},
          "prebanner server %r" % s.get("server"))

for f in fails:
    print("FAIL:", f)
print("%d checks failed" % len(fails) if fails else "all tls/ssh records as expected")
sys.exit(1 if fails else 0)
PY
