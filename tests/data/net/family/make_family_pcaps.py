#!/usr/bin/env python3
"""Writes the inert fixtures of tests/sh/net_rules_content.sh: one small pcap
per built-in rule case of rules/mamori.rules, positive and near-miss
negative, plus the delivery variants (content split across TCP segments,
segments out of order, chunked + gzip request body).

Why hand-made bytes: each case needs exactly one request of a known shape
(a typo'd User-Agent, a body opening with UNIQUE_NUMBER=...), and a
deterministic file (fixed addresses, sequence numbers and timestamps;
gzip with mtime 0) so re-running the script gives identical pcaps.

Inert: the requests carry only the fields the rules key on plus filler;
there is no payload, no C&C logic and nothing is ever sent on a network.
Addresses: client 10.0.0.10 (HOME_NET), servers in 198.51.100.0/24
(TEST-NET-2, EXTERNAL_NET), resolver 10.0.0.53.

usage: make_family_pcaps.py [OUTDIR]   (default: this script's folder)
"""
import gzip
import os
import struct
import sys

CLIENT = "10.0.0.10"
RESOLVER = "10.0.0.53"
T0 = 1767225600  # 2026-01-01T00:00:00Z


def ip_bytes(a):
    return bytes(int(x) for x in a.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Pcap:
    def __init__(self):
        self.recs = []
        self.ts = T0 * 1000000

    def frame(self, src, dst, proto, l4):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), len(self.recs) & 0xFFFF,
                         0x4000, 64, proto, 0, ip_bytes(src), ip_bytes(dst))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        self.ts += 1000
        self.recs.append((self.ts, eth + ip + l4))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for ts, d in self.recs:
                f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(d), len(d)))
                f.write(d)


def tcp_seg(src, dst, sport, dport, seq, ack, flags, data=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


class Conn:
    """One TCP connection: handshake, then data in chosen segment order."""

    def __init__(self, pc, server, dport, sport):
        self.pc, self.c, self.s = pc, CLIENT, server
        self.cp, self.sp = sport, dport
        self.cseq, self.sseq = 1000, 50000
        self.pkt(True, SYN, self.cseq, 0)
        self.pkt(False, SYN | ACK, self.sseq, self.cseq + 1)
        self.cseq += 1
        self.sseq += 1
        self.pkt(True, ACK, self.cseq, self.sseq)

    def pkt(self, to_server, flags, seq, ack, data=b""):
        if to_server:
            self.pc.frame(self.c, self.s, 6, tcp_seg(self.c, self.s, self.cp, self.sp, seq, ack, flags, data))
        else:
            self.pc.frame(self.s, self.c, 6, tcp_seg(self.s, self.c, self.sp, self.cp, seq, ack, flags, data))

    def send(self, to_server, data, cuts=(), order=None):
        """Sends data cut at the given offsets; order permutes the pieces."""
        bounds = [0] + list(cuts) + [len(data)]
        pieces = [(bounds[i], data[bounds[i]:bounds[i + 1]]) for i in range(len(bounds) - 1)]
        base = self.cseq if to_server else self.sseq
        peer = self.sseq if to_server else self.cseq
        for i in (order or range(len(pieces))):
            off, chunk = pieces[i]
            self.pkt(to_server, PSH | ACK, base + off, peer, chunk)
        if to_server:
            self.cseq += len(data)
        else:
            self.sseq += len(data)
        self.pkt(not to_server, ACK, peer, base + len(data))

    def close(self):
        self.pkt(True, FIN | ACK, self.cseq, self.sseq)
        self.pkt(False, FIN | ACK, self.sseq, self.cseq + 1)
        self.pkt(True, ACK, self.cseq + 1, self.sseq + 1)


OK_RESPONSE = (b"HTTP/1.1 200 OK\r\nServer: Apache\r\nContent-Type: text/html\r\n"
               b"Content-Length: 16\r\nConnection: close\r\n\r\n" + b"x" * 16)


def http(pc, server, request, cuts=(), order=None, sport=40000):
    c = Conn(pc, server, 80, sport)
    c.send(True, request, cuts, order)
    c.send(False, OK_RESPONSE)
    c.close()


def req(method, uri, host, ua, extra=b"", body=b""):
    r = b"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n" % (method, uri, host, ua)
    r += b"Accept: */*\r\n" + extra
    if body and b"Transfer-Encoding" not in extra:
        r += b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(body)
    return r + b"Connection: close\r\n\r\n" + body


def dns_query(pc, name, sport=53000, qid=0x1234):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += qname + struct.pack("!HH", 1, 1)
    udp = struct.pack("!HHHH", sport, 53, 8 + len(q), 0) + q
    pc.frame(CLIENT, RESOLVER, 17, udp)
    # NXDOMAIN answer (sinkholed / gone): the query section echoed
    r = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
    pc.frame(RESOLVER, CLIENT, 17, struct.pack("!HHHH", 53, sport, 8 + len(r), 0) + r)


def tls_hello(pc, server, sni):
    ext_sni = struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    exts = struct.pack("!HH", 0, len(ext_sni)) + ext_sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) + b"\x00\x2f\x00\x35"
            + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    rec = b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
    sbody = b"\x03\x03" + bytes(range(32, 64)) + b"\x00" + b"\x00\x2f" + b"\x00"
    shs = b"\x02" + struct.pack("!I", len(sbody))[1:] + sbody
    srec = b"\x16\x03\x03" + struct.pack("!H", len(shs)) + shs
    c = Conn(pc, server, 443, 41000)
    c.send(True, rec)
    c.send(False, srec)
    c.close()


