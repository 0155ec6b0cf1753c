#!/usr/bin/env bash
# Regenerates the small pcaps end-to-end tests read, with mamori-gen
# (bench/gen_traffic.c) from fixed seeds.  Each NAME.pcap has NAME.counts
# beside it: the generator's own count of what it wrote (one "kind count"
# line each), which tests use as the expected numbers.
#   mixed    HTTP/1.1 (gzip, chunked, keep-alive), DNS, SMTP
#   family   a few ordinary sessions plus inert family-like traffic (--family)
#   altport  HTTP, half of it on ports 8080/5000 (protocol probing)
#   live     a small mix for the live-capture test (tcpreplay onto a veth)
#
# usage: tests/data/net/make.sh [path/to/mamori-gen]
set -euo pipefail
cd "$(dirname "$0")"
GEN=${1:-${MAMORI_GEN:-../../../build/bench/mamori-gen}}
gen() {
	local name=$1
	shift
	"$GEN" "$@" --out "$name.pcap" >"$name.counts"
	echo "$name.pcap: $(stat -c %s "$name.pcap") bytes"
}
gen mixed --seed 16 --count 30 --max-body 16k
gen family --seed 12 --count 8 --family --max-body 8k
gen altport --seed 13 --count 24 --alt-ports 50 --max-body 8k
gen live --seed 14 --count 16 --max-body 8k --concurrency 4
