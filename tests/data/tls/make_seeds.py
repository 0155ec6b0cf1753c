#!/usr/bin/env python3
"""Writes the seed corpus of the TLS fuzz target (tests/fuzz/corpus/tls).

Seed layout (tests/fuzz/fuzz_app_two_sides.h): byte 0 = chunk selector
(+128: gap on the server side), bytes 1-2 = client part length (big
endian), then the client bytes and the server bytes.  Seeds come from the
loopback captures next to this script (cut to a few KiB) and from crafted
hellos, records and certificates, many of them malformed on purpose.

usage: tests/data/tls/make_seeds.py
"""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "fuzz", "corpus", "tls")
CAP = 3000  # bytes kept per side


def pcap_sides(path, port):
    """Client and server TCP payload streams of a clean loopback capture."""
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    sides = [bytearray(), bytearray()]
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        pkt = data[off + 16: off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 15) * 4
        tot = struct.unpack_from(">H", pkt, 16)[0]
        tcp = pkt[14 + ihl:14 + tot]
        sport, dport = struct.unpack_from(">HH", tcp, 0)
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload and port in (sport, dport):
            sides[0 if dport == port else 1] += payload
    return bytes(sides[0]), bytes(sides[1])


def seed(name, client, server, sel=0):
    client, server = client[:CAP], server[:CAP]
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([sel]) + struct.pack(">H", len(client)) + client + server)


def rec(ctype, payload, ver=0x0303):
    return struct.pack(">BHH", ctype, ver, len(payload)) + payload


def hs(t, body):
    return struct.pack(">B", t) + len(body).to_bytes(3, "big") + body


def ext(t, body):
    return struct.pack(">HH", t, len(body)) + body


def client_hello(exts=True, grease=True):
    b = b"\x03\x03" + bytes(32) + b"\x00"
    ciphers = ([0x0A0A] if grease else []) + [0x1301, 0x1302, 0xC02F]
    b += struct.pack(">H", 2 * len(ciphers)) + b"".join(struct.pack(">H", c) for c in ciphers)
    b += b"\x01\x00"
    if not exts:
        return b
    host = b"traffic-spot.biz"
    e = ext(0x0A0A, b"") if grease else b""
    e += ext(0, struct.pack(">HBH", len(host) + 3, 0, len(host)) + host)
    e += ext(10, struct.pack(">HHHH", 6, 0x2A2A, 29, 23))
    e += ext(11, b"\x01\x00")
    e += ext(13, struct.pack(">HHH", 4, 0x0403, 0x0804))
    e += ext(16, b"\x00\x0c\x02h2\x08http/1.1")
    e += ext(43, b"\x06\x3a\x3a\x03\x04\x03\x03")
    e += ext(42, b"")
    return b + struct.pack(">H", len(e)) + e


def server_hello(version_ext=0x0304, rnd=b"\x22" * 32):
    b = b"\x03\x03" + rnd + b"\x00" + b"\x13\x01" + b"\x00"
    e = ext(43, struct.pack(">H", version_ext)) if version_ext else b""
    return b + struct.pack(">H", len(e)) + e


HRR = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    caps = {n: pcap_sides(os.path.join(HERE, n + ".pcap"), p)
            for n, p in (("tls12", 44312), ("tls13", 8443), ("flame", 443),
                         ("clientauth", 44315))}
    for n, (c, s) in caps.items():
        seed(n + "-whole", c, s, 31)
        seed(n + "-bytewise", c, s, 0)
    c12, s12 = caps["tls12"]
    seed("tls12-chunk7-gap", c12, s12, 128 + 6)
    seed("client-only", c12, b"", 10)
    seed("server-only", b"", s12, 10)
    for cut in (3, 5, 9, 60, 200):
        seed("tls12-cut-%d" % cut, c12[:cut], s12[:cut * 3], 5)
    rnd = random.Random(7)
    for i in range(6):
        s = bytearray(s12)
        for _ in range(3):
            s[rnd.randrange(len(s))] ^= 1 << rnd.randrange(8)
        seed("tls12-flip-%d" % i, c12, bytes(s), 31 - i)
    ch = hs(1, client_hello())
    seed("grease-hello", rec(22, ch), b"", 31)
    seed("hello-10-byte-records", b"".join(rec(22, ch[i:i + 10]) for i in range(0, len(ch), 10)), b"", 31)
    seed("hello-no-ext", rec(22, hs(1, client_hello(exts=False)), 0x0301), b"", 31)
    seed("hrr", rec(22, ch), rec(22, hs(2, server_hello(rnd=HRR))) + rec(20, b"\x01")
         + rec(22, hs(2, server_hello())) + rec(23, b"\xaa" * 20), 3)
    seed("tls13-draft18", rec(22, ch), rec(22, hs(2, b"\x7f\x12" + bytes(32) + b"\x13\x01\x00\x00")), 31)
    seed("sslv2-hello", b"\x80\x05\x01\x03\x01\x00\x00" + rec(22, ch), b"", 2)
    seed("bad-type", b"\x30\x03\x03\x00\x01\x00", b"", 31)
    seed("record-too-long", b"\x16\x03\x03\x48\x01\x00", b"", 31)
    seed("hs-len-huge", b"\x16\x03\x03\x00\x04\x01\xff\xff\xff", b"", 31)
    bad = bytearray(client_hello())
    bad[47] = 0xFF
    seed("ext-len-lie", rec(22, hs(1, bytes(bad))), b"", 31)
    bad = bytearray(client_hello())
    bad[57] = 0x40
    seed("sni-len-lie", rec(22, hs(1, bytes(bad))), b"", 31)
    seed("cert-len-lie", b"", bytes.fromhex("160303000a0b000006000003001000"), 31)
    seed("cert-junk", b"", bytes.fromhex("160303000d0b00000900000600000330 01ff".replace(" ", "")), 31)
    seed("sh-sid-33", b"", rec(22, hs(2, b"\x03\x03" + bytes(32) + b"\x21")), 31)
    seed("ccs-then-hs", rec(20, b"\x01") + rec(22, ch), b"", 31)
    seed("empty", b"", b"", 0)
    seed("random", bytes(rnd.randrange(256) for _ in range(300)),
         bytes(rnd.randrange(256) for _ in range(300)), 4)
    print(len(os.listdir(OUT)), "seeds in", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
