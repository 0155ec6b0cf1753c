#!/usr/bin/env bash
# tshark compatibility: for the suricata-verify pcaps in which tshark
# dissects HTTP, DNS or SMTP, compares mamori's EVE records with tshark's
# view (request/query/mail counts and the EVE fields; see
# tests/compat/README.md).  Prints each disagreement and "N passed, N failed";
# fails below 95% agreement.  tshark's output is cached per pcap under
# $BUILDDIR/compat-cache (key: pcap SHA-256 + tshark version + options).
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
SHARED=${SHARED:-$SRCDIR/../shared}
if ! command -v tshark >/dev/null 2>&1; then
	echo "skip: tshark is not installed (apt-get install tshark)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed"
	exit 77
fi
if [ ! -d "$SHARED/data/suricata-verify/tests" ] && [ ! -d "$SHARED/suricata-verify/tests" ]; then
	echo "skip: no suricata-verify data under $SHARED"
	exit 77
fi
data=$SHARED
[ -d "$SHARED/data/suricata-verify/tests" ] && data=$SHARED/data
exec python3 "$SRCDIR/tests/compat/tshark_compare.py" --mamori "$MAMORI" --shared "$data" \
	--cache "${BUILDDIR:-${TMPDIR:-/tmp}}/compat-cache" --jobs 2
