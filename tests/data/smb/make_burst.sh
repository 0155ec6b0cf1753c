#!/usr/bin/env bash
# Builds smb2_failed_burst.pcap: the three real failed Samba logons of
# smb2_failed.pcap repeated four times, 2 s apart (12 failures in 8 s), for
# the failed-logon burst rule.  Needs editcap and mergecap (wireshark-common).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in 0 1 2 3; do
	editcap -t $((i * 2)) smb2_failed.pcap "$tmp/part$i.pcap"
done
mergecap -F pcap -w smb2_failed_burst.pcap "$tmp"/part*.pcap
