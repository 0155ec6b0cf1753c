#!/usr/bin/env python3
"""Writes the fuzz seeds of tests/fuzz/corpus/{smb,dcerpc} from the pcaps
here: each TCP conversation becomes [chunk byte] + segments [dir][u16be
len][payload] (fuzz_smb_common.h), cut to at most 6 KiB, plus malformed
variants (truncated, a length field set to 0xff.., bytes flipped).
The fuzz-* seeds next to them were picked from coverage-guided libFuzzer
runs of fuzz_smb/fuzz_dcerpc (smb.c/dcerpc.c instrumented) and are kept
as they are; this script does not touch them.

Usage: make_fuzz_corpus.py PCAPDIR CORPUSROOT
"""
import os
import random
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def segments(path, server_ports):
    convs = {}
    for fr in read_pcap(path):
        if len(fr) < 14 + 20 or fr[12:14] != b"\x08\x00" or fr[23] != 6:
            continue
        ihl = (fr[14] & 15) * 4
        t = 14 + ihl
        sport, dport = struct.unpack("!HH", fr[t:t + 4])
        if sport not in server_ports and dport not in server_ports:
            continue
        doff = (fr[t + 12] >> 4) * 4
        payload = fr[t + doff:]
        if not payload:
            continue
        client = dport in server_ports
        key = sport if client else dport
        convs.setdefault(key, []).append((0 if client else 1, payload))
    return convs


def encode(chunk, segs, cap=6144):
    out = bytes([chunk])
    for d, p in segs:
        out += struct.pack("!BH", d, len(p)) + p
        if len(out) > cap:
            return out[:cap]
    return out


def main():
    src, root = sys.argv[1], sys.argv[2]
    rnd = random.Random(4)
    plan = {"smb": (445, 139), "dcerpc": (135,)}
    for kind, ports in plan.items():
        outdir = os.path.join(root, kind)
        os.makedirs(outdir, exist_ok=True)
        n = 0
        for name in sorted(os.listdir(src)):
            if not name.endswith(".pcap"):
                continue
            convs = sorted(segments(os.path.join(src, name), ports).items())
            for key, segs in convs[:1] if kind == "smb" else convs:
                base = encode(255, segs)
                seeds = [("", base), ("-c7", encode(6, segs))]
                b = bytearray(base)
                seeds.append(("-trunc", bytes(b[:len(b) * 2 // 3])))
                for k in range(1 if kind == "smb" else 3):
                    m = bytearray(base)
                    for _ in range(6):
                        i = rnd.randrange(1, len(m))
                        m[i] = rnd.choice([0x00, 0xff, m[i] ^ 0x80])
                    seeds.append(("-mut%d" % k, bytes(m)))
                for suf, s in seeds:
                    with open(os.path.join(outdir, "%s-%d%s" % (name[:-5], key, suf)), "wb") as f:
                        f.write(s)
                    n += 1
        print(kind, n)


if __name__ == "__main__":
    main()
