#!/usr/bin/env bash
# `make compat-report`: runs the tshark compatibility comparison with the
# release build and lists every pcap (passed, failed, skipped) into
# build/compat-report.txt as well as on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
data=$SHARED
[ -d "$SHARED/data/suricata-verify" ] && data=$SHARED/data
python3 tests/compat/tshark_compare.py --mamori build/mamori --shared "$data" \
	--cache build/compat-cache --jobs "$(nproc 2>/dev/null || echo 2)" --verbose "$@" |
	tee build/compat-report.txt
