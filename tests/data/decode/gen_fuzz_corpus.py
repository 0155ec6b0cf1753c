#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_decode.c (tests/fuzz/corpus/decode).

Deterministic; rerun after changing the input format of the fuzz target:
    python3 tests/data/decode/gen_fuzz_corpus.py

Seed format (see fuzz_decode.c): byte 0 = link-type index (low 4 bits) |
0x10 for checksum validation; then frames as big-endian u16 length + bytes.
Valid frames of every link type and protocol, fragment trains (in order,
reversed, overlapping, over the memcap, too large) and malformed frames.
Payloads are inert filler.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "..", "fuzz", "corpus", "decode")

LT = {"eth": 0, "sll": 1, "sll2": 2, "raw": 3, "raw101": 4, "ipv4": 5,
      "ipv6": 6, "null": 7, "loop": 8, "chdlc": 13, "ppp": 14, "wifi": 15}
CSUM = 0x10

A4, B4 = bytes([10, 0, 0, 1]), bytes([192, 168, 1, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db80000000000000000000000ab")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp(sport=40000, dport=80, flags=0x02, opts=b"", payload=b"", seq=1):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, off << 4, flags,
                       65535, 0, 0) + opts + payload


def udp(sport=5353, dport=53, payload=b"filler"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(t=8, payload=b"ping"):
    return struct.pack("!BBHI", t, 0, 0, 0x12340001) + payload


CSUM_OFF = {6: 16, 17: 6, 1: 2, 58: 2}


def fix_l4(l4, proto, pseudo):
    off = CSUM_OFF.get(proto)
    if off is None or len(l4) < off + 2:
        return l4
    l4 = bytearray(l4)
    l4[off:off + 2] = b"\0\0"
    c = csum(pseudo + bytes(l4))
    l4[off:off + 2] = struct.pack("!H", c or 0xFFFF if proto == 17 else c)
    return bytes(l4)


def ipv4(proto, l4, ident=1, frag=0, opts=b"", fix=True, tot=None):
    hlen = 20 + len(opts)
    if fix:
        pseudo = b"" if proto == 1 else \
            A4 + B4 + struct.pack("!BBH", 0, proto, len(l4))
        l4 = fix_l4(l4, proto, pseudo)
    total = hlen + len(l4) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hlen // 4, 0, total, ident, frag,
                    64, proto, 0, A4, B4) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ipv6(nh, l4, ext=b"", proto=None, fix=True):
    proto = nh if proto is None else proto
    if fix:
        l4 = fix_l4(l4, proto, A6 + B6 + struct.pack("!IxxxB", len(l4), proto))
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(l4), nh, 64,
                       A6, B6) + ext + l4


def eth(ip, etype=0x0800, tags=()):
    h = bytes(range(12))
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + ip


def seed(lt, *frames, k=False):
    b = bytes([LT[lt] | (CSUM if k else 0)])
    for f in frames:
        b += struct.pack("!H", len(f)) + f
    return b


SYN_OPTS = bytes([2, 4, 5, 180, 4, 2, 1, 3, 3, 7, 0, 0])
HTTP = b"GET /filler HTTP/1.1\r\nHost: example.test\r\n\r\n"


