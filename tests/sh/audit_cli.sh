#!/bin/bash
# mamori audit on the volumes tests/fixtures/hive/build.sh makes: exit
# statuses (0 all pass, 1 a FAIL, 2 error), the table and --json outputs,
# and the warnings for dirty and corrupt hives naming the hive.
# Needs hivexregedit, xz and jq; skips (77) with the reason otherwise.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}"
for t in hivexregedit xz jq; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: $t not installed (Debian: libhivex-bin libwin-hivex-perl xz-utils jq)"
		exit 77
	fi
done
tmp=$(mktemp -d /tmp/mamori-auditcli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bash "$SRCDIR/tests/fixtures/hive/build.sh" "$tmp/fx" "$SHARED" > "$tmp/build.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then cat "$tmp/build.log"; exit 77; fi
if [ $rc -ne 0 ]; then cat "$tmp/build.log"; echo "FAIL: fixture build"; exit 1; fi

fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# infected: seven FAILs, MS08-067 unknown (no netapi32.dll), exit 1.
out=$("$MAMORI" audit "$tmp/fx/infected" --json 2> "$tmp/err"); rc=$?
[ $rc -eq 1 ] || bad "infected: exit $rc"
[ "$(jq -c .summary <<< "$out")" = '{"pass":0,"fail":7,"unknown":1}' ] || bad "infected summary: $(jq -c .summary <<< "$out")"
[ "$(jq -r '.windows.product_name + "|" + .windows.current_version + "|" + .windows.current_build + "|" + .windows.csd_version' <<< "$out")" = \
	"Microsoft Windows XP|5.1|2600|Service Pack 3" ] || bad "infected windows: $(jq -c .windows <<< "$out")"
got=$(jq -r '.checks[] | .id + "/" + .subject + "=" + .status' <<< "$out" | sort | tr '\n' ' ')
want="autorun/HKLM=FAIL autorun/alice=FAIL autorun/bob=FAIL hidden-files/HKLM=FAIL lsa/SYSTEM=FAIL ms08-067/netapi32.dll=UNKNOWN update/BITS=FAIL update/wuauserv=FAIL "
[ "$got" = "$want" ] || bad "infected checks: $got"
jq -e '.checks[] | select(.id == "lsa") | .detail | test("mssecmgr")' <<< "$out" > /dev/null || bad "lsa detail"
jq -e '[.checks[] | select(.status == "FAIL") | .advice | length > 0] | all' <<< "$out" > /dev/null || bad "FAIL without advice"

# Table by default.
out=$("$MAMORI" audit "$tmp/fx/infected" 2> /dev/null); rc=$?
[ $rc -eq 1 ] || bad "table exit $rc"
grep -q '^Windows at .*: Microsoft Windows XP (version 5.1, build 2600, Service Pack 3)$' <<< "$out" || bad "table header"
grep -Eq '^FAIL +hidden-files +HKLM +SHOWALL CheckedValue=0$' <<< "$out" || bad "table row"
grep -q '^0 passed, 7 failed, 1 unknown$' <<< "$out" || bad "table summary"

# All pass: clean SYSTEM + hardened SOFTWARE + a hardened user; no DLL.
r=$tmp/allpass
mkdir -p "$r/Windows/System32/config" "$r/Users/kim"
cp "$tmp/fx/src/SYSTEM" "$r/Windows/System32/config/SYSTEM"
cp "$tmp/fx/src/SOFTWARE.base" "$r/Windows/System32/config/SOFTWARE"
cp "$tmp/fx/src/NTUSER.DAT" "$r/Users/kim/NTUSER.DAT"
hivexregedit --merge "$r/Users/kim/NTUSER.DAT" "$SRCDIR/tests/fixtures/hive/ntuser-hardened.reg" || exit 1
out=$("$MAMORI" audit "$r" --json); rc=$?
[ $rc -eq 0 ] || bad "all-pass exit $rc: $(jq -c '.checks[]' <<< "$out")"
[ "$(jq -c .summary <<< "$out")" = '{"pass":6,"fail":0,"unknown":1}' ] || bad "all-pass summary $(jq -c .summary <<< "$out")"

# Dirty hives are reported by name on stderr.
"$MAMORI" audit "$tmp/fx/win10" > /dev/null 2> "$tmp/err"
grep -q "warning: SYSTEM hive $tmp/fx/win10/Windows/System32/config/SYSTEM is dirty (sequence numbers 4317 and 4316" "$tmp/err" || bad "dirty SYSTEM warning: $(cat "$tmp/err")"
grep -q "warning: NTUSER.DAT hive $tmp/fx/win10/Users/tony/NTUSER.DAT is dirty" "$tmp/err" || bad "dirty NTUSER warning"

# Corrupt SYSTEM: a clear message naming the hive; the rest goes on.
out=$("$MAMORI" audit "$tmp/fx/corrupt" --json 2> "$tmp/err"); rc=$?
[ $rc -eq 1 ] || bad "corrupt exit $rc"
grep -q "mamori: audit: warning: SYSTEM hive $tmp/fx/corrupt/Windows/System32/config/SYSTEM: corrupt: hive bin chain broken at offset 106496" "$tmp/err" || bad "corrupt warning: $(cat "$tmp/err")"
jq -e '.hives[0].error | test("^SYSTEM hive .*corrupt")' <<< "$out" > /dev/null || bad "corrupt json error"
[ "$(jq -r '.checks[] | select(.subject == "erin") | .status' <<< "$out")" = FAIL ] || bad "corrupt: NTUSER not audited"

# Errors and usage.
"$MAMORI" audit /nonexistent/mamori > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "missing root exit $rc"
grep -q "no Windows installation found" "$tmp/err" || bad "missing root message"
mkdir "$tmp/empty"
"$MAMORI" audit "$tmp/empty" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "empty root exit $rc"
"$MAMORI" audit > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "no argument exit $rc"
"$MAMORI" audit --bogus "$tmp/empty" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "bad option exit $rc"
"$MAMORI" audit --help | grep -q '^usage: mamori audit ROOT' || bad "--help"

echo "$fails failed"
[ $fails -eq 0 ]
