#!/usr/bin/env python3
"""Writes the decoder's test captures into tests/data/decode/.

Deterministic (fixed addresses, ports, sequence numbers and timestamps);
rerun with `python3 tests/data/decode/gen_pcaps.py`.  Every capture holds
the same inert HTTP exchange (one GET, one 200 response with a 5-byte body)
over a full TCP session, so any stage can compare its records across them:

  http-<link>.pcap      the session framed as Ethernet, 802.1Q, QinQ
                        (802.1ad + 802.1Q), Linux SLL, SLL2, raw IP
                        (LINKTYPE_RAW), BSD loopback (DLT_NULL, DLT_LOOP)
  http-eth.pcapng       the Ethernet session as pcapng (SHB, IDB, EPBs)
  http-frag4.pcap       IPv4, request and response each sent as 3 IP
                        fragments (request fragments out of order)
  http-frag6.pcap       the same over IPv6 with fragment headers
  http-ipv6.pcap        the IPv6 session unfragmented (reference for frag6)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

C4, S4 = bytes([10, 0, 0, 1]), bytes([192, 168, 1, 2])
C6 = bytes.fromhex("20010db8000000000000000000000001")
S6 = bytes.fromhex("20010db8000000000000000000000002")
CPORT, SPORT = 40000, 80
REQ = (b"GET /index.html HTTP/1.1\r\nHost: example.test\r\n"
       b"User-Agent: mamori-test/1.0\r\nAccept: */*\r\n\r\n")
RESP = (b"HTTP/1.1 200 OK\r\nServer: test\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 5\r\n\r\nhello")

DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_LOOP = 0, 1, 101, 113, 108
DLT_LINUX_SLL2 = 276


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp_seg(v6, src, dst, sport, dport, seq, ack, flags, data=b""):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                    64240, 0, 0) + data
    if v6:
        ph = src + dst + struct.pack("!IxxxB", len(h), 6)
    else:
        ph = src + dst + struct.pack("!BBH", 0, 6, len(h))
    c = csum(ph + h)
    return h[:16] + struct.pack("!H", c) + h[18:]


def ipv4(src, dst, payload, ident, frag=0, proto=6):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag,
                    64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, payload, nh=6):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       src, dst) + payload


def fragments(v6, src, dst, seg, ident, sizes):
    """IP fragments of one TCP segment; sizes are multiples of 8."""
    out, off = [], 0
    for i, n in enumerate(sizes + [len(seg) - sum(sizes)]):
        more = i < len(sizes)
        piece = seg[off:off + n]
        if v6:
            fh = struct.pack("!BBHI", 6, 0, off | int(more), ident)
            out.append(ipv6(src, dst, fh + piece, nh=44))
        else:
            out.append(ipv4(src, dst, piece, ident,
                            (0x2000 if more else 0) | off // 8))
        off += n
    return out


def session(v6, frag=False):
    """IP packets (bytes) of the exchange, with the side that sent each."""
    c, s = (C6, S6) if v6 else (C4, S4)
    ip = (lambda a, b, p, i: ipv6(a, b, p)) if v6 else ipv4
    cs, ss = 1000, 5000
    pk = []

    def add(frm_client, seg, ident):
        a, b = (c, s) if frm_client else (s, c)
        pk.append(ip(a, b, seg, ident))

    add(True, tcp_seg(v6, c, s, CPORT, SPORT, cs, 0, 0x02), 1)
    add(False, tcp_seg(v6, s, c, SPORT, CPORT, ss, cs + 1, 0x12), 101)
    add(True, tcp_seg(v6, c, s, CPORT, SPORT, cs + 1, ss + 1, 0x10), 2)
    req = tcp_seg(v6, c, s, CPORT, SPORT, cs + 1, ss + 1, 0x18, REQ)
    if frag:
        fr = fragments(v6, c, s, req, 0x77, [24, 40])
        pk.extend([fr[0], fr[2], fr[1]])    # out of order
    else:
        add(True, req, 3)
    cs += 1 + len(REQ)
    add(False, tcp_seg(v6, s, c, SPORT, CPORT, ss + 1, cs, 0x10), 102)
    resp = tcp_seg(v6, s, c, SPORT, CPORT, ss + 1, cs, 0x18, RESP)
    if frag:
        pk.extend(fragments(v6, s, c, resp, 0x78, [32, 48]))
    else:
        add(False, resp, 103)
    ss += 1 + len(RESP)
    add(True, tcp_seg(v6, c, s, CPORT, SPORT, cs, ss, 0x10), 4)
    add(True, tcp_seg(v6, c, s, CPORT, SPORT, cs, ss, 0x11), 5)
    add(False, tcp_seg(v6, s, c, SPORT, CPORT, ss, cs + 1, 0x11), 104)
    add(True, tcp_seg(v6, c, s, CPORT, SPORT, cs + 1, ss + 1, 0x10), 6)
    return pk


def frame(dlt, ip, tags=()):
    v6 = ip[0] >> 4 == 6
    et = 0x86DD if v6 else 0x0800
    if dlt == DLT_EN10MB:
        h = bytes.fromhex("020000000002020000000001")
        for tpid, vid in tags:
            h += struct.pack("!HH", tpid, vid)
        return h + struct.pack("!H", et) + ip
    if dlt == DLT_LINUX_SLL:
        return struct.pack("!HHH8sH", 0, 1, 6, bytes(8), et) + ip
    if dlt == DLT_LINUX_SLL2:
        return struct.pack("!HHIHBB8s", et, 0, 1, 1, 0, 6, bytes(8)) + ip
    if dlt == DLT_NULL:     # host order of a little-endian writer
        return struct.pack("<I", 30 if v6 else 2) + ip
    if dlt == DLT_LOOP:     # network order
        return struct.pack(">I", 30 if v6 else 2) + ip
    return ip


def write_pcap(name, dlt, frames):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, dlt))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 10,
                                (i % 10) * 1000, len(fr), len(fr)))
            f.write(fr)


def write_pcapng(name, dlt, frames):
    def block(btype, body):
        body += b"\0" * ((4 - len(body) % 4) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", dlt, 0, 65535) +
                 struct.pack("<HHB3x", 9, 1, 6) + struct.pack("<HH", 0, 0))
    for i, fr in enumerate(frames):
        ts = (1700000000 + i // 10) * 1000000 + (i % 10) * 1000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                    len(fr), len(fr)) + fr)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out)


def main():
    v4 = session(False)
    links = {
        "eth": (DLT_EN10MB, ()),
        "vlan": (DLT_EN10MB, ((0x8100, 100),)),
        "qinq": (DLT_EN10MB, ((0x88A8, 200), (0x8100, 100))),
        "sll": (DLT_LINUX_SLL, ()),
        "sll2": (DLT_LINUX_SLL2, ()),
        "raw": (DLT_RAW, ()),
        "null": (DLT_NULL, ()),
        "loop": (DLT_LOOP, ()),
    }
    for name, (dlt, tags) in links.items():
        write_pcap("http-%s.pcap" % name, dlt, [frame(dlt, p, tags) for p in v4])
    write_pcapng("http-eth.pcapng", DLT_EN10MB, [frame(DLT_EN10MB, p) for p in v4])
    write_pcap("http-frag4.pcap", DLT_EN10MB,
               [frame(DLT_EN10MB, p) for p in session(False, frag=True)])
    write_pcap("http-ipv6.pcap", DLT_EN10MB,
               [frame(DLT_EN10MB, p) for p in session(True)])
    write_pcap("http-frag6.pcap", DLT_EN10MB,
               [frame(DLT_EN10MB, p) for p in session(True, frag=True)])


if __name__ == "__main__":
    main()
