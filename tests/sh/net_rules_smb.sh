#!/usr/bin/env bash
# End-to-end test of the built-in Conficker SMB/DCERPC rules and the Flame
# TLS SNI rule (issue 4) on the committed fixtures in tests/data/smb and
# tests/data/tls: each MS08-067 delivery variant alerts once (SMB1, SMB2,
# many DCERPC fragments, 24-byte TCP segments, context id 2 of three,
# big-endian data representation, DCERPC over TCP), an ordinary
# NetprPathCanonicalize call does not; NetrJobAdd, ADMIN$ and the failed
# logon burst alert, three failed logons do not.  The fixtures were
# captured on loopback, so the config puts 127.0.0.0/8 in HOME_NET (and,
# for the TLS case, lets EXTERNAL_NET be any).
set -euo pipefail
: "${MAMORI:?}" "${SRCDIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/lo.yaml" <<'YAML'
vars:
  address-groups:
    HOME_NET: "[127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]"
YAML
cat > "$tmp/other.yaml" <<'YAML'
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8]"
YAML
cat > "$tmp/lo-ext.yaml" <<'YAML'
vars:
  address-groups:
    HOME_NET: "[127.0.0.0/8]"
    EXTERNAL_NET: "any"
YAML
fail=0
check() { # pcap config expected-sids...
	local pcap=$1 cfg=$2
	shift 2
	local want="$*"
	"$MAMORI" net -q --no-correlation -c "$cfg" -r "$pcap" -l "$tmp/out"
	local got
	got=$(python3 -c 'import json,sys; print(" ".join(str(s) for s in sorted(d["alert"]["signature_id"] for d in map(json.loads, open(sys.argv[1])) if d["event_type"] == "alert")))' "$tmp/out/eve.json")
	if [ "$got" = "$want" ]; then
		echo "ok   $(basename "$pcap"): [$got]"
	else
		echo "FAIL $(basename "$pcap"): got [$got], want [$want]"
		fail=1
	fi
}
D=$SRCDIR/tests/data/smb
for v in ms08067_smb2 ms08067_smb1 ms08067_frags ms08067_tcpseg ms08067_ctx ms08067_be; do
	check "$D/$v.pcap" "$tmp/lo.yaml" 9102010
done
check "$D/dcerpc_tcp.pcap" "$tmp/lo.yaml" 9102010 9102010   # little- and big-endian calls
check "$D/netpr_benign.pcap" "$tmp/lo.yaml"                  # ordinary path: no alert
check "$D/smb2_srvsvc.pcap" "$tmp/lo.yaml"                   # real srvsvc share enumeration
check "$D/atsvc_jobadd.pcap" "$tmp/lo.yaml" 9102011
check "$D/smb2_admin.pcap" "$tmp/lo.yaml" 9102012
check "$D/smb2_session.pcap" "$tmp/lo.yaml"                  # ordinary share, file copy
check "$D/smb2_failed.pcap" "$tmp/lo.yaml"                   # 3 failures: below the burst
check "$D/smb2_failed_burst.pcap" "$tmp/lo.yaml" 9102013     # 12 failures in 8 s
# The crafted requests go to 192.168.56.10; with HOME_NET 10.0.0.0/8 that
# host is not protected, so the same request does not alert.
check "$D/ms08067_smb2.pcap" "$tmp/other.yaml"
T=$SRCDIR/tests/data/tls
check "$T/flame.pcap" "$tmp/lo-ext.yaml" 9101011             # SNI in the Flame C&C dataset
check "$T/tls12.pcap" "$tmp/lo-ext.yaml"                     # ordinary SNI
exit $fail
