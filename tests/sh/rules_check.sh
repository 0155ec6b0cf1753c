#!/bin/bash
# mamori rules check: exit codes (0 all loaded, 1 some rejected, 2 I/O or
# usage error), the "file:line:col: reason" lines and the summary, --json,
# and the ET Open 2019 set loading at least 99% of its rules (Suricata 4.1
# loads 18,216 of 18,220).  Skips (77) when $SHARED has no ET set.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}"
et="$SHARED/data/et-open-2019"
if ! ls "$et"/emerging-*.rules > /dev/null 2>&1; then
	echo "SKIP: no ET Open rules in $et"
	exit 77
fi
tmp=$(mktemp -d /tmp/mamori-rulescheck-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A clean file: exit 0.
cat > "$tmp/good.rules" <<'EOF'
# two good rules, one continued over two lines
alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ua"; flow:established,to_server; \
    content:"Windoss"; http_user_agent; classtype:trojan-activity; sid:1;)
alert dns any any -> any any (msg:"q"; dns.query; content:"example"; sid:2;)
EOF
out=$("$MAMORI" rules check "$tmp/good.rules" 2> "$tmp/err"); rc=$?
[ $rc -eq 0 ] || bad "good file: exit $rc"
[ "$out" = "2 loaded, 0 rejected" ] || bad "good file output: $out"

# A broken line: the rest loads, the line is reported, exit 1.
cat > "$tmp/broken.rules" <<'EOF'
alert tcp any any -> any any (msg:"ok"; content:"a"; sid:10;)
alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:11;)
alert tcp any any -> any any (msg:"dup"; sid:10;)
alert tcp any any -> any any (msg:"ok2"; sid:12;)
EOF
out=$("$MAMORI" rules check "$tmp/broken.rules" 2> "$tmp/err"); rc=$?
[ $rc -eq 1 ] || bad "broken file: exit $rc"
grep -qx "$tmp/broken.rules:2:42: unknown keyword 'nosuchkeyword'" <<< "$out" || bad "broken line 2 not reported: $out"
grep -q "^$tmp/broken.rules:3: duplicate signature 1:10" <<< "$out" || bad "duplicate not reported: $out"
[ "$(tail -1 <<< "$out")" = "2 loaded, 2 rejected" ] || bad "broken summary: $(tail -1 <<< "$out")"

# --json
out=$("$MAMORI" rules check --json "$tmp/broken.rules" 2> "$tmp/err"); rc=$?
[ $rc -eq 1 ] || bad "json: exit $rc"
python3 - "$out" <<'EOF' || bad "json content: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["loaded"] == 2 and d["rejected"] == 2, d
assert [r["line"] for r in d["rejects"]] == [2, 3], d
assert d["rejects"][0]["column"] == 42 and d["rejects"][0]["reason"] == "unknown keyword 'nosuchkeyword'"
EOF

# I/O and usage errors: exit 2.
"$MAMORI" rules check "$tmp/missing.rules" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "missing file: exit $rc"
grep -q "cannot open" "$tmp/err" || bad "missing file message: $(cat "$tmp/err")"
"$MAMORI" rules check -c "$tmp/missing.config" "$tmp/good.rules" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "missing classification: exit $rc"
"$MAMORI" rules check > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "no file: exit $rc"
"$MAMORI" rules frobnicate > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "unknown subcommand: exit $rc"

# The ET Open set.
total=$(cat "$et"/emerging-*.rules | grep -cE '^(alert|drop|pass|reject)[[:space:]]')
out=$("$MAMORI" rules check "$et"/emerging-*.rules 2> "$tmp/err"); rc=$?
sum=$(tail -1 <<< "$out")
loaded=$(sed -n 's/^\([0-9]*\) loaded, \([0-9]*\) rejected$/\1/p' <<< "$sum")
rejected=$(sed -n 's/^\([0-9]*\) loaded, \([0-9]*\) rejected$/\2/p' <<< "$sum")
if [ -z "$loaded" ] || [ -z "$rejected" ]; then
	bad "ET summary: $sum"
else
	[ $((loaded + rejected)) -eq "$total" ] || bad "ET: $loaded + $rejected != $total rules in the files"
	[ $((loaded * 100)) -ge $((total * 99)) ] || bad "ET: only $loaded of $total loaded"
	if [ "$rejected" -gt 0 ]; then want=1; else want=0; fi
	[ $rc -eq $want ] || bad "ET: exit $rc with $rejected rejected"
	# every rejection names file, line and a reason
	nlines=$(grep -cE '^/.+\.rules:[0-9]+(:[0-9]+)?: .+' <<< "$out")
	[ "$nlines" -eq "$rejected" ] || bad "ET: $nlines reject lines for $rejected rejections"
	echo "ET Open: $loaded of $total loaded ($(grep 'load time' "$tmp/err"))"
fi

[ $fails -eq 0 ] || exit 1
echo "PASS"
