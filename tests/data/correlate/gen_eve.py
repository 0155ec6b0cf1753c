#!/usr/bin/env python3
"""Generates the EVE JSON fixtures of the correlation tests, gzip-compressed
(committed output; rerun after changing this script):

    python3 tests/data/correlate/gen_eve.py tests/data/correlate

Records follow the shape `mamori net` writes (Suricata's EVE: timestamp,
flow_id, event_type, src/dest, proto, app_proto, the app object; flow
records at flow end carrying the flow's start time as timestamp; DNS
answers logged with the client as src).  Timing is realistic: hours of
background traffic at human rates before the incident, the incident's
events spaced as in the published analyses (see rules/correlation.yaml).
Everything is inert data: no payloads, just the records a sensor writes.

Files (each NAME.json.gz):
  storm.json          Storm bot 10.1.1.23 (C&C POST with the typo alert,
                      MX lookups for 40 domains, SMTP rising from 0 to
                      ~150 flows in 20 min) + mail server 10.1.1.25 (MX
                      lookups and SMTP all day) + desktop 10.1.1.40,
                      three hours of background before the bot starts
                      -> exactly one storm-spam-bot incident (10.1.1.23)
                      when SMTP_SERVERS holds 10.1.1.25
  storm_norise.json   the same bot sending SMTP at a steady rate all day
                      (no rise over its own baseline) -> none
  storm_notypo.json   the same bot without the C&C alert -> none
  conficker_chain.json  victim 10.2.0.50: MS08-067 alert from 10.2.0.66,
                      HTTP GET from 10.2.0.66, then TCP/445 to 60 hosts
                      -> one conficker-infection-chain incident
  conficker_backup.json backup server 10.2.0.10: a (false-positive)
                      MS08-067 alert, HTTP from the update server
                      10.2.0.5, then SMB to 80 hosts -> an incident unless
                      BACKUP_SERVERS holds 10.2.0.10
  conficker_nodl.json  alert and 445 fan-out but no HTTP download -> none
  dga.json            10.3.0.77: 60 NXDOMAIN answers for Conficker-style
                      random names in 4 minutes -> one conficker-dga
  dga_typos.json      10.3.0.78: 60 NXDOMAIN answers for one-edit typos of
                      dictionary words in 4 minutes -> none
  lateral.json        10.4.0.9 -> 10.4.0.20: 30 failed SMB logons in 40 s,
                      ADMIN$ tree connect, atsvc NetrJobAdd -> one
                      smb-lateral-movement incident
  lateral_nojob.json  the same without the remote job -> none
"""
import gzip
import json
import os
import random
import sys
from datetime import datetime, timezone

T0 = 1227520800.0  # 2008-11-24 10:00:00 UTC (Conficker.A spread that week)
HOUR = 3600.0
TLDS_A = ["com", "net", "org", "info", "biz"]           # Conficker.A
TLDS_C = ["com", "net", "org", "info", "biz", "ws", "cn", "cc", "de", "nl"]


def ts(t):
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


