#!/usr/bin/env bash
# Regenerates the SSH fixtures, captured with tcpdump on loopback.
#   openssh.pcap  Debian's sshd (openssh-server, run in debug mode for one
#                 connection on 127.0.0.1:2222 with a throw-away host key)
#                 and ssh: version exchange, KEXINIT both ways, key exchange,
#                 then the client offers only the "none" method and gives
#                 up (no password is ever sent).
#   prebanner.pcap a python3 socket pair on 127.0.0.1:2223: the server
#                 sends two lines before its banner (RFC 4253 4.2 allows
#                 it) and a banner with a comment, the client an SSH-1.99
#                 banner; both close after the banners.
# Needs root (sshd), openssh-server, openssh-client, tcpdump, python3.
#
# usage: tests/data/ssh/make.sh
set -euo pipefail
cd "$(dirname "$0")"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

start_capture() {
	tcpdump -i lo -U -s 0 -w "$TMP/$1.pcap" "tcp port $2" 2>/dev/null &
	TPID=$!
	sleep 1
}
stop_capture() {
	sleep 1
	kill -INT "$TPID"
	wait "$TPID" 2>/dev/null || true
	cp "$TMP/$1.pcap" "$1.pcap"
	echo "$1.pcap: $(stat -c %s "$1.pcap") bytes"
}

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$TMP/hostkey"
start_capture openssh 2222
/usr/sbin/sshd -d -f /dev/null -h "$TMP/hostkey" -p 2222 \
	-o ListenAddress=127.0.0.1 -o PidFile=none >"$TMP/sshd.log" 2>&1 &
SPID=$!
sleep 1
ssh -F /dev/null -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no \
	-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
	-o GSSAPIAuthentication=no nobody@127.0.0.1 true 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
stop_capture openssh 2222

start_capture prebanner 2223
python3 - <<'PY'
import socket, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 2223))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.sendall(b"Welcome to the test host\r\nauthorised use only\r\n")
    c.sendall(b"SSH-2.0-mamori_test_server_1.0 extra comment\r\n")
    c.recv(256)
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(("127.0.0.1", 2223))
buf = b""
while b"SSH-" not in buf or not buf.endswith(b"\n"):
    buf += cl.recv(256)
cl.sendall(b"SSH-1.99-PuTTY_Release_0.78\r\n")
t.join()
cl.close()
srv.close()
PY
stop_capture prebanner 2223

# Independent reference for the tests: tshark's banners and hassh values.
tshark -r openssh.pcap -d tcp.port==2222,ssh -Y "ssh.protocol || ssh.kex.hassh || ssh.kex.hasshserver" \
	-T fields -e tcp.srcport -e ssh.protocol -e ssh.kex.hassh \
	-e ssh.kex.hasshserver 2>/dev/null >hassh.txt
