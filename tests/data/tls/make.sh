#!/usr/bin/env bash
# Regenerates the TLS fixtures: real handshakes between `openssl s_server`
# and `openssl s_client` on loopback, captured with tcpdump.
#   cert.pem     self-signed EC P-256 certificate made here with a
#                       known subject, issuer and serial (the tests compare
#                       mamori's fields with `openssl x509` on this file)
#   tls12.pcap   TLS 1.2, SNI www.example.test, ALPN http/1.1, port 44312;
#                certificate in clear
#   tls13.pcap   TLS 1.3, SNI tls13.example.test, port 8443 (port hint);
#                the certificate is encrypted: only hellos are parsed
#   client.pem   self-signed client certificate (client.txt: openssl's view)
#   clientauth.pcap  TLS 1.2 on port 44315 where the server asks for a
#                client certificate (-verify 1) and the client sends
#                client.pem: both certificates are in clear
#   flame.pcap   TLS 1.2 ClientHello whose SNI is a published Flame C&C
#                domain (traffic-spot.biz; CrySyS Lab "sKyWIper" report,
#                2012-05-31, C&C server list; Kaspersky "The Flame: Questions
#                and Answers", 2012), to a local s_server on port 443.
#                Inert: nothing but a handshake to loopback.
# The client sends no data (stdin is /dev/null) and closes after the
# handshake.  Needs root (tcpdump on lo, port 443) and openssl + tcpdump.
#
# usage: tests/data/tls/make.sh
set -euo pipefail
cd "$(dirname "$0")"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TMP/key.pem" -out cert.pem -days 3650 -set_serial 0x4d414d4f5249 \
	-subj "/C=US/O=Mamori Test/CN=www.example.test" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$TMP/client.key" -out client.pem -days 3650 -set_serial 0x00c1 \
	-subj "/C=US/O=Mamori Client/CN=client.example.test" 2>/dev/null

# capture NAME PORT -- s_server args -- s_client args
capture() {
	local name=$1 port=$2
	shift 2
	local sargs=() cargs=()
	while [ "$1" != "--" ]; do sargs+=("$1"); shift; done
	shift
	cargs=("$@")
	tcpdump -i lo -U -s 0 -w "$TMP/$name.pcap" "tcp port $port" 2>/dev/null &
	local tpid=$!
	sleep 1
	openssl s_server -accept "127.0.0.1:$port" -cert cert.pem -key "$TMP/key.pem" \
		-naccept 1 -quiet "${sargs[@]}" </dev/null >/dev/null 2>&1 &
	local spid=$!
	sleep 1
	openssl s_client -connect "127.0.0.1:$port" "${cargs[@]}" \
		</dev/null >/dev/null 2>&1 || true
	sleep 1
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	kill -INT "$tpid"
	wait "$tpid" 2>/dev/null || true
	cp "$TMP/$name.pcap" "$name.pcap"
	echo "$name.pcap: $(stat -c %s "$name.pcap") bytes"
}

capture tls12 44312 -tls1_2 -alpn http/1.1 -- \
	-tls1_2 -servername www.example.test -alpn http/1.1
capture tls13 8443 -tls1_3 -- -tls1_3 -servername tls13.example.test
capture flame 443 -tls1_2 -- -tls1_2 -servername traffic-spot.biz
capture clientauth 44315 -tls1_2 -verify 1 -CAfile client.pem -- \
	-tls1_2 -servername auth.example.test -cert client.pem \
	-key "$TMP/client.key"

# Independent references for the tests: OpenSSL's view of the certificate
# and tshark's JA3/JA3S of each capture.
openssl x509 -in cert.pem -noout -subject -issuer -serial -startdate -enddate \
	-fingerprint -sha1 -nameopt sep_comma_plus_space,sname,utf8,-esc_msb \
	>cert.txt
openssl x509 -in client.pem -noout -subject -issuer -serial -startdate \
	-enddate -fingerprint -sha1 \
	-nameopt sep_comma_plus_space,sname,utf8,-esc_msb >client.txt
for f in tls12 tls13 flame clientauth; do
	tshark -r "$f.pcap" -d tcp.port==44312,tls -d tcp.port==8443,tls \
		-d tcp.port==44315,tls \
		-Y "tls.handshake.type==1 || tls.handshake.type==2" -T fields \
		-e tls.handshake.ja3 -e tls.handshake.ja3_full \
		-e tls.handshake.ja3s -e tls.handshake.ja3s_full 2>/dev/null |
		sed "s/^/$f\t/"
done >ja3.txt
