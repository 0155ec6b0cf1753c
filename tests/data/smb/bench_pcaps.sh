#!/bin/bash
# Benchmark inputs for the SMB parser (not committed: large): captures, in
# a network namespace this script creates, (1) SMB2/3 file copies -- a
# 64 MiB file put and fetched 3 times with smbclient against Samba -- and
# (2) the same bytes over HTTP (python3 http.server, curl), then times
# `mamori net` on each and prints MB/s.  Needs root, samba, smbclient,
# tcpdump, curl.  Usage: bench_pcaps.sh MAMORI OUTDIR
set -euo pipefail
mamori=$(realpath "$1")
out=$(realpath -m "$2")
mkdir -p "$out"
ns=mamori_smbb_$$
user=mamorismb
pass='Corr3ct-horse'
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	sleep 0.5
	ip netns del "$ns" 2>/dev/null || true
	userdel "$user" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
id "$user" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$user"
mkdir -p "$tmp"/{share,private,lock,state,cache,pid,log,www}
chmod 777 "$tmp/share"
cat >"$tmp/smb.conf" <<CONF
[global]
	interfaces = lo
	bind interfaces only = yes
	smb ports = 445
	private dir = $tmp/private
	lock directory = $tmp/lock
	state directory = $tmp/state
	cache directory = $tmp/cache
	pid directory = $tmp/pid
	log file = $tmp/log/%m.log
	passdb backend = tdbsam:$tmp/private/passdb.tdb
	server signing = disabled
	server smb encrypt = off
	load printers = no
[data]
	path = $tmp/share
	read only = no
CONF
printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$tmp/smb.conf" -s -a "$user" >/dev/null
ip netns exec "$ns" smbd -D -s "$tmp/smb.conf"
head -c $((64 << 20)) /dev/urandom >"$tmp/www/big.bin"
cp "$tmp/www/big.bin" "$tmp/big.bin"
sleep 1
cap() {
	ip netns exec "$ns" tcpdump -i lo -s 0 -B 131072 -w "$out/$1.pcap" "$2" 2>/dev/null &
	local tp=$!
	sleep 1
	shift 2
	ip netns exec "$ns" "$@" >/dev/null 2>&1
	sleep 1
	kill "$tp"
	wait "$tp" 2>/dev/null || true
}
cd "$tmp"
cap smb_copy "tcp port 445" bash -c "for i in 1 2 3; do smbclient --option='client signing=off' --option='client smb encrypt=off' -m SMB3 //127.0.0.1/data -U '$user%$pass' -c 'put big.bin big\$i.bin; get big\$i.bin back.bin'; done"
(cd "$tmp/www" && ip netns exec "$ns" python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &)
sleep 1
cap http_copy "tcp port 8080" bash -c "for i in 1 2 3 4 5 6; do curl -s -o /dev/null http://127.0.0.1:8080/big.bin; done"
for p in smb_copy http_copy; do
	bytes=$(stat -c %s "$out/$p.pcap")
	rm -rf "$out/$p.logs"
	start=$(date +%s.%N)
	"$mamori" net -q -k none -r "$out/$p.pcap" -l "$out/$p.logs"
	end=$(date +%s.%N)
	awk -v b="$bytes" -v s="$start" -v e="$end" -v p="$p" \
		'BEGIN { printf "%s: %.1f MB in %.2f s = %.0f MB/s\n", p, b / 1e6, e - s, b / 1e6 / (e - s) }'
done
