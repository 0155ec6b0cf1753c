#!/bin/bash
# mamori audit: MS08-067 verdicts from stand-in netapi32.dll files.
#
# Builds one small DLL per version with mingw-w64 (windres VERSIONINFO;
# PRODUCTVERSION deliberately differs so only FILEVERSION can match), puts
# it at Windows/System32/netapi32.dll of a volume whose SYSTEM is the clean
# regipy hive and whose SOFTWARE is the hardened XP SP3 base (so every
# other check passes), and checks the verdict and the exit status: every
# branch's first fixed build, one build below, LDR branches, Windows 7.
# Needs x86_64-w64-mingw32-gcc/windres, hivexregedit, xz, jq; skips (77)
# with the reason when one is missing.
set -u
: "${MAMORI:?}" "${SRCDIR:?}" "${SHARED:?}"

for t in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres hivexregedit xz jq; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: $t not installed (Debian: gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 libhivex-bin libwin-hivex-perl xz-utils jq)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/mamori-ms08067-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bash "$SRCDIR/tests/fixtures/hive/build.sh" "$tmp/fx" "$SHARED" > "$tmp/build.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then cat "$tmp/build.log"; exit 77; fi
if [ $rc -ne 0 ]; then cat "$tmp/build.log"; echo "FAIL: fixture build"; exit 1; fi

cp "$tmp/fx/src/SOFTWARE.base" "$tmp/sw-xp"
cp "$tmp/fx/src/SOFTWARE.base" "$tmp/sw-win7"
hivexregedit --merge "$tmp/sw-win7" "$SRCDIR/tests/fixtures/hive/software-win7.reg" || exit 1

echo 'int __stdcall entry(void *h, unsigned r, void *p) { (void)h; (void)r; (void)p; return 1; }' > "$tmp/stub.c"
x86_64-w64-mingw32-gcc -c -O2 -o "$tmp/stub.o" "$tmp/stub.c" || exit 1

mkdll() { # dotted-version out.dll
	local v=$1 out=$2 c=${1//./,}
	cat > "$tmp/v.rc" <<EOF
1 VERSIONINFO
FILEVERSION $c
PRODUCTVERSION 9,8,7,6
FILEOS 0x40004
FILETYPE 0x2
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "mamori test stand-in"
      VALUE "FileVersion", "$v"
      VALUE "OriginalFilename", "netapi32.dll"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
EOF
	x86_64-w64-mingw32-windres "$tmp/v.rc" -O coff -o "$tmp/v.o" &&
		x86_64-w64-mingw32-gcc -shared -nostdlib -Wl,-e,entry -o "$out" "$tmp/stub.o" "$tmp/v.o"
}

fails=0
n=0
check() { # dll-file|none software want-status want-exit want-version [dll-name]
	local dll=$1 sw=$2 want=$3 want_exit=$4 want_ver=$5 name=${6:-netapi32.dll}
	n=$((n + 1))
	local root=$tmp/c$n
	mkdir -p "$root/Windows/System32/config"
	ln -s "$tmp/fx/src/SYSTEM" "$root/Windows/System32/config/SYSTEM"
	ln -s "$tmp/$sw" "$root/Windows/System32/config/SOFTWARE"
	[ "$dll" = none ] || cp "$dll" "$root/Windows/System32/$name"
	local out rc st ver
	out=$("$MAMORI" audit "$root" --json 2> "$tmp/err")
	rc=$?
	st=$(jq -r '.checks[] | select(.id == "ms08-067") | .status' <<< "$out")
	ver=$(jq -r '.netapi32.file_version // "none"' <<< "$out")
	if [ "$st" != "$want" ] || [ $rc -ne "$want_exit" ] || [ "$ver" != "$want_ver" ]; then
		echo "FAIL: $(basename "$dll") on $sw: status $st exit $rc version $ver," \
			"want $want exit $want_exit version $want_ver"
		jq -c '.checks[]' <<< "$out"
		cat "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok: $ver on $sw -> $st (exit $rc)"
	fi
}

# version  software  verdict
while read -r v sw want; do
	mkdll "$v" "$tmp/$v.dll" || { echo "FAIL: cannot build DLL $v"; exit 1; }
	want_exit=0
	[ "$want" = FAIL ] && want_exit=1
	check "$tmp/$v.dll" "$sw" "$want" "$want_exit" "$v"
done <<'EOF'
5.0.2195.7202 sw-xp FAIL
5.0.2195.7203 sw-xp PASS
5.1.2600.2180 sw-xp FAIL
5.1.2600.3461 sw-xp FAIL
5.1.2600.3462 sw-xp PASS
5.1.2600.5512 sw-xp FAIL
5.1.2600.5693 sw-xp FAIL
5.1.2600.5694 sw-xp PASS
5.1.2600.5695 sw-xp PASS
5.2.3790.3228 sw-xp FAIL
5.2.3790.3229 sw-xp PASS
5.2.3790.4391 sw-xp FAIL
5.2.3790.4392 sw-xp PASS
6.0.6000.16763 sw-xp FAIL
6.0.6000.16764 sw-xp PASS
6.0.6000.20936 sw-xp FAIL
6.0.6000.20937 sw-xp PASS
6.0.6001.18156 sw-xp FAIL
6.0.6001.18157 sw-xp PASS
6.0.6001.22287 sw-xp FAIL
6.0.6001.22288 sw-xp PASS
6.0.6002.18005 sw-xp PASS
6.1.7600.16385 sw-win7 PASS
6.1.7601.17514 sw-xp PASS
EOF

# File name in another case, as on a real NTFS volume.
check "$tmp/5.1.2600.5693.dll" sw-xp FAIL 1 5.1.2600.5693 NETAPI32.DLL
# Windows 7 per registry and no file at all: not affected.
check none sw-win7 PASS 0 none
# XP per registry, no file: cannot tell.
check none sw-xp UNKNOWN 0 none
# A DLL without a version resource, and one cut short: cannot tell.
x86_64-w64-mingw32-gcc -shared -nostdlib -Wl,-e,entry -o "$tmp/nover.dll" "$tmp/stub.o" || exit 1
check "$tmp/nover.dll" sw-xp UNKNOWN 0 none
head -c 700 "$tmp/5.1.2600.5694.dll" > "$tmp/cut.dll"
check "$tmp/cut.dll" sw-xp UNKNOWN 0 none

# Human-readable table (the default) shows the verdict and the advice.
out=$("$MAMORI" audit "$tmp/c7")
rc=$?
if [ $rc -ne 1 ] || ! grep -Eq '^FAIL +ms08-067 +netapi32.dll +netapi32.dll 5.1.2600.5693 < 5.1.2600.5694' <<< "$out" ||
	! grep -q 'advice: install security update KB958644' <<< "$out"; then
	echo "FAIL: table output (exit $rc):"
	echo "$out"
	fails=$((fails + 1))
fi

echo "$n cases, $fails failed"
[ $fails -eq 0 ]
