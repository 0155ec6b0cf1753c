#!/bin/bash
# End-to-end: `mamori net` on the committed SMB/DCERPC pcaps
# (tests/data/smb: real Samba captures from make_pcaps.sh and inert crafted
# conversations from make_crafted.py) and checks of the EVE smb/dcerpc
# records: the srvsvc interface and opnum 31 in every MS08-067 variant
# (fragments, TCP segments, context id > 0, big-endian, SMB1), atsvc
# opnum 0, share names, NTLMSSP users, failed-logon statuses, compound and
# async responses, DCERPC directly over TCP.  When `mamori net` has the
# rule engine (-S), also checks alerts on dcerpc.stub_data (the traversal
# in every variant, none for the ordinary path), smb.share and
# smb.ntlmssp_user.
set -u
: "${MAMORI:?}" "${SRCDIR:?}"
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
data=$SRCDIR/tests/data/smb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$data"/*.pcap; do
	n=$(basename "$f" .pcap)
	if ! "$MAMORI" net -q -k none -r "$f" -l "$tmp/$n" >"$tmp/$n.log" 2>&1; then
		echo "FAIL: mamori net on $n"
		cat "$tmp/$n.log"
		exit 1
	fi
done

# With the rule engine: the reassembled stub carries the traversal path in
# every MS08-067 variant, not in the ordinary-path call.
if "$MAMORI" net --help 2>&1 | grep -q -- ' -S '; then
	cat >"$tmp/smb.rules" <<'RULES'
alert smb any any -> any any (msg:"traversal in DCERPC stub over SMB"; dcerpc.stub_data; content:"|5c 00 2e 00 2e 00 5c 00|"; sid:9000001;)
alert dcerpc any any -> any any (msg:"traversal in DCERPC stub over TCP"; dcerpc.stub_data; content:"|5c 00 2e 00 2e 00 5c 00|"; sid:9000002;)
alert smb any any -> any any (msg:"ADMIN$ tree connect"; smb.share; content:"ADMIN$"; sid:9000003;)
alert smb any any -> any any (msg:"NTLMSSP user"; smb.ntlmssp_user; content:"mamorismb"; sid:9000004;)
RULES
	for n in ms08067_smb2 ms08067_frags ms08067_tcpseg ms08067_ctx ms08067_be ms08067_smb1 netpr_benign dcerpc_tcp smb2_admin smb2_failed; do
		if ! "$MAMORI" net -q -k none -S "$tmp/smb.rules" -r "$data/$n.pcap" -l "$tmp/rules-$n" >"$tmp/rules-$n.log" 2>&1; then
			echo "FAIL: mamori net -S on $n"
			cat "$tmp/rules-$n.log"
			exit 1
		fi
	done
	have_rules=1
else
	echo "note: mamori net has no -S; alert checks skipped"
	have_rules=0
fi

python3 - "$tmp" "$have_rules" <<'EOF'
import json
import os
import sys

root = sys.argv[1]
SRVSVC = "4b324fc8-1670-01d3-1278-5a47bf6ee188"
ATSVC = "1ff70682-0a51-30e8-076d-740be8cee98b"
fails = []


def eve(name, et=None):
    recs = []
    with open(os.path.join(root, name, "eve.json")) as f:
        for line in f:
            r = json.loads(line)
            if et is None or r.get("event_type") == et:
                recs.append(r)
    return recs


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails.append(what)


def calls(name):
    return [r["smb"]["dcerpc"] for r in eve(name, "smb") if "dcerpc" in r["smb"]]


def opnum_calls(name, uuid, opnum):
    return [c for c in calls(name) if c.get("request") == "REQUEST" and c.get("opnum") == opnum
            and c.get("interface", {}).get("uuid") == uuid]


# MS08-067 shapes: srvsvc bound, opnum 31, stub reassembled.
for name, frags in (("ms08067_smb2", 1), ("ms08067_frags", 12), ("ms08067_tcpseg", 1),
                    ("ms08067_ctx", 1), ("ms08067_be", 1), ("ms08067_smb1", 1)):
    c = opnum_calls(name, SRVSVC, 31)
    check(len(c) == 1, "%s: one srvsvc opnum 31 request" % name)
    if c:
        check(c[0]["req"]["frag_cnt"] == frags, "%s: frag_cnt %d" % (name, frags))
        check(c[0]["req"]["stub_data_size"] == 292, "%s: stub 292 bytes" % name)
        check(c[0]["response"] == "RESPONSE", "%s: response paired" % name)
binds = [c for c in calls("ms08067_ctx") if c["request"] == "BIND"]
check(len(binds) == 1 and [i["uuid"] for i in binds[0]["interfaces"]][2] == SRVSVC
      and len(binds[0]["interfaces"]) == 3, "ms08067_ctx: 3 contexts, srvsvc third")
check(len(opnum_calls("netpr_benign", SRVSVC, 31)) == 1, "netpr_benign: opnum 31 seen (the path decides)")
check(len(opnum_calls("atsvc_jobadd", ATSVC, 0)) == 1, "atsvc_jobadd: atsvc opnum 0")

# Real Samba traffic.
srv = calls("smb2_srvsvc")
check(any(c["request"] == "BIND" and c["response"] == "BINDACK" and
          c["interfaces"][0]["uuid"] == SRVSVC and c["interfaces"][0]["ack_result"] == 0 for c in srv),
      "smb2_srvsvc: srvsvc bind accepted")
check(len(opnum_calls("smb2_srvsvc", SRVSVC, 15)) == 1, "smb2_srvsvc: NetShareEnumAll (opnum 15) paired through STATUS_PENDING")

