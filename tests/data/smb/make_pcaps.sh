#!/bin/bash
# Captures real SMB traffic for tests/data/smb: a Samba server (Debian
# samba 4.17) on the loopback of a network namespace this script creates
# (so it can listen on 445 and talk to nothing else), driven by smbclient
# and rpcclient, captured with tcpdump.  Needs root, samba, smbclient,
# tcpdump.  Creates a throw-away unix user "mamorismb" for the logons and
# removes it, the namespace and the temp dir on exit.
#
# Produces:
#   smb2_session.pcap   SMB3 logon as mamorismb, tree connect to "data",
#                       write a file, read it back, list, logoff
#   smb2_failed.pcap    three logons with a wrong password (STATUS_LOGON_FAILURE)
#   smb2_admin.pcap     tree connect to ADMIN$ and IPC$
#   smb2_srvsvc.pcap    rpcclient netshareenumall (IPC$, srvsvc bind + opnum 15)
#   smb1_session.pcap   the same logon/put/get over SMB1 (NT1), one failed logon
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
ns=mamori_smb_$$
user=mamorismb
pass='Corr3ct-horse'
tmp=$(mktemp -d)
cleanup() {
	[ -f "$tmp/smbd.pid" ] && kill "$(cat "$tmp/smbd.pid")" 2>/dev/null || true
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

chmod 755 "$tmp"
mkdir -p "$tmp"/{share,admin,private,lock,state,cache,pid,log}
chmod 777 "$tmp/share" "$tmp/admin"
cat >"$tmp/smb.conf" <<CONF
[global]
	workgroup = MAMORI
	netbios name = FILESRV
	server role = standalone server
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
	server min protocol = NT1
	ntlm auth = yes
	server signing = disabled
	server smb encrypt = off
	disable spoolss = yes
	load printers = no
[data]
	path = $tmp/share
	read only = no
[ADMIN\$]
	path = $tmp/admin
	read only = no
CONF
printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$tmp/smb.conf" -s -a "$user" >/dev/null
ip netns exec "$ns" smbd -D -s "$tmp/smb.conf"
for _ in $(seq 50); do
	ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/445' 2>/dev/null && break
	sleep 0.2
done

head -c 3000 /dev/zero | tr '\0' 'M' >"$tmp/hello.txt"
opts=(--option="client signing=off" --option="client smb encrypt=off")
nt1=(--option="client min protocol=NT1" --option="client max protocol=NT1" --option="client use spnego=yes")

capture() { # name, then the command to run inside the namespace
	local name=$1
	shift
	ip netns exec "$ns" tcpdump -i lo -s 0 -U -w "$tmp/$name.pcap" tcp port 445 2>/dev/null &
	local tp=$!
	sleep 1
	ip netns exec "$ns" "$@" >/dev/null 2>&1 || true
	sleep 1
	kill "$tp"
	wait "$tp" 2>/dev/null || true
	cp "$tmp/$name.pcap" "$out/$name.pcap"
}

cd "$tmp"
capture smb2_session smbclient "${opts[@]}" -m SMB3 //127.0.0.1/data -U "$user%$pass" \
	-c "put hello.txt hello.txt; get hello.txt back.txt; ls; exit"
capture smb2_failed bash -c "for i in 1 2 3; do smbclient ${opts[*]@Q} -m SMB3 //127.0.0.1/data -U '$user%wrong\$i' -c ls; done"
capture smb2_admin bash -c "smbclient ${opts[*]@Q} -m SMB3 '//127.0.0.1/ADMIN\$' -U '$user%$pass' -c ls; smbclient ${opts[*]@Q} -m SMB3 '//127.0.0.1/IPC\$' -U '$user%$pass' -c exit"
capture smb2_srvsvc rpcclient "${opts[@]}" -U "$user%$pass" -c netshareenumall 127.0.0.1
capture smb1_session bash -c "smbclient ${opts[*]@Q} ${nt1[*]@Q} //127.0.0.1/data -U '$user%$pass' -c 'put hello.txt hello1.txt; get hello1.txt back1.txt; exit'; smbclient ${opts[*]@Q} ${nt1[*]@Q} //127.0.0.1/data -U '$user%bad' -c ls"
ls -l "$out"/*.pcap
