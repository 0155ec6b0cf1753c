#!/usr/bin/env bash
# Self-test of the tshark comparison (tests/compat/tshark_compare.py),
# independent of mamori: tests/compat/selftest/tiny.pcap (one DNS lookup,
# one HTTP request, one SMTP mail, made by mamori-gen --seed 45 --count 3
# --max-body 2k) is compared with EVE files written by hand from tshark's
# view of it.  good.eve.json (Suricata 7 layout; answer order and the <>
# around addresses differ from tshark's spelling on purpose) must agree;
# bad.eve.json (wrong status, an extra query, a lost recipient, and a
# hostname in other case with a port, which must not count) must fail with
# exactly those three disagreements listed.
set -u
: "${SRCDIR:?}"
command -v tshark >/dev/null 2>&1 || { echo "skip: tshark is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is not installed"; exit 77; }
D=$SRCDIR/tests/compat/selftest
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mamori-compat-self.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
run_compare() {
	python3 "$SRCDIR/tests/compat/tshark_compare.py" --mamori /bin/false --shared "$TMP" \
		--cache "$TMP/cache" --eve "$D/$1" "$D/tiny.pcap" >"$TMP/out" 2>&1
}
fail=0
if run_compare good.eve.json && grep -qx '1 passed, 0 failed' "$TMP/out"; then
	echo "ok   good.eve.json agrees"
else
	echo "FAIL good.eve.json should agree:"
	cat "$TMP/out"
	fail=1
fi
if run_compare bad.eve.json; then
	echo "FAIL bad.eve.json should disagree:"
	cat "$TMP/out"
	fail=1
fi
for want in \
	"status tshark 200, mamori 404" \
	"dns query 'api.newsbook.fr'/AAAA: tshark 0, mamori 1" \
	"rcpt=['event@bookharbor.fr']: tshark 1, mamori 0" \
	"rcpt=[]: tshark 0, mamori 1" \
	"0 passed, 1 failed"; do
	if grep -qF -- "$want" "$TMP/out"; then
		echo "ok   bad.eve.json reports: $want"
	else
		echo "FAIL bad.eve.json does not report: $want"
		fail=1
	fi
done
n=$(grep -c '^    ' "$TMP/out")
if [ "$n" != 4 ]; then
	echo "FAIL bad.eve.json: expected 4 disagreement lines, got $n:"
	cat "$TMP/out"
	fail=1
fi
exit $fail
