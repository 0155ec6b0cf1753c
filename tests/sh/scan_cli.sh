#!/bin/bash
# mamori scan command line: --help, usage errors, bad YARA and IOC files
# reported as file:line with exit 2, --yara/--ioc folders added to the
# built-in content, --no-builtin, -o FILE, the table and the summary.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
export MAMORI_NO_PROGRESS=1 MAMORI_RULES_DIR="$SRCDIR/rules"
WORK=$(mktemp -d /tmp/mamori-scan-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail=0
expect() { # want-exit description command...
	local want=$1 what=$2
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	if [ $rc -ne "$want" ]; then
		echo "FAIL: $what: exit $rc, want $want"
		cat "$WORK/out" "$WORK/err"
		fail=1
	fi
}
mkdir -p "$WORK/tree/sub" "$WORK/yara" "$WORK/ioc" "$WORK/badyara" "$WORK/badioc"
printf 'hello EICAR-LIKE-MAMORI-TEST-STRING\n' >"$WORK/tree/sub/a.txt"
printf 'nothing\n' >"$WORK/tree/b.txt"

expect 0 "--help" "$MAMORI" scan --help
grep -q "usage: mamori scan" "$WORK/out" || { echo "FAIL: help text"; fail=1; }
expect 2 "no path" "$MAMORI" scan
expect 2 "bad option" "$MAMORI" scan --bogus "$WORK/tree"
expect 2 "bad threads" "$MAMORI" scan --threads 0 "$WORK/tree"
expect 2 "too many threads" "$MAMORI" scan --threads 33 "$WORK/tree"
expect 2 "bad size" "$MAMORI" scan --max-filesize 12Q "$WORK/tree"
expect 0 "size suffix" "$MAMORI" scan --max-filesize 1k "$WORK/tree"

# clean tree with built-in content: exit 0, summary names the content
expect 0 "clean" "$MAMORI" scan "$WORK/tree"
grep -q "2 files" "$WORK/err" && grep -q "0 findings" "$WORK/err" && grep -Eq "[1-9][0-9]* YARA rules" "$WORK/err" ||
	{ echo "FAIL: summary"; cat "$WORK/err"; fail=1; }
[ -s "$WORK/out" ] && { echo "FAIL: clean table not empty"; fail=1; }
expect 0 "quiet" "$MAMORI" scan -q "$WORK/tree"
[ -s "$WORK/err" ] && { echo "FAIL: -q still prints"; fail=1; }

# user YARA and IOC folders
cat >"$WORK/yara/t.yar" <<'Y'
rule test_string { meta: family = "generic" indicator = "generic.yara.test" severity = 3
  strings: $a = "EICAR-LIKE-MAMORI-TEST-STRING" condition: $a }
Y
printf 'name ; B.TXT ; generic ; 30 ; ; cli test\n' >"$WORK/ioc/t.txt"
expect 1 "user rules" "$MAMORI" scan --yara "$WORK/yara" --ioc "$WORK/ioc" --json -o "$WORK/res.json" "$WORK/tree"
python3 - "$WORK/res.json" <<'PY' || fail=1
import json, sys
rows = [json.loads(l)["finding"] for l in open(sys.argv[1])]
got = {(r["path"].rsplit("/", 1)[-1], r["indicator"], r["severity_name"]) for r in rows}
want = {("a.txt", "generic.yara.test", "low"), ("b.txt", "generic.ioc.name", "low")}
if got != want:
    print("FAIL: user rules gave", got)
    sys.exit(1)
PY
[ -s "$WORK/out" ] && { echo "FAIL: -o still wrote stdout"; fail=1; }
expect 1 "table" "$MAMORI" scan --ioc "$WORK/ioc" "$WORK/tree"
grep -q "^low  *generic  *generic.ioc.name  *$WORK/tree/b.txt" "$WORK/out" ||
	{ echo "FAIL: table row"; cat "$WORK/out"; fail=1; }
expect 0 "no builtin" "$MAMORI" scan --no-builtin "$WORK/tree"
grep -q "0 YARA rules, 0 IOC entries" "$WORK/err" || { echo "FAIL: --no-builtin"; cat "$WORK/err"; fail=1; }

# bad content: file:line and exit 2
printf 'rule broken {\n  strings: $a = "x"\n  condition: $b\n}\n' >"$WORK/badyara/b.yar"
expect 2 "bad yara" "$MAMORI" scan --yara "$WORK/badyara" "$WORK/tree"
grep -Eq "b.yar:[34]: undefined string" "$WORK/err" || { echo "FAIL: yara diag"; cat "$WORK/err"; fail=1; }
printf '# ok\nname ; x ; generic ; 500 ; ; src\n' >"$WORK/badioc/b.txt"
expect 2 "bad ioc" "$MAMORI" scan --ioc "$WORK/badioc" "$WORK/tree"
grep -q "b.txt:2: score must be 0..100" "$WORK/err" || { echo "FAIL: ioc diag"; cat "$WORK/err"; fail=1; }
expect 2 "missing yara dir" "$MAMORI" scan --yara "$WORK/none" "$WORK/tree"
expect 2 "unwritable -o" "$MAMORI" scan -o "$WORK/none/x.json" "$WORK/tree"

# a file that cannot be mapped (sysfs) is read instead: its digest matches
SYSF=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$SYSF" ]; then
	mkdir -p "$WORK/sysioc"
	printf 'sha256 ; %s ; generic ; 10 ; ; cli test\n' "$(sha256sum <"$SYSF" | cut -d' ' -f1)" >"$WORK/sysioc/s.txt"
	expect 1 "unmappable file" "$MAMORI" scan --no-builtin --ioc "$WORK/sysioc" --json "$SYSF"
	grep -q '"indicator":"generic.ioc.hash"' "$WORK/out" || { echo "FAIL: read fallback"; cat "$WORK/out" "$WORK/err"; fail=1; }
fi

# the built-in rules all compile and load
expect 0 "builtin content" "$MAMORI" scan "$SRCDIR/rules"
[ $fail -eq 0 ] && echo PASS
exit $fail
