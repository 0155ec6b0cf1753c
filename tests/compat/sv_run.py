#!/usr/bin/env python3
"""Run the suricata-verify cases with mamori and evaluate their checks.

Each case folder holds a pcap, usually a test.rules and a test.yaml whose
`checks` are filters over the EVE records (`count` of records whose dotted
fields `match`, with the __len/__contains/__startswith/__endswith/__find
matchers).  mamori emulates Suricata 7.0's behaviour and EVE shape, so
cases that need a later or earlier version, a build feature, a custom
command, IPS mode, a rule that does not load or an event type mamori does
not produce are SKIPPED with the reason -- never counted as passed.

Usage:
  sv_run.py --mamori BIN --tests DIR [--out DIR] [--only LIST] [--gate LIST]
            [--write-pass FILE] [-j N] [PATTERN...]
Prints one line per case, a table per area, and last
`N passed, N failed, N skipped`.  Exit 1 when a --gate case fails.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EMULATED_VERSION = (7, 0, 99)
# Event types mamori writes today.  A check over another type is skipped.
BASE_EVENT_TYPES = {"flow", "http", "dns", "smtp", "tls", "ssh", "smb", "dcerpc", "stats"}
DETECT_EVENT_TYPES = {"alert"}


def parse_version(v):
    parts = re.findall(r"\d+", str(v))
    parts = [int(p) for p in parts[:3]]
    while len(parts) < 3:
        parts.append(None)
    return tuple(parts)


def version_ge(have, want):
    for h, w in zip(have, want):
        if w is None:
            return True
        if h != w:
            return h > w
    return True


def version_eq(have, want):
    for h, w in zip(have, want):
        if w is None:
            return True
        if h != w:
            return False
    return True


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def find_value(name, obj):
    for part in name.split("."):
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        index = None
        if m:
            part, index = m.group(1), int(m.group(2))
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
        if index is not None:
            if not isinstance(obj, list) or index >= len(obj):
                return None
            obj = obj[index]
    return obj


def match_one(key, expected, event):
    if key == "has-key":
        return find_value(expected, event) is not None
    if key == "not-has-key":
        return find_value(expected, event) is None
    for suffix in ("__len", "__contains", "__startswith", "__endswith", "__find"):
        if key.endswith(suffix):
            val = find_value(key[: -len(suffix)], event)
            if val is None:
                return False
            if suffix == "__len":
                return len(val) == expected
            if suffix == "__contains":
                return expected in val
            if suffix == "__startswith":
                return isinstance(val, str) and val.startswith(expected)
            if suffix == "__endswith":
                return isinstance(val, str) and val.endswith(expected)
            if suffix == "__find":
                return isinstance(val, str) and val.find(expected) >= 0
    val = find_value(key, event)
    if isinstance(expected, float) or isinstance(val, float):
        return val is not None and float(val) == float(expected)
    return val == expected


def check_requires(req, where):
    if not req:
        return
    for key, val in req.items():
        if key == "min-version":
            if not version_ge(EMULATED_VERSION, parse_version(val)):
                raise Skip("%srequires Suricata >= %s behaviour" % (where, val))
        elif key == "version":
            if not version_eq(EMULATED_VERSION, parse_version(val)):
                raise Skip("%sonly for Suricata %s" % (where, val))
        elif key in ("lt-version", "max-version"):
            want = parse_version(val)
            ge = version_ge(EMULATED_VERSION, want)
            if (key == "lt-version" and ge) or (key == "max-version" and ge and not version_eq(EMULATED_VERSION, want)):
                raise Skip("%sonly for Suricata %s %s" % (where, "<" if key == "lt-version" else "<=", val))
        elif key == "features":
            raise Skip("%srequires build feature(s) %s" % (where, ", ".join(map(str, val))))
        elif key == "env":
            raise Skip("%srequires environment %s" % (where, val))
        elif key == "files":
            raise Skip("%srequires Suricata source files %s" % (where, val))
        elif key == "script":
            raise Skip("%srequires a script check" % where)
        elif key == "config":
            raise Skip("%srequires Suricata config %s" % (where, val))
        elif key in ("pcap",):
            continue
        elif key == "keywords":
            raise Skip("%srequires keyword(s) %s" % (where, ", ".join(map(str, val))))
        elif key == "os":
            continue
        else:
            raise Skip("%sunknown requirement '%s'" % (where, key))


def area_of(name):
    for prefix in ("http2", "http", "dns", "smtp", "smb", "dcerpc", "tls", "ja4", "ssh",
                   "tcp", "stream", "decode", "defrag", "ipv6", "datasets",
                   "flowbit", "detect", "threshold", "base64", "eve", "pcap",
                   "alert", "bug", "flow"):
        if name.startswith(prefix):
            return {"flowbit": "flowbits", "ja4": "tls", "stream": "tcp",
                    "defrag": "decode", "ipv6": "decode"}.get(prefix, prefix)
    return "other"


class Runner:
    def __init__(self, args):
        self.mamori = os.path.abspath(args.mamori)
        self.outroot = args.out
        helptext = subprocess.run([self.mamori, "net", "--help"],
                                  capture_output=True, text=True).stdout
        self.has_rules = " -S " in helptext or "\n  -S" in helptext
        self.event_types = set(BASE_EVENT_TYPES)
        if self.has_rules:
            self.event_types |= DETECT_EVENT_TYPES
        extra = os.environ.get("MAMORI_EVE_TYPES")
        if extra:
            self.event_types |= set(extra.split(","))

    def translate_args(self, cfg_args):
        out = []
        toks = []
        for a in cfg_args or []:
            toks += str(a).split()
        i = 0
        while i < len(toks):
            t = toks[i]
            if t == "-k" and i + 1 < len(toks):
                out += ["-k", toks[i + 1]]
                i += 2
                continue
            if t == "--set" and i + 1 < len(toks):
                i += 2          # Suricata config overrides: not modelled
                continue
            if t in ("-v", "-vv", "-vvv", "--strict-rule-keywords"):
                i += 1
                continue
            if t.startswith("--set=") or t.startswith("--runmode") or t.startswith("--data-dir"):
                i += 1
                continue
            if t == "--simulate-ips":
                raise Skip("IPS mode")
            raise Skip("Suricata option '%s'" % t)
        return out

    def run_case(self, d, name):
        cfg_path = os.path.join(d, "test.yaml")
        if not os.path.exists(cfg_path):
            raise Skip("no test.yaml (old-style expected output)")
        with open(cfg_path, "rb") as f:
            cfg = yaml.safe_load(f) or {}
        check_requires(cfg.get("requires"), "")
        for sk in cfg.get("skip", []) or []:
            if "uid" in sk and os.getuid() == sk["uid"]:
                raise Skip(sk.get("msg", "not for uid %d" % sk["uid"]))
            if "feature" in sk:
                continue
            if "config" in sk:
                continue
        if "command" in cfg:
            raise Skip("custom command")
        if "ips" in name.split("-"):
            raise Skip("IPS mode")
        if cfg.get("pcap") is False:
            raise Skip("no pcap")
        if "pcap" in cfg:
            pcap = os.path.normpath(os.path.join(d, cfg["pcap"]))
        else:
            pcaps = glob.glob(os.path.join(d, "*.pcap")) + glob.glob(os.path.join(d, "*.pcapng"))
            if len(pcaps) != 1:
                raise Skip("%d pcaps in folder" % len(pcaps))
            pcap = pcaps[0]
        if not os.path.exists(pcap):
            raise Skip("pcap %s missing" % pcap)
        rules = glob.glob(os.path.join(d, "*.rules"))
        args = self.translate_args(cfg.get("args"))
        checks = cfg.get("checks") or []
        if not checks:
            raise Skip("no checks")
        # Which event types do the checks need?
        for chk in checks:
            for kind, body in chk.items():
                if kind == "filter":
                    et = (body.get("match") or {}).get("event_type")
                    if et and et not in self.event_types:
                        try:
                            check_requires(body.get("requires"), "")
                        except Skip:
                            continue
                        raise Skip("needs event_type '%s'" % et)
                elif kind in ("shell", "file-compare"):
                    raise Skip("%s check" % kind)
        if len(rules) > 1:
            raise Skip("several rule files")
        if rules and os.path.getsize(rules[0]) > 0:
            if not self.has_rules:
                raise Skip("rules: the rule engine is not built yet")
            r = subprocess.run([self.mamori, "rules", "check", rules[0]],
                               capture_output=True, text=True)
            if r.returncode != 0:
                first = (r.stdout.strip().splitlines() or ["?"])[0]
                raise Skip("rule not supported: %s" % first)
            args += ["-S", rules[0]]
        outdir = os.path.join(self.outroot, name)
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        cmd = [self.mamori, "net", "-q", "-r", pcap, "-l", outdir] + args
        with open(os.path.join(outdir, "cmdline"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=300)
        with open(os.path.join(outdir, "stderr"), "w") as f:
            f.write(r.stderr)
        want_rc = cfg.get("exit-code", 0)
        if r.returncode != want_rc:
            raise Fail("exit code %d, expected %d: %s" % (r.returncode, want_rc,
                                                         r.stderr.strip()[-300:]))
        events = []
        eve = os.path.join(outdir, "eve.json")
        if os.path.exists(eve):
            with open(eve) as f:
                for line in f:
                    events.append(json.loads(line))
        for chk in checks:
            for kind, body in chk.items():
                if kind == "filter":
                    try:
                        check_requires(body.get("requires"), "")
                    except Skip:
                        continue
                    match = body.get("match") or {}
                    n = sum(1 for ev in events
                            if all(match_one(k, v, ev) for k, v in match.items()))
                    if "count" in body and n != body["count"]:
                        raise Fail("expected %d, got %d for %s" % (body["count"], n, json.dumps(match)))
                    if "lt" in body and not n < body["lt"]:
                        raise Fail("expected < %d, got %d for %s" % (body["lt"], n, json.dumps(match)))
                    if "gt" in body and not n > body["gt"]:
                        raise Fail("expected > %d, got %d for %s" % (body["gt"], n, json.dumps(match)))
                elif kind == "stats":
                    stats = None
                    for ev in events:
                        if ev.get("event_type") == "stats":
                            stats = ev["stats"]
                    for key, val in body.items():
                        got = find_value(key, stats or {})
                        if got != val:
                            raise Fail("stats.%s: expected %s, got %s" % (key, val, got))
                else:
                    raise Skip("check type '%s'" % kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mamori", required=True)
    ap.add_argument("--tests", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", help="file listing case names to run")
    ap.add_argument("--gate", help="file listing cases that must pass")
    ap.add_argument("--write-pass", help="write the passing case names here")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()
    if args.out is None:
        args.out = tempfile.mkdtemp(prefix="mamori-sv-")
    runner = Runner(args)

    cases = []
    for cfg in sorted(glob.glob(os.path.join(args.tests, "**", "test.yaml"), recursive=True)):
        d = os.path.dirname(cfg)
        name = os.path.relpath(d, args.tests)
        cases.append((name, d))
    listed = None
    for lst in (args.only, args.gate):
        if lst:
            with open(lst) as f:
                listed = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    if listed is not None:
        cases = [c for c in cases if c[0] in listed]
    if args.patterns:
        cases = [c for c in cases if any(p in c[0] for p in args.patterns)]

    def one(c):
        name, d = c
        try:
            runner.run_case(d, name)
            return name, "PASS", ""
        except Skip as e:
            return name, "SKIP", str(e)
        except Fail as e:
            return name, "FAIL", str(e)
        except subprocess.TimeoutExpired:
            return name, "FAIL", "timeout"
        except Exception as e:  # a broken case file is a skip, not a pass
            return name, "SKIP", "runner could not read case: %s" % e

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as ex:
        results = list(ex.map(one, cases))

    areas = {}
    for name, status, why in results:
        print("%s %s%s" % (status, name, (": " + why) if why else ""))
        a = areas.setdefault(area_of(os.path.basename(name) if "/" not in name else name.split("/")[0]), [0, 0, 0])
        a[{"PASS": 0, "FAIL": 1, "SKIP": 2}[status]] += 1
    print("\n%-10s %6s %6s %7s" % ("area", "passed", "failed", "skipped"))
    for a in sorted(areas):
        p, f, s = areas[a]
        print("%-10s %6d %6d %7d" % (a, p, f, s))
    skips = {}
    for _, status, why in results:
        if status == "SKIP":
            key = re.sub(r"'[^']*'|\d+(\.\d+)*", "X", why)[:60]
            skips[key] = skips.get(key, 0) + 1
    print("\nskip reasons:")
    for why, n in sorted(skips.items(), key=lambda x: -x[1]):
        print("%6d  %s" % (n, why))
    npass = sum(1 for r in results if r[1] == "PASS")
    nfail = sum(1 for r in results if r[1] == "FAIL")
    nskip = sum(1 for r in results if r[1] == "SKIP")
    if args.write_pass:
        with open(args.write_pass, "w") as f:
            f.write("# suricata-verify cases mamori passes (regression gate; "
                    "regenerate with make compat-report)\n")
            for name, status, _ in results:
                if status == "PASS":
                    f.write(name + "\n")
    print("\n%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    if args.gate and nfail:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