def frags4(l4, sizes, ident=7, order=None, proto=17):
    out, off = [], 0
    for i, n in enumerate(sizes):
        more = 0x2000 if i < len(sizes) - 1 else 0
        out.append(eth(ipv4(proto, l4[off:off + n], ident=ident,
                            frag=more | off // 8, fix=False)))
        off += n
    return [out[i] for i in order] if order else out


def frags6(l4, sizes, ident=0xabcd, proto=6):
    out, off = [], 0
    for i, n in enumerate(sizes):
        more = 1 if i < len(sizes) - 1 else 0
        fh = struct.pack("!BBHI", proto, 0, off | more, ident)
        out.append(eth(ipv6(44, l4[off:off + n], ext=fh, proto=proto,
                            fix=False), 0x86dd))
        off += n
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    s = {}
    t4 = ipv4(6, tcp(opts=SYN_OPTS))
    u4 = ipv4(17, udp())
    t6 = ipv6(6, tcp(flags=0x18, payload=HTTP))
    u6 = ipv6(17, udp())
    s["eth_ipv4_tcp_syn"] = seed("eth", eth(t4), k=True)
    s["eth_ipv4_tcp_http"] = seed("eth", eth(ipv4(6, tcp(flags=0x18, payload=HTTP))), k=True)
    s["eth_ipv4_udp_padded"] = seed("eth", eth(u4) + b"\0" * 10, k=True)
    s["eth_ipv4_icmp"] = seed("eth", eth(ipv4(1, icmp())), k=True)
    s["eth_ipv6_tcp"] = seed("eth", eth(t6, 0x86dd), k=True)
    s["eth_ipv6_icmpv6"] = seed("eth", eth(ipv6(58, icmp(128)), 0x86dd), k=True)
    s["eth_arp"] = seed("eth", eth(b"\0\1\x08\0\6\4\0\1" + b"\0" * 20, 0x0806))
    s["vlan_ipv4_udp"] = seed("eth", eth(u4, tags=[(0x8100, 100)]))
    s["qinq_ipv6_udp"] = seed("eth", eth(u6, 0x86dd, tags=[(0x88a8, 10), (0x8100, 20)]))
    s["vlan3_9100"] = seed("eth", eth(u4, tags=[(0x9100, 1), (0x8100, 2), (0x8100, 3)]))
    s["vlan4_too_many"] = seed("eth", eth(u4, tags=[(0x8100, i) for i in range(4)]))
    s["sll_ipv4"] = seed("sll", struct.pack("!HHH8sH", 0, 1, 6, b"\1" * 8, 0x0800) + t4)
    s["sll2_ipv6"] = seed("sll2", struct.pack("!HHIHBB8s", 0x86dd, 0, 2, 1, 0, 6, b"\1" * 8) + t6)
    s["raw_ipv4"] = seed("raw", u4, k=True)
    s["raw101_ipv6"] = seed("raw101", t6, k=True)
    s["dlt_ipv4"] = seed("ipv4", t4)
    s["dlt_ipv6_given_v4"] = seed("ipv6", t4 + b"\0" * 20)
    s["null_le_ipv4"] = seed("null", struct.pack("<I", 2) + u4)
    s["null_be_ipv6_28"] = seed("null", struct.pack(">I", 28) + u6)
    s["loop_ipv6_30"] = seed("loop", struct.pack(">I", 30) + t6)
    s["ipv4_options"] = seed("raw", ipv4(17, udp(), opts=bytes([1, 7, 7, 4, 0, 0, 0, 0])))
    s["ipv4_options_lie"] = seed("raw", ipv4(17, udp(), opts=bytes([7, 40, 4, 0, 148, 6, 0, 0])))
    ext = bytes([43, 0, 1, 4, 0, 0, 0, 0]) + bytes([60, 0, 0, 0, 0, 0, 0, 0]) + \
        bytes([51, 0, 1, 4, 0, 0, 0, 0]) + bytes([6, 1]) + b"\0" * 10
    s["ipv6_ext_chain"] = seed("raw", ipv6(0, tcp(), ext=ext, proto=6), k=True)
    many = b"".join(bytes([60, 0, 1, 4, 0, 0, 0, 0]) for _ in range(9)) + bytes([6, 0, 1, 4, 0, 0, 0, 0])
    s["ipv6_ext_too_many"] = seed("raw", ipv6(60, tcp(), ext=many, proto=6))
    s["ipv6_ext_trunc"] = seed("raw", ipv6(60, b"", ext=bytes([6, 9, 1, 4, 0, 0])))

    dg = udp(payload=bytes((i * 7 + 3) & 0xFF for i in range(1200)))
    dg = fix_l4(dg, 17, A4 + B4 + struct.pack("!BBH", 0, 17, len(dg)))
    s["frag4_in_order"] = seed("eth", *frags4(dg, [400, 400, len(dg) - 800]), k=True)
    s["frag4_reverse"] = seed("eth", *frags4(dg, [400, 400, len(dg) - 800], order=[2, 1, 0]), k=True)
    ov = frags4(dg, [400, 400, len(dg) - 800])
    alt = frags4(bytes(len(dg)), [200, 600, len(dg) - 800], ident=7)
    s["frag4_overlap"] = seed("eth", ov[0], alt[1], ov[1], ov[2])
    s["frag4_missing_timeout"] = seed("eth", ov[0], ov[2], eth(u4), eth(u4), eth(u4))
    s["frag4_too_large"] = seed("eth", eth(ipv4(17, b"x" * 64, ident=9, frag=0x2000 | 8190, fix=False)))
    big = bytes(30000)
    s["frag4_memcap"] = seed("eth", *frags4(big, [1480] * 19 + [30000 - 1480 * 19], ident=11)[:12])
    s["frag4_tiny_many"] = seed("eth", *[eth(ipv4(17, b"\0" * 8, ident=12, frag=0x2000 | (2 * i + 1), fix=False)) for i in range(60)])
    t6big = tcp(flags=0x18, payload=HTTP * 20)
    t6big = fix_l4(t6big, 6, A6 + B6 + struct.pack("!IxxxB", len(t6big), 6))
    s["frag6_in_order"] = seed("eth", *frags6(t6big, [400, 400, len(t6big) - 800]), k=True)
    s["frag6_reverse"] = seed("eth", *frags6(t6big, [400, len(t6big) - 400])[::-1], k=True)

    tr = eth(t4)
    s["trunc_eth"] = seed("eth", tr[:10])
    s["trunc_ipv4_hdr"] = seed("eth", tr[:30])
    s["trunc_ipv4_total"] = seed("eth", tr[:-4])
    bad_ihl = bytearray(tr)
    bad_ihl[14] = 0x44
    s["bad_ihl"] = seed("eth", bytes(bad_ihl))
    s["iplen_lies"] = seed("raw", ipv4(6, tcp(), tot=9999), ipv4(6, tcp(), tot=10))
    hl = bytearray(tcp())
    hl[12] = 0x30
    s["tcp_hlen_small"] = seed("raw", ipv4(6, bytes(hl)))
    s["tcp_opts_lie"] = seed("raw", ipv4(6, tcp(opts=bytes([2, 0, 3, 30]))), ipv4(6, tcp(opts=bytes([1, 1, 1, 8]))))
    ul = bytearray(udp())
    ul[4:6] = struct.pack("!H", 500)
    s["udp_len_lies"] = seed("raw", ipv4(17, bytes(ul)), ipv4(17, b"\0" * 5))
    bad_udp = bytearray(ipv4(17, udp(), fix=False))
    bad_udp[26:28] = b"\x12\x34"     # UDP checksum wrong (not 0 = none)
    bad_ip = bytearray(ipv4(1, icmp()))
    bad_ip[10] ^= 0xFF                # IPv4 header checksum wrong
    s["bad_checksums"] = seed("raw", ipv4(6, tcp(), fix=False), bytes(bad_udp),
                              bytes(bad_ip), ipv6(58, icmp(128), fix=False), k=True)
    s["zero_and_garbage"] = seed("eth", b"", b"\xff" * 3, bytes(range(64)))
    s["unknown_link"] = seed("wifi", t4)
    s["ppp_ipv4_ipv6"] = seed("ppp", b"\xff\x03\x00\x21" + t4, b"\x57" + t6, b"\xc0\x21\x01")
    s["chdlc_ipv4"] = seed("chdlc", b"\x0f\x00\x08\x00" + u4, b"\x8f\x00")
    for name, data in s.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(s), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