smb = eve("smb2_admin", "smb")
check(any(r["smb"].get("share") == "\\\\127.0.0.1\\ADMIN$" and r["smb"]["command"] == "SMB2_COMMAND_TREE_CONNECT"
          and r["smb"]["status"] == "STATUS_SUCCESS" and r["smb"]["share_type"] == "FILE" for r in smb),
      "smb2_admin: ADMIN$ tree connect")
check(any(r["smb"].get("named_pipe") == "\\\\127.0.0.1\\IPC$" and r["smb"]["share_type"] == "PIPE" for r in smb),
      "smb2_admin: IPC$ tree connect (named_pipe, PIPE)")

smb = eve("smb2_failed", "smb")
fail = [r["smb"] for r in smb if r["smb"].get("status") == "STATUS_LOGON_FAILURE"]
check(len(fail) == 3 and all(s["command"] == "SMB2_COMMAND_SESSION_SETUP" and s["status_code"] == "0xc000006d"
                             and s["ntlmssp"]["user"] == "mamorismb" for s in fail),
      "smb2_failed: 3 STATUS_LOGON_FAILURE with ntlmssp user")

smb = eve("smb2_session", "smb")
ok = [r["smb"] for r in smb if r["smb"]["command"] == "SMB2_COMMAND_SESSION_SETUP" and r["smb"]["status"] == "STATUS_SUCCESS"]
check(len(ok) == 1 and ok[0]["ntlmssp"]["user"] == "mamorismb" and ok[0]["ntlmssp"]["domain"] == "WORKGROUP",
      "smb2_session: successful logon with user/domain")
check(any(r["smb"]["command"] == "SMB2_COMMAND_WRITE" and r["smb"].get("filename") == "hello.txt" for r in smb),
      "smb2_session: write to hello.txt")
check(any(r["smb"]["command"] == "SMB2_COMMAND_READ" and r["smb"].get("share") == "\\\\127.0.0.1\\data" for r in smb),
      "smb2_session: read on \\\\127.0.0.1\\data")
check(all(r["smb"]["dialect"] == "3.11" for r in smb), "smb2_session: dialect 3.11")

smb = eve("smb1_session", "smb")
check(any(r["smb"]["command"] == "SMB1_COMMAND_SESSION_SETUP_ANDX" and r["smb"]["status"] == "STATUS_LOGON_FAILURE"
          and r["smb"]["ntlmssp"]["user"] == "mamorismb" for r in smb), "smb1_session: failed SMB1 logon")
check(any(r["smb"]["command"] == "SMB1_COMMAND_WRITE_ANDX" and r["smb"].get("filename") == "\\hello1.txt" for r in smb),
      "smb1_session: write AndX to \\hello1.txt")

smb = eve("ms08067_smb1", "smb")
check(any(r["smb"]["command"] == "SMB1_COMMAND_TREE_CONNECT_ANDX" and r["smb"].get("named_pipe") == "\\\\192.168.56.10\\IPC$"
          for r in smb), "ms08067_smb1: tree connect chained after session setup AndX")
check(any(r["smb"]["command"] == "SMB1_COMMAND_SESSION_SETUP_ANDX" and r["smb"].get("ntlmssp", {}).get("user") == "bob"
          for r in smb), "ms08067_smb1: raw NTLMSSP user bob")

smb = eve("smb2_compound", "smb")
cmds = [r["smb"]["command"] for r in smb]
check(cmds[-3:] == ["SMB2_COMMAND_CREATE", "SMB2_COMMAND_IOCTL", "SMB2_COMMAND_CLOSE"],
      "smb2_compound: create+ioctl+close, one record each")
io = [r["smb"] for r in smb if r["smb"]["command"] == "SMB2_COMMAND_IOCTL"]
check(len(io) == 1 and io[0]["dcerpc"]["response"] == "BINDACK", "smb2_compound: async ioctl bind answered")
stats = eve("smb2_compound", "stats")[-1]["stats"]["app_layer"]
check(stats["tx"]["smb"] == 6, "smb2_compound: 6 smb transactions")

dce = [r["dcerpc"] for r in eve("dcerpc_tcp", "dcerpc")]
req = [d for d in dce if d["request"] == "REQUEST"]
check(len(dce) == 4 and len(req) == 2 and all(d["req"]["opnum"] == 31 and d["req"]["frag_cnt"] == 4 and
                                               d["req"]["stub_data_size"] == 292 for d in req),
      "dcerpc_tcp: LE and BE requests reassembled from 4 fragments")
check(all(d["rpc_version"] == "5.0" for d in dce), "dcerpc_tcp: rpc_version")
bind = [d for d in dce if d["request"] == "BIND"]
check(all([i["ack_result"] for i in d["interfaces"]] == [2, 0] for d in bind), "dcerpc_tcp: bind_ack results")

if sys.argv[2] == "1":
    def sids(name):
        return sorted(r["alert"]["signature_id"] for r in eve("rules-" + name, "alert"))
    for name in ("ms08067_smb2", "ms08067_frags", "ms08067_tcpseg", "ms08067_ctx", "ms08067_be", "ms08067_smb1"):
        # "alert dcerpc" rules also inspect DCERPC carried over SMB (as Suricata).
        check(sids(name) in ([9000001], [9000001, 9000002]), "%s: stub traversal alert once" % name)
    check(sids("netpr_benign") == [], "netpr_benign: no alert")
    check(sids("dcerpc_tcp") == [9000002, 9000002], "dcerpc_tcp: LE and BE traversal alerts")
    check(9000003 in sids("smb2_admin"), "smb2_admin: smb.share ADMIN$ alert")
    check(sids("smb2_failed").count(9000004) == 3, "smb2_failed: smb.ntlmssp_user on 3 logons")

if fails:
    print("%d checks failed" % len(fails))
    sys.exit(1)
print("all checks passed")
EOF
