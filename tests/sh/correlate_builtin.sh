#!/bin/bash
# mamori correlate with the built-in rules/correlation.yaml over the EVE
# fixtures of tests/data/correlate (*.json.gz, made by gen_eve.py; see its
# header):
# exactly the expected incidents, for the expected entity, with their
# evidence; none for the near misses; exclusions from --group and from a
# mamori.yaml config; -l/-o outputs; exit codes; file:line errors.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
command -v jq > /dev/null || { echo "SKIP: jq not installed"; exit 77; }
data="$SRCDIR/tests/data/correlate"
tmp=$(mktemp -d /tmp/mamori-correlate-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME ARGS...: incidents as JSON lines in $tmp/NAME.out, exit in $rc
run() {
	local name=$1; shift
	"$MAMORI" correlate --json "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	rc=$?
}
# expect NAME EXIT "id entity" ...: the sorted incident list must match
expect() {
	local name=$1 want_rc=$2; shift 2
	local got want
	got=$(jq -r '"\(.incident.id) \(.incident.entity.ip // .incident.entity.src_ip)"' \
		"$tmp/$name.out" | sort)
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	[ "$rc" -eq "$want_rc" ] || bad "$name: exit $rc, want $want_rc ($(cat "$tmp/$name.err"))"
	[ "$got" = "$want" ] || bad "$name: incidents [$got], want [$want]"
}

smtp="--group SMTP_SERVERS=[10.1.1.25/32]"
run storm -r "$data/storm.json.gz" $smtp
expect storm 1 "storm-spam-bot 10.1.1.23"
# The evidence: the typo alert, 10 distinct MX names, SMTP flows.
jq -e '.incident.evidence | map(select(.requirement == "storm-cnc" and .signature_id == 2007742)) | length == 1' \
	"$tmp/storm.out" > /dev/null || bad "storm: no alert evidence"
jq -e '[.incident.evidence[] | select(.requirement == "mx-lookups") | .value] | unique | length == 10' \
	"$tmp/storm.out" > /dev/null || bad "storm: MX evidence is not 10 distinct names"
jq -e '[.incident.evidence[] | select(.requirement == "smtp-rise" and .event_type == "flow")] | length >= 1' \
	"$tmp/storm.out" > /dev/null || bad "storm: no SMTP evidence"
jq -e '.event_type == "incident" and .src_ip == "10.1.1.23" and .incident.severity == 1 and (.incident.first <= .incident.last)' \
	"$tmp/storm.out" > /dev/null || bad "storm: record header"
grep -q '[1-9][0-9]* excluded' "$tmp/storm.err" || bad "storm: the mail server's events were not excluded"
run storm_norise -r "$data/storm_norise.json.gz" $smtp
expect storm_norise 0
run storm_notypo -r "$data/storm_notypo.json.gz" $smtp
expect storm_notypo 0

run chain -r "$data/conficker_chain.json.gz"
expect chain 1 "conficker-infection-chain 10.2.0.50"
jq -e '[.incident.evidence[].requirement] | (index("ms08-067-inbound") < index("http-download")) and (index("http-download") < index("smb-scan"))' \
	"$tmp/chain.out" > /dev/null || bad "chain: evidence not in step order"
jq -e '[.incident.evidence[] | select(.requirement == "smb-scan") | .value] | unique | length == 25' \
	"$tmp/chain.out" > /dev/null || bad "chain: not 25 distinct 445 destinations"
run nodl -r "$data/conficker_nodl.json.gz"
expect nodl 0
run backup_noconf -r "$data/conficker_backup.json.gz"
expect backup_noconf 1 "conficker-infection-chain 10.2.0.10"
run backup -r "$data/conficker_backup.json.gz" --group "BACKUP_SERVERS=[10.2.0.10]"
expect backup 0
# The same exclusion from mamori.yaml (vars.address-groups).
cat > "$tmp/mamori.yaml" <<'EOF2'
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8]"
    BACKUP_SERVERS: "[10.2.0.10/32]"
EOF2
run backup_cfg -r "$data/conficker_backup.json.gz" --config "$tmp/mamori.yaml"
expect backup_cfg 0

