#!/usr/bin/env python3
"""Compare what `mamori net` logs with what tshark dissects, pcap by pcap.

For every pcap under SHARED/suricata-verify/tests/ (deduplicated by
SHA-256) tshark is run once with reassembly settings that match mamori's
(TCP out-of-order reassembly, HTTP header/body desegmentation, IP
defragmentation); what it dissects is reduced to a small summary and cached
under CACHE/<sha256>-<key>.json, the key covering the tshark version, its
options and this script's extraction version.  Pcaps in which tshark sees
HTTP over TCP, DNS or SMTP are selected — once, by `--update-list`, which
classifies every pcap and writes the selection to tests/compat/pcaps.txt
(tshark starts slowly, so routine runs only dissect the listed pcaps); mamori runs on each of them
(`MAMORI net -r PCAP -l TMPDIR -q`), and the two views are compared:

  http  one transaction per request: (method, url, hostname, user agent)
        must match as multisets; for matched requests the response status
        and body length are compared where tshark saw the response
  dns   query records: count per (rrname, rrtype); answer records:
        (rrname, rrtype, rcode, answers as (rrname, rrtype, rdata))
  smtp  one transaction per MAIL FROM: (helo, mail_from, rcpt_to list)

Each disagreement is printed; the last line is "N passed, N failed".  Exit
status 1 when fewer than --min-agreement (95%) of compared pcaps agree, 2 on
a usage or environment error.  Pcaps whose traffic mamori does not decode
by design (tunnels, link types outside the supported list) are listed as
skipped with the reason and are not counted.  See tests/compat/README.md.
"""
import argparse
import collections
import concurrent.futures
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXTRACT_VERSION = 4
TSHARK_OPTS = [
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "tcp.reassemble_out_of_order:TRUE",
    "-o", "tcp.check_checksum:FALSE",
    "-o", "http.desegment_headers:TRUE",
    "-o", "http.desegment_body:TRUE",
    "-o", "http.dechunk_body:TRUE",
    "-o", "smtp.desegment_lines:TRUE",
    "-o", "dns.desegment_dns_messages:TRUE",
    "-o", "ip.defragment:TRUE",
    "-o", "ipv6.defragment:TRUE",
]
TSHARK_FILTER = "http || dns || smtp"
TSHARK_TIMEOUT = 120
TSHARK_LAYERS = "frame tcp udp http dns smtp"

# Link layers and encapsulations mamori decodes (first element of tshark's
# frame.protocols, and protocols that, when present, mean a tunnel).
LINK_OK = {"eth", "sll", "null", "loop", "raw", "ip", "ipv6"}
TUNNELS = {"gre", "vxlan", "teredo", "erspan", "mpls", "pppoe", "ppp", "geneve",
           "gtp", "l2tp", "ayiya", "ipip", "nsh", "etherip", "cflow", "sflow",
           "mdns", "llmnr"}

RRTYPES = {
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG",
    9: "MR", 10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO",
    15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN",
    21: "RT", 22: "NSAP", 23: "NSAPPTR", 24: "SIG", 25: "KEY", 26: "PX",
    27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC",
    33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
    39: "DNAME", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
    45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
    50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP",
    59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD",
    64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY", 250: "TSIG",
    251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY",
    256: "URI", 257: "CAA", 32768: "TA", 32769: "DLV",
}
RRTYPE_NUM = {v: k for k, v in RRTYPES.items()}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
          "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]
# Per-folder comparison policy: which parts are compared, and why not.
POLICIES = [
    ("http-evader/", {"http_response": False},
     "HTTP Evader cases frame responses ambiguously on purpose (odd chunking, "
     "duplicate Content-Length, broken status lines); tshark, browsers and IDSs "
     "disagree on the body there by design, so only the request side is compared"),
]


def policy(relpath):
    for prefix, pol, _ in POLICIES:
        if relpath.startswith(prefix):
            return pol
    return {}


# rdata compared only for these types (others: name and type only)
RDATA_FIELDS = {
    "A": "dns.a", "AAAA": "dns.aaaa", "CNAME": "dns.cname",
    "MX": "dns.mx.mail_exchange", "NS": "dns.ns", "PTR": "dns.ptr.domain_name",
    "TXT": "dns.txt",
}


