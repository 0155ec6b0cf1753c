#!/usr/bin/env python3
"""Writes the seed corpus of the SSH fuzz target (tests/fuzz/corpus/ssh).

Seed layout (tests/fuzz/fuzz_app_two_sides.h): byte 0 = chunk selector
(+128: gap on the server side), bytes 1-2 = client part length (big
endian), then the client bytes and the server bytes.  Seeds come from the
loopback captures next to this script (cut to a few KiB) and from crafted
banners and KEXINIT packets, many malformed on purpose.

usage: tests/data/ssh/make_seeds.py
"""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "fuzz", "corpus", "ssh")
CAP = 3000


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


def packet(payload, pad=4):
    return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + bytes(pad)


def namelist(s):
    return struct.pack(">I", len(s)) + s


def kexinit(lists=None):
    lists = lists or [b"curve25519-sha256,ext-info-c", b"ssh-ed25519",
                      b"aes128-ctr", b"aes256-ctr", b"hmac-sha2-256",
                      b"hmac-sha1", b"none,zlib", b"zlib", b"", b""]
    return packet(b"\x14" + b"0123456789abcdef" + b"".join(namelist(x) for x in lists) + bytes(5))


NEWKEYS = packet(b"\x15")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    c, s = pcap_sides(os.path.join(HERE, "openssh.pcap"), 2222)
    seed("openssh-whole", c, s, 31)
    seed("openssh-bytewise", c, s, 0)
    seed("openssh-chunk5-gap", c, s, 128 + 4)
    pc, ps = pcap_sides(os.path.join(HERE, "prebanner.pcap"), 2223)
    seed("prebanner-whole", pc, ps, 31)
    seed("prebanner-bytewise", pc, ps, 0)
    for cut in (2, 4, 20, 40, 300, 1000):
        seed("openssh-cut-%d" % cut, c[:cut], s[:cut], 7)
    rnd = random.Random(11)
    for i in range(5):
        b = bytearray(c)
        for _ in range(3):
            b[rnd.randrange(min(len(b), 1500))] ^= 1 << rnd.randrange(8)
        seed("openssh-flip-%d" % i, bytes(b), s, 31 - i)
    cb = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
    sb = b"SSH-2.0-dropbear_2022.83\r\n"
    seed("crafted-hassh", cb + kexinit() + NEWKEYS, sb + kexinit() + NEWKEYS, 31)
    seed("long-banner", b"SSH-2.0-" + b"A" * 292 + b"\r\n" + kexinit(), sb, 31)
    seed("no-eol", b"SSH-2.0-NoEol", b"SSH-2.0-Server", 3)
    seed("lf-only", b"SSH-2.0-libssh-0.7.2\n", b"SSH-2.0-x y z\n", 31)
    seed("ssh1", b"SSH-1.5-Cisco-1.25\r\n\x00\x00\x00\x01junk", b"SSH-1.5-x\r\n", 31)
    seed("no-dash", b"SSH-2.0\r\n", b"SSH--soft\r\n", 31)
    seed("not-ssh", b"GET / HTTP/1.1\r\n\r\n", b"", 31)
    seed("prebanner-lines", cb, b"hello\r\nworld\n\r\nSSH-2.0-srv\r\n" + kexinit(), 1)
    seed("pkt-len-huge", cb + b"\xff\xff\xff\xff\x04\x14", b"", 31)
    seed("pkt-pad-lie", cb + b"\x00\x00\x00\x08\x08\x14", b"", 31)
    seed("pkt-tiny", cb + b"\x00\x00\x00\x01\x00\x14", b"", 31)
    k = bytearray(kexinit())
    k[22] = 0x7F
    seed("kexinit-list-lie", cb + bytes(k), sb + kexinit(), 31)
    seed("kexinit-short", cb + packet(b"\x14" + b"abc"), b"", 31)
    seed("other-packets", cb + packet(b"\x02ignore") + packet(b"\x05" + bytes(40)) + kexinit(), sb, 9)
    seed("empty", b"", b"", 0)
    seed("random", bytes(rnd.randrange(256) for _ in range(300)),
         bytes(rnd.randrange(256) for _ in range(300)), 4)
    print(len(os.listdir(OUT)), "seeds in", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