run dga -r "$data/dga.json.gz"
expect dga 1 "conficker-dga 10.3.0.77"
jq -e '[.incident.evidence[] | select(.field == "dns.rrname") | .value] | unique | length == 12' \
	"$tmp/dga.out" > /dev/null || bad "dga: not 12 distinct names"
run typos -r "$data/dga_typos.json.gz"
expect typos 0
run dga_resolver -r "$data/dga.json.gz" --group "DNS_SERVERS=[10.3.0.77]"
expect dga_resolver 0

run lateral -r "$data/lateral.json.gz"
expect lateral 1 "smb-lateral-movement 10.4.0.9"
run nojob -r "$data/lateral_nojob.json.gz"
expect nojob 0

# All fixtures in one run: the same incidents as separately.
run all -r "$data/storm.json.gz" -r "$data/conficker_chain.json.gz" -r "$data/dga.json.gz" \
	-r "$data/lateral.json.gz" -r "$data/dga_typos.json.gz" $smtp
expect all 1 "storm-spam-bot 10.1.1.23" "conficker-infection-chain 10.2.0.50" \
	"conficker-dga 10.3.0.77" "smb-lateral-movement 10.4.0.9"

# Outputs: -l LOGDIR/incident.json, -o FILE, text by default.
"$MAMORI" correlate -r "$data/dga.json.gz" -l "$tmp/logs" 2> /dev/null
[ $? -eq 1 ] || bad "-l: exit code"
[ "$(jq -r .incident.id "$tmp/logs/incident.json" 2> /dev/null)" = conficker-dga ] || bad "-l: incident.json"
"$MAMORI" correlate -r "$data/dga.json.gz" -o "$tmp/o.json" 2> /dev/null
[ "$(jq -r .incident.entity.ip "$tmp/o.json" 2> /dev/null)" = 10.3.0.77 ] || bad "-o: file"
out=$("$MAMORI" correlate -r "$data/dga.json.gz" 2> /dev/null)
case "$out" in "incident conficker-dga "*" src_ip 10.3.0.77 "*) ;; *) bad "text output: $out" ;; esac

# Plain JSON from standard input works like the .gz file.
zcat "$data/dga.json.gz" | "$MAMORI" correlate -r - --json > "$tmp/stdin.out" 2> /dev/null
[ "$(jq -r .incident.id "$tmp/stdin.out" 2> /dev/null)" = conficker-dga ] || bad "stdin input"

# Bad input lines are skipped with a warning, not fatal.
{ echo 'not json'; echo '{"event_type":"dns"}'; zcat "$data/dga.json.gz" | head -5; } > "$tmp/mixed.json"
"$MAMORI" correlate -r "$tmp/mixed.json" > /dev/null 2> "$tmp/mixed.err"
[ $? -eq 0 ] || bad "mixed input: exit code"
grep -q 'mixed.json:1: skipped' "$tmp/mixed.err" || bad "mixed input: no warning for line 1"
grep -q '2 skipped' "$tmp/mixed.err" || bad "mixed input: skip count"

# Errors: usage, missing input, malformed correlation file (file:line:col).
"$MAMORI" correlate > /dev/null 2>&1; [ $? -eq 2 ] || bad "no input: exit code"
"$MAMORI" correlate -r "$tmp/nope.json" > /dev/null 2>&1; [ $? -eq 2 ] || bad "missing file: exit code"
printf 'version: 1\ncorrelations:\n  - id: x\n    name: y\n    severity: 9\n' > "$tmp/bad.yaml"
err=$("$MAMORI" correlate --check -c "$tmp/bad.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || bad "bad file: exit $rc"
case "$err" in *"bad.yaml:5:15: severity must be between 1 and 4"*) ;; *) bad "bad file message: $err" ;; esac
"$MAMORI" correlate --check > /dev/null || bad "built-in file does not check"
"$MAMORI" correlate --help | grep -q 'usage: mamori correlate' || bad "--help"

[ $fails -eq 0 ] && echo "correlate_builtin: all checks passed"
exit $((fails > 0))