STORM_UA = b"Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1)"
XP_UA = b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
FLAME_UA = b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; .NET CLR 1.1.2150)"
DOTNET_UA = b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; .NET CLR 1.1.4322)"
FF_UA = b"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
# base64 of filler bytes: the shape of Storm's encoded POST body, no content
FILLER_B64 = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg=="
FLAME_FORM = b"UNIQUE_NUMBER=1234567890&PASSWORD=LifeStyle2&ACTION=0"


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def build(outdir):
    cases = {}

    def case(name, fn):
        pc = Pcap()
        fn(pc)
        pc.write(os.path.join(outdir, name + ".pcap"))
        cases[name] = True

    srv = "198.51.100.7"
    # Storm
    storm_post = req(b"POST", b"/abc.jpg", b"198.51.100.7", STORM_UA, body=FILLER_B64)
    case("storm_post", lambda pc: http(pc, srv, storm_post))
    case("storm_get", lambda pc: http(pc, srv, req(b"GET", b"/abc.jpg", b"198.51.100.7", STORM_UA)))
    case("storm_ua_spelled", lambda pc: http(pc, srv, req(b"POST", b"/xyz.gif", b"198.51.100.7", XP_UA,
                                                          body=FILLER_B64)))
    case("storm_long_name", lambda pc: http(pc, srv, req(b"POST", b"/abcd.htm", b"198.51.100.7", STORM_UA,
                                                         body=FILLER_B64)))
    # delivery: the request cut inside "Windoss" and inside the URI
    ua_at = storm_post.index(b"Windoss") + 4
    cuts = (7, ua_at, len(storm_post) - 20)
    case("storm_split", lambda pc: http(pc, srv, storm_post, cuts))
    case("storm_ooo", lambda pc: http(pc, srv, storm_post, cuts, order=(2, 0, 3, 1)))

    # Flame
    case("flame_ua", lambda pc: http(pc, srv, req(b"GET", b"/index.html", b"www.example.test", FLAME_UA)))
    case("flame_ua_dotnet", lambda pc: http(pc, srv, req(b"GET", b"/index.html", b"www.example.test",
                                                         DOTNET_UA)))
    case("flame_rss_get", lambda pc: http(pc, srv, req(b"GET", b"/wp-content/rss.php?UNIQUE_NUMBER=1234567890",
                                                       b"www.example.test", XP_UA)))
    case("flame_rss_plain", lambda pc: http(pc, srv, req(b"GET", b"/wp-content/rss.php?feed=rss2",
                                                         b"blog.example.test", FF_UA)))
    case("flame_rss_post", lambda pc: http(pc, srv, req(b"POST", b"/wp-content/rss.php", b"www.example.test",
                                                        XP_UA, body=FLAME_FORM)))
    case("flame_rss_post_noid", lambda pc: http(pc, srv, req(b"POST", b"/wp-content/rss.php", b"www.example.test",
                                                             XP_UA, body=b"PASSWORD=x&ACTION=0&comment=hi")))
    gz = gzip.compress(FLAME_FORM, mtime=0)
    body = chunked(gz, 16)
    r = req(b"POST", b"/wp-content/rss.php", b"www.example.test", XP_UA,
            extra=b"Content-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\n"
                  b"Transfer-Encoding: chunked\r\n", body=body)
    hdr_end = r.index(b"\r\n\r\n") + 4
    case("flame_body_chunked_gzip", lambda pc: http(pc, srv, r, cuts=(hdr_end, hdr_end + 21, hdr_end + 40)))
    gz2 = gzip.compress(b"UNIQUE_NUMBER=1234567890&PASSWORD=LifeStyle2", mtime=0)
    r2 = req(b"POST", b"/wp-content/rss.php", b"www.example.test", XP_UA,
             extra=b"Content-Type: application/x-www-form-urlencoded\r\nContent-Encoding: gzip\r\n"
                   b"Transfer-Encoding: chunked\r\n", body=chunked(gz2, 16))
    case("flame_body_chunked_gzip_noaction", lambda pc: http(pc, srv, r2))
    case("flame_dns", lambda pc: dns_query(pc, "traffic-spot.biz"))
    case("flame_dns_unlisted", lambda pc: (dns_query(pc, "traffic-spot.org"),
                                          dns_query(pc, "www.example.com", sport=53001, qid=0x4321)))
    case("flame_sni", lambda pc: tls_hello(pc, "198.51.100.9", b"nvidiasoft.info"))
    case("flame_sni_unlisted", lambda pc: tls_hello(pc, "198.51.100.9", b"www.nvidia.com"))

    # Conficker
    case("conficker_checkin", lambda pc: http(pc, "198.51.100.33",
                                              b"GET /search?q=0 HTTP/1.0\r\nHost: 198.51.100.33\r\n"
                                              b"User-Agent: " + XP_UA + b"\r\nAccept: */*\r\n"
                                              b"Connection: close\r\n\r\n"))
    case("conficker_search_text", lambda pc: http(pc, "198.51.100.34", req(
        b"GET", b"/search?q=weather+tomorrow", b"www.search.example", FF_UA,
        extra=b"Referer: https://www.search.example/\r\n")))
    case("conficker_search_digits_named", lambda pc: http(pc, "198.51.100.34", req(
        b"GET", b"/search?q=42", b"www.search.example", FF_UA,
        extra=b"Referer: https://www.search.example/\r\n")))
    return cases


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name in sorted(build(out)):
        print(name)