class Eve:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.recs = []
        self.fid = 1000

    def flow_id(self):
        self.fid += 7919
        return self.fid

    def rec(self, t, etype, src, sport, dst, dport, proto="TCP", fid=None,
            app=None, **body):
        r = {"timestamp": ts(t), "flow_id": fid or self.flow_id(),
             "event_type": etype, "src_ip": src, "src_port": sport,
             "dest_ip": dst, "dest_port": dport, "proto": proto}
        if app:
            r["app_proto"] = app
        r.update(body)
        self.recs.append((t, len(self.recs), r))
        return r

    def eport(self):
        return self.rng.randint(49152, 65535)

    def flow(self, t, src, dst, dport, proto="TCP", app=None, dur=2.0):
        return self.rec(t, "flow", src, self.eport(), dst, dport, proto, app=app,
                        flow={"pkts_toserver": 8, "pkts_toclient": 7,
                              "bytes_toserver": 900, "bytes_toclient": 4200,
                              "start": ts(t), "end": ts(t + dur),
                              "age": int(dur), "state": "closed",
                              "reason": "timeout", "alerted": False})

    def dns_query(self, t, src, name, rrtype="A", resolver="10.0.0.53"):
        fid = self.flow_id()
        sp = self.eport()
        self.rec(t, "dns", src, sp, resolver, 53, "UDP", fid, "dns",
                 dns={"type": "query", "id": self.rng.randrange(65536),
                      "rrname": name, "rrtype": rrtype, "tx_id": 0, "opcode": 0})
        return fid, sp

    def dns_answer(self, t, src, name, rrtype="A", rcode="NOERROR",
                   resolver="10.0.0.53", fid=None, sp=None):
        self.rec(t, "dns", src, sp or self.eport(), resolver, 53, "UDP",
                 fid or self.flow_id(), "dns",
                 dns={"version": 2, "type": "answer", "id": 1, "flags": "8180",
                      "qr": True, "rd": True, "ra": True, "opcode": 0,
                      "rrname": name, "rrtype": rrtype, "rcode": rcode})

    def lookup(self, t, src, name, rrtype="A", rcode="NOERROR"):
        fid, sp = self.dns_query(t, src, name, rrtype)
        self.dns_answer(t + 0.02, src, name, rrtype, rcode, fid=fid, sp=sp)

    def http(self, t, src, dst, host, url, ua, method="GET", dport=80,
             status=200, fid=None):
        return self.rec(t, "http", src, self.eport(), dst, dport, "TCP",
                        fid or self.flow_id(), "http", tx_id=0,
                        http={"hostname": host, "url": url,
                              "http_user_agent": ua, "http_method": method,
                              "protocol": "HTTP/1.1", "status": status,
                              "length": 512})

    def alert(self, t, src, sport, dst, dport, sid, msg, category, fid=None,
              app=None, severity=1):
        return self.rec(t, "alert", src, sport, dst, dport, "TCP",
                        fid or self.flow_id(), app,
                        alert={"action": "allowed", "gid": 1,
                               "signature_id": sid, "rev": 1,
                               "signature": msg, "category": category,
                               "severity": severity})

    def write(self, path):
        # gzip with mtime 0: the same script gives the same bytes.
        self.recs.sort(key=lambda x: (x[0], x[1]))
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n"
                       for _, _, r in self.recs)
        with open(path + ".gz", "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
                f.write(text.encode())


DESKTOP_UA = ("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; "
              ".NET CLR 2.0.50727)")
STORM_UA = "Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1; SV1)"
SITES = ["www.bbc.co.uk", "news.google.com", "www.microsoft.com",
         "en.wikipedia.org", "www.ebay.com", "mail.yahoo.com",
         "www.cnn.com", "update.microsoft.com", "www.amazon.com"]
MAIL_DOMAINS = ["example.com", "example.net", "example.org", "mailhost.test",
                "corp.example", "hotmail.example", "yahoo.example",
                "gmx.example", "aol.example", "comcast.example",
                "t-online.example", "web.example", "libero.example",
                "orange.example", "free.example", "wanadoo.example",
                "virgilio.example", "terra.example", "rediff.example",
                "sify.example", "bigpond.example", "shaw.example",
                "rogers.example", "sympatico.example", "telus.example",
                "verizon.example", "att.example", "earthlink.example",
                "juno.example", "netzero.example", "mail.example",
                "inbox.example", "rambler.example", "yandex.example",
                "mailru.example", "qq.example", "sina.example",
                "sohu.example", "163.example", "naver.example"]


def browsing(g, host, start, end, rate_per_hour=40):
    """Web browsing: DNS A lookups then HTTP GETs, Poisson arrivals."""
    t = start
    while True:
        t += g.rng.expovariate(rate_per_hour / HOUR)
        if t >= end:
            break
        site = g.rng.choice(SITES)
        g.lookup(t, host, site)
        dst = "93.184.%d.%d" % (g.rng.randint(1, 250), g.rng.randint(1, 250))
        g.http(t + 0.1, host, dst, site, "/index.html", DESKTOP_UA)
        g.flow(t + 0.1, host, dst, 80, app="http", dur=g.rng.uniform(0.5, 30))


def smtp_flows(g, host, start, end, per_hour, mx_prefix="198.51.100"):
    t = start
    while True:
        t += g.rng.expovariate(per_hour / HOUR)
        if t >= end:
            break
        dst = "%s.%d" % (mx_prefix, g.rng.randint(1, 254))
        g.flow(t, host, dst, 25, app="smtp", dur=g.rng.uniform(1, 8))


def mail_server(g, host, start, end):
    """An MTA: MX lookups and outbound SMTP all day at ~2 per minute."""
    t = start
    while True:
        t += g.rng.expovariate(120 / HOUR)
        if t >= end:
            break
        dom = g.rng.choice(MAIL_DOMAINS)
        g.lookup(t, host, dom, "MX")
        g.flow(t + 0.2, host, "203.0.113.%d" % g.rng.randint(1, 254), 25,
               app="smtp", dur=g.rng.uniform(1, 5))


def desktop(g, host, start, end):
    browsing(g, host, start, end, 60)
    # Mail through the smarthost on 587: no MX lookups, no port 25.
    t = start
    while t < end:
        t += g.rng.expovariate(4 / HOUR)
        if t < end:
            g.flow(t, host, "10.0.0.25", 587, app="smtp", dur=3)


def storm_bot(g, host, t_infect, typo=True, rise=True, steady=False,
              start=None, end=None):
    """The bot's own campaign: C&C POST, MX lookups, SMTP burst."""
    if typo:
        fid = g.flow_id()
        proxy = "81.%d.%d.%d" % (g.rng.randint(1, 250), g.rng.randint(1, 250),
                                  g.rng.randint(1, 250))
        g.http(t_infect, host, proxy, proxy, "/abc.htm", STORM_UA, "POST",
               fid=fid)
        g.alert(t_infect + 0.001, host, 1066, proxy, 80, 2007742,
                "ET USER_AGENTS Storm C&C with typo'd User-Agent (Windoss)",
                "A Network Trojan was detected", fid=fid, app="http")
    # 40 MX lookups over five minutes, starting a minute after the C&C.
    for i, dom in enumerate(MAIL_DOMAINS):
        g.lookup(t_infect + 60 + i * 7.5 + g.rng.uniform(0, 3), host, dom, "MX")
    if rise:
        # Ramp: 0 -> ~12 flows/min over 20 minutes (about 150 in total).
        t = t_infect + 90
        while t < t_infect + 90 + 1200:
            frac = (t - t_infect - 90) / 1200.0
            t += 60.0 / (1 + 11 * frac) * g.rng.uniform(0.6, 1.4)
            g.flow(t, host, "198.51.100.%d" % g.rng.randint(1, 254), 25,
                   app="smtp", dur=g.rng.uniform(1, 6))
    if steady:
        # Spamming at a steady ~60 flows/h all day: no rise over baseline.
        smtp_flows(g, host, start, end, 60)


def gen_storm(out, variant):
    g = Eve({"storm": 1, "norise": 2, "notypo": 3}[variant])
    start, end = T0, T0 + 4 * HOUR
    t_infect = T0 + 3 * HOUR
    bot, mta, pc = "10.1.1.23", "10.1.1.25", "10.1.1.40"
    browsing(g, bot, start, end, 30)
    mail_server(g, mta, start, end)
    desktop(g, pc, start, end)
    if variant == "storm":
        storm_bot(g, bot, t_infect)
    elif variant == "norise":
        storm_bot(g, bot, t_infect, rise=False, steady=True, start=start, end=end)
    else:
        storm_bot(g, bot, t_infect, typo=False)
    g.write(os.path.join(out, {"storm": "storm.json",
                               "norise": "storm_norise.json",
                               "notypo": "storm_notypo.json"}[variant]))


MS08067_MSG = "ET NETBIOS Microsoft Windows NETAPI Stack Overflow Inbound - MS08-067 (2)"


def conficker(g, victim, attacker, t, download=True, dl_from=None, fanout=60):
    fid = g.flow_id()
    g.flow(t - 1, attacker, victim, 445, app="smb", dur=3)
    g.alert(t, attacker, 1045, victim, 445, 2008691, MS08067_MSG,
            "Attempted Administrator Privilege Gain", fid=fid, app="smb")
    if download:
        src = dl_from or attacker
        port = 4000 + g.rng.randint(0, 999)
        url = "/%s" % "".join(chr(97 + g.rng.randrange(26)) for _ in range(6))
        g.http(t + 4.2, victim, src, "%s:%d" % (src, port), url,
               "Windows-Update-Agent", dport=port)
    # Scan: random local addresses on TCP/445, a few per second.
    tt = t + 30
    seen = set()
    while len(seen) < fanout:
        dst = "10.2.%d.%d" % (g.rng.randint(0, 3), g.rng.randint(1, 254))
        if dst in seen or dst == victim:
            continue
        seen.add(dst)
        tt += g.rng.uniform(0.5, 3.0)
        g.flow(tt, victim, dst, 445, dur=0.5)


def lan_background(g, hosts, start, end):
    for h in hosts:
        browsing(g, h, start, end, 20)
        t = start
        while True:  # a few SMB sessions to the file server
            t += g.rng.expovariate(3 / HOUR)
            if t >= end:
                break
            g.flow(t, h, "10.2.0.2", 445, app="smb", dur=60)


def gen_conficker(out):
    start, end = T0, T0 + 3 * HOUR
    # Positive.
    g = Eve(11)
    lan_background(g, ["10.2.0.50", "10.2.0.51", "10.2.0.52"], start, end)
    conficker(g, "10.2.0.50", "10.2.0.66", T0 + 2 * HOUR)
    g.write(os.path.join(out, "conficker_chain.json"))
    # Backup server: alert (false positive on its nightly job), HTTP from the
    # update server, then SMB to 80 hosts.
    g = Eve(12)
    lan_background(g, ["10.2.0.51", "10.2.0.52"], start, end)
    conficker(g, "10.2.0.10", "10.2.0.66", T0 + 2 * HOUR, dl_from="10.2.0.5",
              fanout=80)
    g.write(os.path.join(out, "conficker_backup.json"))
    # No download: the exploit failed (patched host), the scan is someone else.
    g = Eve(13)
    lan_background(g, ["10.2.0.50", "10.2.0.51"], start, end)
    conficker(g, "10.2.0.50", "10.2.0.66", T0 + 2 * HOUR, download=False)
    g.write(os.path.join(out, "conficker_nodl.json"))


def words(path="/usr/share/dict/words"):
    with open(path, encoding="utf-8", errors="replace") as f:
        ws = [w.strip().lower() for w in f]
    return sorted({w for w in ws if 5 <= len(w) <= 10 and w.isalpha() and w.isascii()})


def typo(rng, w):
    i = rng.randrange(1, len(w) - 1)
    c = chr(97 + rng.randrange(26))
    op = rng.randrange(3)
    if op == 0:
        return w[:i] + c + w[i + 1:]
    if op == 1:
        return w[:i] + c + w[i:]
    return w[:i] + w[i + 1:]


def gen_dga(out):
    start, end = T0, T0 + 2 * HOUR
    g = Eve(21)
    host = "10.3.0.77"
    browsing(g, host, start, end, 30)
    t = T0 + HOUR
    for _ in range(60):
        n = g.rng.randint(5, 11)
        label = "".join(chr(97 + g.rng.randrange(26)) for _ in range(n))
        g.lookup(t, host, "%s.%s" % (label, g.rng.choice(TLDS_C)), "A", "NXDOMAIN")
        t += g.rng.uniform(2, 6)
    g.write(os.path.join(out, "dga.json"))

    g = Eve(22)
    host = "10.3.0.78"
    browsing(g, host, start, end, 30)
    ws = words()
    t = T0 + HOUR
    for _ in range(60):
        name = typo(g.rng, g.rng.choice(ws))
        g.lookup(t, host, "%s.%s" % (name, g.rng.choice(["com", "net", "org"])),
                 "A", "NXDOMAIN")
        t += g.rng.uniform(2, 6)
    g.write(os.path.join(out, "dga_typos.json"))


ATSVC = "1ff70682-0a51-30e8-076d-740be8cee98b"


def gen_lateral(out, job):
    g = Eve(31 if job else 32)
    start, end = T0, T0 + 2 * HOUR
    src, dst = "10.4.0.9", "10.4.0.20"
    browsing(g, src, start, end, 20)
    browsing(g, dst, start, end, 20)
    t = T0 + HOUR
    fid = g.flow_id()
    for i in range(30):
        g.rec(t, "smb", src, 1139, dst, 445, "TCP", fid, "smb",
              smb={"id": i + 1, "dialect": "NT LM 0.12",
                   "command": "SMB1_COMMAND_SESSION_SETUP_ANDX",
                   "status": "STATUS_LOGON_FAILURE", "status_code": "0xc000006d",
                   "session_id": 0, "tree_id": 0})
        t += g.rng.uniform(0.8, 1.6)
    t += 2
    g.rec(t, "smb", src, 1139, dst, 445, "TCP", fid, "smb",
          smb={"id": 31, "dialect": "NT LM 0.12",
               "command": "SMB1_COMMAND_TREE_CONNECT_ANDX",
               "status": "STATUS_SUCCESS", "status_code": "0x0",
               "session_id": 2048, "tree_id": 2049,
               "share": "\\\\%s\\ADMIN$" % dst, "share_type": "FILE"})
    if job:
        t += 3
        g.rec(t, "smb", src, 1139, dst, 445, "TCP", fid, "smb",
              smb={"id": 34, "dialect": "NT LM 0.12",
                   "command": "SMB1_COMMAND_TRANS", "status": "STATUS_SUCCESS",
                   "status_code": "0x0", "session_id": 2048, "tree_id": 2050,
                   "dcerpc": {"request": "REQUEST", "response": "RESPONSE",
                              "opnum": 0,
                              "req": {"frag_cnt": 1, "stub_data_size": 128},
                              "interface": {"uuid": ATSVC, "version": "1.0"},
                              "res": {"frag_cnt": 1, "stub_data_size": 8},
                              "call_id": 2}})
    g.write(os.path.join(out, "lateral.json" if job else "lateral_nojob.json"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for v in ("storm", "norise", "notypo"):
        gen_storm(out, v)
    gen_conficker(out)
    gen_dga(out)
    gen_lateral(out, True)
    gen_lateral(out, False)


if __name__ == "__main__":
    main()
