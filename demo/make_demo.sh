#!/usr/bin/env bash
# Builds demo/demo.pcap, the capture `make run` analyses, with the project's
# own generator (bench/gen_traffic.c, built as mamori-gen) from a fixed seed:
# ~30 ordinary sessions (HTTP/1.1 with gzip and chunked bodies, some on
# port 8080/5000, DNS A/AAAA/MX/TXT with a few NXDOMAIN, SMTP mails) plus
# the inert family-like requests of --family.  The bytes depend only on the
# options and zlib, so re-running it reproduces the committed file.
# The generator's counts are kept next to it in demo/demo.counts.
#
# usage: demo/make_demo.sh [path/to/mamori-gen]
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${1:-${MAMORI_GEN:-build/bench/mamori-gen}}
if [ ! -x "$GEN" ]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build --target mamori_gen >/dev/null
	GEN=build/bench/mamori-gen
fi
"$GEN" --seed 2026 --count 30 --family --alt-ports 10 --max-body 32k \
	--out demo/demo.pcap >demo/demo.counts
echo "demo/demo.pcap: $(stat -c %s demo/demo.pcap) bytes"
cat demo/demo.counts