# ------------------------------------------------------------------ helpers

def walk(obj):
    """Yields (key, value) for every leaf and subtree of tshark's JSON, in order."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, list):
                for item in v:
                    yield k, item
                    yield from walk(item)
            else:
                yield k, v
                yield from walk(v)
    elif isinstance(obj, list):
        for item in obj:
            yield from walk(item)


def first(obj, key):
    for k, v in walk(obj):
        if k == key and not isinstance(v, (dict, list)):
            return v
    return None


def all_values(obj, key):
    return [v for k, v in walk(obj) if k == key and not isinstance(v, (dict, list))]


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def norm_host(h):
    if h is None:
        return None
    h = h.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[: end + 1] if end > 0 else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def host_from_uri(uri):
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)", uri or "")
    if not m:
        return None
    auth = m.group(1).rsplit("@", 1)[-1]
    return norm_host(auth)


def norm_rrtype(t):
    if t is None:
        return None
    if isinstance(t, int):
        return RRTYPES.get(t, str(t))
    s = str(t).strip()
    if s.isdigit():
        return RRTYPES.get(int(s), s)
    if s.upper().startswith("TYPE") and s[4:].isdigit():
        return RRTYPES.get(int(s[4:]), s[4:])
    return s.upper()


def norm_rcode(r):
    if r is None:
        return None
    s = str(r).strip()
    if s.isdigit():
        n = int(s)
        return RCODES[n] if n < len(RCODES) else s
    return s.upper()


def norm_name(n):
    if n is None:
        return None
    n = str(n)
    if n.lower() in ("<root>", "."):
        return ""
    return n.rstrip(".")


def norm_rdata(t, rd):
    """rdata in one spelling: names without the final dot, IPv6 compressed
    (Suricata 7 writes AAAA fully expanded, tshark compressed)."""
    if rd is None:
        return None
    if t in ("CNAME", "MX", "NS", "PTR"):
        return norm_name(rd)
    if t in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(rd))
        except ValueError:
            return rd
    return rd


def norm_addr(a):
    """SMTP address: first token after an optional FROM:/TO:, without <> ."""
    if a is None:
        return None
    s = a.strip()
    m = re.match(r"^(?:from|to)\s*:\s*", s, re.I)
    if m:
        s = s[m.end():]
    s = s.strip()
    if s.startswith("<"):
        end = s.find(">")
        s = s[1:end] if end >= 0 else s[1:]
    else:
        s = s.split(" ", 1)[0]
    return s.strip()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------- tshark side

def tshark_extract(packets):
    """Reduces tshark -T json packets to the summary compared with mamori."""
    links = collections.Counter()
    tunnels = collections.Counter()
    http_streams = collections.OrderedDict()
    smtp_streams = collections.OrderedDict()
    dns_queries = []
    dns_answers = []
    for pkt in packets:
        layers = pkt.get("_source", {}).get("layers", {})
        protos = (first(layers.get("frame", {}), "frame.protocols") or "").split(":")
        if "icmp" in protos or "icmpv6" in protos:
            continue	# a datagram quoted in an ICMP error, not traffic
        if protos:
            links[protos[0]] += 1
        for p in protos:
            if p in TUNNELS:
                tunnels[p] += 1
        if protos.count("ip") + protos.count("ipv6") > 1:
            tunnels["ip-in-ip"] += 1
        on_udp = "udp" in protos and "tcp" not in protos
        stream = first(layers.get("tcp", {}), "tcp.stream")
        if "http" in layers and not on_udp and stream is not None:
            st = http_streams.setdefault(stream, {"req": [], "resp": []})
            for msg in as_list(layers["http"]):
                if not isinstance(msg, dict):
                    continue
                method = first(msg, "http.request.method")
                code = first(msg, "http.response.code")
                if method is not None:
                    uri = first(msg, "http.request.uri")
                    host = first(msg, "http.host")
                    if host is not None:
                        host = norm_host(host)
                    elif method == "CONNECT":
                        host = norm_host(uri)	# authority form: host:port
                    else:
                        host = host_from_uri(uri)
                    st["req"].append({
                        "method": method, "url": uri,
                        "hostname": host,
                        "ua": first(msg, "http.user_agent"),
                    })
                elif code is not None:
                    chunks = all_values(msg, "http.chunk_size")
                    cl = first(msg, "http.content_length")
                    length = None
                    if chunks:
                        try:
                            length = sum(int(c, 0) if isinstance(c, str) else int(c) for c in chunks)
                        except ValueError:
                            length = None
                    elif cl is not None:
                        try:
                            length = int(cl)
                        except ValueError:
                            length = None
                    st["resp"].append({"status": int(code), "length": length})
        if "dns" in layers:
            for msg in as_list(layers["dns"]):
                if not isinstance(msg, dict):
                    continue
                resp = first(msg, "dns.flags.response")
                qs = []
                for k, v in walk(msg.get("Queries", {})):
                    if isinstance(v, dict) and "dns.qry.name" in v:
                        qs.append((norm_name(v.get("dns.qry.name")), norm_rrtype(v.get("dns.qry.type"))))
                if resp == "0":
                    dns_queries.extend(qs)
                elif resp == "1":
                    answers = []
                    for k, v in walk(msg.get("Answers", {})):
                        if isinstance(v, dict) and "dns.resp.type" in v:
                            t = norm_rrtype(v.get("dns.resp.type"))
                            rd = None
                            if t in RDATA_FIELDS:
                                vals = as_list(v.get(RDATA_FIELDS[t]))
                                rd = "".join(vals) if t == "TXT" else (vals[0] if vals else None)
                                rd = norm_rdata(t, rd)
                            answers.append((norm_name(v.get("dns.resp.name")), t, rd))
                    rcode = first(msg, "dns.flags.rcode")
                    q = qs[0] if qs else (None, None)
                    dns_answers.append({"rrname": q[0], "rrtype": q[1],
                                        "rcode": norm_rcode(rcode), "answers": sorted(answers, key=repr)})
        if "smtp" in layers and stream is not None:
            st = smtp_streams.setdefault(stream, {"helo": None, "mails": []})
            for msg in as_list(layers["smtp"]):
                for k, v in walk(msg):
                    if k != "smtp.command_line_tree" or not isinstance(v, dict):
                        continue
                    cmd = (v.get("smtp.req.command") or "").upper()
                    param = v.get("smtp.req.parameter")
                    if cmd in ("HELO", "EHLO"):
                        st["helo"] = (param or "").strip()
                    elif cmd == "MAIL":
                        st["mails"].append({"helo": st["helo"], "mail_from": norm_addr(param), "rcpt_to": []})
                    elif cmd == "RCPT" and st["mails"]:
                        st["mails"][-1]["rcpt_to"].append(norm_addr(param))
    http = []
    for st in http_streams.values():
        resps = [r for r in st["resp"] if not 100 <= r["status"] < 200]
        for i, req in enumerate(st["req"]):
            tx = dict(req)
            tx["status"] = resps[i]["status"] if i < len(resps) else None
            tx["length"] = resps[i]["length"] if i < len(resps) else None
            if tx["status"] is not None and (tx["status"] in (204, 304) or req["method"] == "HEAD"):
                tx["length"] = 0
            http.append(tx)
    smtp = [m for st in smtp_streams.values() for m in st["mails"]]
    return {"links": dict(links), "tunnels": dict(tunnels), "http": http,
            "dns_queries": dns_queries, "dns_answers": dns_answers, "smtp": smtp}


def tshark_summary(pcap, sha, cache_dir, version):
    key = hashlib.sha256(json.dumps([version, TSHARK_OPTS, TSHARK_FILTER, TSHARK_LAYERS,
                                     EXTRACT_VERSION]).encode()).hexdigest()[:16]
    cpath = os.path.join(cache_dir, f"{sha}-{key}.json")
    try:
        with open(cpath) as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    cmd = ["tshark", "-n", "-r", pcap, *TSHARK_OPTS, "-Y", TSHARK_FILTER, "-T", "json",
           "--no-duplicate-keys", "-J", TSHARK_LAYERS]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TSHARK_TIMEOUT)
    except subprocess.TimeoutExpired:
        summary = {"error": f"tshark took more than {TSHARK_TIMEOUT} s"}
    else:
        out = p.stdout.decode("utf-8", "replace").strip()
        try:
            packets = json.loads(out) if out else []
        except ValueError as e:
            summary = {"error": f"tshark output not JSON ({e}); exit {p.returncode}"}
        else:
            summary = tshark_extract(packets)
    tmp = cpath + f".{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f)
    os.replace(tmp, cpath)
    return summary


# ------------------------------------------------------------- mamori side

def mamori_summary(mamori, pcap, timeout):
    """Runs mamori on pcap; returns (summary, error string or None)."""
    with tempfile.TemporaryDirectory(prefix="mamori-compat-") as d:
        cmd = [mamori, "net", "-r", pcap, "-l", d, "-q"]
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, f"mamori timed out after {timeout}s"
        err = p.stderr.decode("utf-8", "replace")
        if "Sanitizer" in err or "runtime error" in err or p.returncode not in (0, 1, 2):
            return None, f"mamori exit {p.returncode}: {err.strip()[-400:]}"
        # exit 2 with records written: a capture that ends in a truncated or
        # corrupt record; what was read before it is still compared.
        if p.returncode == 2 and not os.path.exists(os.path.join(d, "eve.json")):
            return None, f"mamori exit 2: {err.strip()[-400:]}"
        records = []
        try:
            with open(os.path.join(d, "eve.json"), encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            records.append(json.loads(line))
                        except ValueError:
                            return None, f"eve.json line {n} is not JSON"
        except OSError as e:
            return None, f"no eve.json: {e}"
    return eve_extract(records), None


def eve_extract(records):
    http, dns_queries, dns_answers, smtp = [], [], [], []
    for r in records:
        et = r.get("event_type")
        if et == "http":
            h = r.get("http", {})
            if h.get("http_method") is None:
                continue
            http.append({"method": h.get("http_method"), "url": h.get("url"),
                         "hostname": norm_host(h.get("hostname")), "ua": h.get("http_user_agent"),
                         "status": h.get("status"), "length": h.get("length")})
        elif et == "dns":
            d = r.get("dns", {})
            typ = d.get("type")
            if typ == "query":
                dns_queries.append((norm_name(d.get("rrname")), norm_rrtype(d.get("rrtype"))))
            elif typ in ("answer", "response"):
                if "queries" in d:	# Suricata 8 (version 3) layout
                    q = d["queries"][0] if d["queries"] else {}
                    rrname, rrtype = q.get("rrname"), q.get("rrtype")
                else:
                    rrname, rrtype = d.get("rrname"), d.get("rrtype")
                answers = []
                for a in d.get("answers", []) or []:
                    t = norm_rrtype(a.get("rrtype"))
                    rd = a.get("rdata") if t in RDATA_FIELDS else None
                    if t == "TXT" and isinstance(rd, list):
                        rd = "".join(rd)
                    rd = norm_rdata(t, rd)
                    answers.append((norm_name(a.get("rrname")), t, rd))
                dns_answers.append({"rrname": norm_name(rrname), "rrtype": norm_rrtype(rrtype),
                                    "rcode": norm_rcode(d.get("rcode")),
                                    "answers": sorted(answers, key=repr)})
            elif typ == "request" and "queries" in d:
                for q in d["queries"]:
                    dns_queries.append((norm_name(q.get("rrname")), norm_rrtype(q.get("rrtype"))))
        elif et == "smtp":
            s = r.get("smtp", {})
            if s.get("mail_from") is None:
                continue
            smtp.append({"helo": (s.get("helo") or "").strip() or None,
                         "mail_from": norm_addr(s.get("mail_from")),
                         "rcpt_to": [norm_addr(x) for x in as_list(s.get("rcpt_to"))]})
    return {"http": http, "dns_queries": dns_queries, "dns_answers": dns_answers, "smtp": smtp}


# --------------------------------------------------------------- compare

def multiset_diff(label, ts_items, mm_items, fmt, out):
    ts_c = collections.Counter(fmt(x) for x in ts_items)
    mm_c = collections.Counter(fmt(x) for x in mm_items)
    for k in sorted(set(ts_c) | set(mm_c)):
        if ts_c[k] != mm_c[k]:
            out.append(f"{label} {k}: tshark {ts_c[k]}, mamori {mm_c[k]}")


def compare(ts, mm, pol=None):
    """Returns a list of disagreement strings (empty: the pcap agrees)."""
    pol = pol or {}
    out = []
    if len(ts["http"]) != len(mm["http"]):
        out.append(f"http requests: tshark {len(ts['http'])}, mamori {len(mm['http'])}")
    key = lambda t: (t["method"], t["url"], t["hostname"], t["ua"])
    groups = collections.defaultdict(lambda: ([], []))
    for t in ts["http"]:
        groups[key(t)][0].append(t)
    for m in mm["http"]:
        groups[key(m)][1].append(m)
    for k, (tl, ml) in groups.items():
        desc = "http %s %s host=%r ua=%r" % (k[0], k[1], k[2], (k[3] or "")[:60] if k[3] else k[3])
        if len(tl) != len(ml):
            out.append(f"{desc}: tshark {len(tl)}, mamori {len(ml)}")
            continue
        # Pair responses: exact matches first, then where tshark saw none.
        rest = list(ml)
        pending = []
        for t in tl:
            for i, m in enumerate(rest):
                if m["status"] == t["status"] and (t["length"] is None or m["length"] == t["length"]):
                    del rest[i]
                    break
            else:
                pending.append(t)
        for t in pending:
            m = rest.pop(0)
            if t["status"] is None or not pol.get("http_response", True):
                continue	# tshark saw no (complete) response, or not compared
            if m["status"] != t["status"]:
                out.append(f"{desc}: status tshark {t['status']}, mamori {m['status']}")
            elif t["length"] is not None and m["length"] != t["length"]:
                out.append(f"{desc}: length tshark {t['length']}, mamori {m['length']}")
    multiset_diff("dns query", ts["dns_queries"], mm["dns_queries"],
                  lambda q: f"{q[0]!r}/{q[1]}", out)
    renorm = lambda a: dict(a, answers=sorted(((x[0], x[1], norm_rdata(x[1], x[2])) for x in a["answers"]),
                                              key=repr))
    multiset_diff("dns answer", [renorm(a) for a in ts["dns_answers"]], mm["dns_answers"],
                  lambda a: "%r/%s %s [%s]" % (a["rrname"], a["rrtype"], a["rcode"],
                                              ", ".join("%s %s %s" % tuple(map(str, x)) for x in a["answers"])),
                  out)
    if len(ts["smtp"]) != len(mm["smtp"]):
        out.append(f"smtp transactions: tshark {len(ts['smtp'])}, mamori {len(mm['smtp'])}")
    multiset_diff("smtp", ts["smtp"], mm["smtp"],
                  lambda s: "helo=%r from=%r rcpt=%r" % (s["helo"], s["mail_from"], s["rcpt_to"]), out)
    return out


def skip_reason(ts):
    if "error" in ts:
        return ts["error"]
    bad_links = sorted(set(ts["links"]) - LINK_OK)
    if bad_links:
        return "link type not decoded by mamori: " + ", ".join(bad_links)
    if ts["tunnels"]:
        return "encapsulation not decoded by mamori: " + ", ".join(sorted(ts["tunnels"]))
    return None


def interesting(ts):
    return "error" in ts or ts["http"] or ts["dns_queries"] or ts["dns_answers"] or ts["smtp"]


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--shared", required=True, help="shared data folder (holds suricata-verify/)")
    ap.add_argument("--cache", required=True, help="folder for cached tshark summaries")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per mamori run")
    ap.add_argument("--min-agreement", type=float, default=95.0)
    ap.add_argument("--verbose", action="store_true", help="also list passing and skipped pcaps")
    ap.add_argument("--list", action="store_true", help="only list the selected pcaps")
    ap.add_argument("--list-file", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "pcaps.txt"),
                    help="selection to use (default: pcaps.txt beside this script)")
    ap.add_argument("--update-list", action="store_true",
                    help="classify every pcap with tshark and rewrite --list-file")
    ap.add_argument("--eve", help="compare this eve.json with the single PCAP given instead of running mamori")
    ap.add_argument("pcaps", nargs="*", help="restrict to these pcaps (default: all)")
    a = ap.parse_args()

    root = os.path.join(a.shared, "suricata-verify", "tests")
    if a.pcaps:
        paths = [os.path.abspath(p) for p in a.pcaps]
    elif not a.update_list and os.path.exists(a.list_file):
        with open(a.list_file) as f:
            paths = [os.path.join(root, line.split(None, 1)[1].strip()) for line in f
                     if line.strip() and not line.startswith("#")]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            print(f"{len(missing)} listed pcaps are missing, e.g. {missing[0]}", file=sys.stderr)
            return 2
    else:
        paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                       if f.endswith((".pcap", ".pcapng")))
    if not paths:
        print(f"no pcaps under {root}", file=sys.stderr)
        return 2
    os.makedirs(a.cache, exist_ok=True)
    version = subprocess.run(["tshark", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode().splitlines()[0]

    by_sha = collections.OrderedDict()
    for p in paths:
        by_sha.setdefault(sha256_file(p), p)
    rel = lambda p: os.path.relpath(p, root) if p.startswith(root) else p

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {sha: ex.submit(tshark_summary, p, sha, a.cache, version) for sha, p in by_sha.items()}
        ts_all = {sha: f.result() for sha, f in futs.items()}

    selected, skipped = [], []
    for sha, p in by_sha.items():
        ts = ts_all[sha]
        if not interesting(ts):
            continue
        reason = skip_reason(ts)
        (skipped if reason else selected).append((p, ts, reason))
    print(f"{len(by_sha)} distinct pcaps, tshark sees HTTP/DNS/SMTP in "
          f"{len(selected) + len(skipped)}: {len(selected)} compared, {len(skipped)} skipped")
    if a.update_list:
        with open(a.list_file, "w") as f:
            f.write("# pcaps compared by tests/sh/compat_tshark.sh: those of suricata-verify/tests in\n"
                    "# which tshark dissects HTTP over TCP, DNS or SMTP.  Generated by\n"
                    "#   tests/compat/tshark_compare.py --update-list --mamori X --shared S --cache C\n"
                    f"# with {version.rstrip('.')}.  Format: sha256 path (relative to tests/).\n")
            for p, ts, _ in selected:
                f.write(f"{hashlib.sha256(open(p, 'rb').read()).hexdigest()} {rel(p)}\n")
            for p, _, reason in skipped:
                f.write(f"# skip {rel(p)}: {reason}\n")
        print(f"wrote {a.list_file}")
        return 0
    if a.eve:
        if len(selected) + len(skipped) != 1:
            print("--eve needs exactly one pcap in which tshark sees HTTP/DNS/SMTP", file=sys.stderr)
            return 2
        p, ts, _ = (selected + skipped)[0]
        with open(a.eve) as f:
            mm = eve_extract([json.loads(line) for line in f if line.strip()])
        diffs = compare(ts, mm, policy(rel(p)))
        for d in diffs:
            print(f"    {d}")
        print(f"{0 if diffs else 1} passed, {1 if diffs else 0} failed")
        return 1 if diffs else 0
    if a.list:
        for p, ts, _ in selected:
            kinds = [k for k in ("http", "dns_queries", "dns_answers", "smtp") if ts[k]]
            print(f"  {rel(p)}: {', '.join(kinds)}")
        for p, _, reason in skipped:
            print(f"  skip {rel(p)}: {reason}")
        return 0

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [(p, ts, ex.submit(mamori_summary, a.mamori, p, a.timeout)) for p, ts, _ in selected]
        passed = failed = 0
        for p, ts, fut in futs:
            mm, err = fut.result()
            diffs = [err] if err else compare(ts, mm, policy(rel(p)))
            if diffs:
                failed += 1
                print(f"FAIL {rel(p)}")
                for d in diffs[:25]:
                    print(f"    {d}")
                if len(diffs) > 25:
                    print(f"    ... and {len(diffs) - 25} more")
            else:
                passed += 1
                if a.verbose:
                    print(f"ok   {rel(p)}")
    for p, _, reason in skipped:
        print(f"skip {rel(p)}: {reason}")
    total = passed + failed
    pct = 100.0 * passed / total if total else 0.0
    print(f"agreement {pct:.1f}% (minimum {a.min_agreement:g}%)")
    print(f"{passed} passed, {failed} failed")
    return 0 if total and pct >= a.min_agreement else 1


if __name__ == "__main__":
    sys.exit(main())
