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

# The full suricata-verify report: every case passed, failed or skipped
# with its reason, a table per area; the passing cases are the regression
# gate of `make test` (tests/compat/sv-pass.txt, tests/sh/sv_gate.sh).
echo
echo "== suricata-verify =="
python3 tests/compat/sv_run.py --mamori build/mamori --tests "$data/suricata-verify/tests" \
	--out build/sv-out -j "$(nproc 2>/dev/null || echo 2)" | tee build/sv-report.txt
