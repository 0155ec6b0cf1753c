#!/usr/bin/env python3
"""Crafts the inert SMB/DCERPC pcaps a real client cannot produce.

Samba's rpcclient never sends NetprPathCanonicalize (srvsvc opnum 31) with
a traversal path, nor NetrJobAdd on atsvc, so these conversations are
written here byte by byte: correct Ethernet/IPv4/TCP (with checksums),
NBSS, SMB1/SMB2 and DCERPC headers and context, a path argument holding
the traversal sequence in UTF-16LE, and filler ('A' characters, zero
bytes) wherever any payload would be.  Nothing here is executable: there
is no shellcode, no return address, no working exploit -- only the
structure a detector keys on.

Usage: make_crafted.py OUTDIR   (writes the *.pcap listed in SCENARIOS)
"""
import struct
import sys

SRVSVC = ("4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 0)
ATSVC = ("1ff70682-0a51-30e8-076d-740be8cee98b", 1, 0)
LSARPC = ("12345778-1234-abcd-ef00-0123456789ab", 0, 0)
NETLOGON = ("12345678-1234-abcd-ef00-01234567cffb", 1, 0)
NDR32 = ("8a885d04-1ceb-11c9-9fe8-08002b104860", 2)

CLIENT = "192.168.56.20"
SERVER = "192.168.56.10"


# ---- pcap / TCP ----------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


class Pcap:
    def __init__(self):
        self.recs = []
        self.t = 1700000000.0

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                          65535, 0, 0) + payload
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
        c = csum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000,
                          64, 6, 0, ip4(src), ip4(dst))
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        frame = eth + iph + tcp
        self.t += 0.001
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        self.recs.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for r in self.recs:
                f.write(r)


class Conn:
    """One TCP connection; c2s/s2c send bytes in segments of seg bytes."""

    def __init__(self, pcap, sport, dport, cip=CLIENT, sip=SERVER):
        self.p, self.sport, self.dport, self.cip, self.sip = pcap, sport, dport, cip, sip
        self.cseq, self.sseq = 1000, 5000
        self.p.packet(cip, sip, sport, dport, self.cseq, 0, 0x02, b"")
        self.p.packet(sip, cip, dport, sport, self.sseq, self.cseq + 1, 0x12, b"")
        self.cseq += 1
        self.sseq += 1
        self.p.packet(cip, sip, sport, dport, self.cseq, self.sseq, 0x10, b"")

    def c2s(self, data, seg=1400):
        for i in range(0, len(data), seg):
            chunk = data[i:i + seg]
            self.p.packet(self.cip, self.sip, self.sport, self.dport, self.cseq,
                          self.sseq, 0x18, chunk)
            self.cseq += len(chunk)
        self.p.packet(self.sip, self.cip, self.dport, self.sport, self.sseq, self.cseq, 0x10, b"")

    def s2c(self, data, seg=1400):
        for i in range(0, len(data), seg):
            chunk = data[i:i + seg]
            self.p.packet(self.sip, self.cip, self.dport, self.sport, self.sseq,
                          self.cseq, 0x18, chunk)
            self.sseq += len(chunk)
        self.p.packet(self.cip, self.sip, self.sport, self.dport, self.cseq, self.sseq, 0x10, b"")

    def close(self):
        self.p.packet(self.cip, self.sip, self.sport, self.dport, self.cseq, self.sseq, 0x11, b"")
        self.cseq += 1
        self.p.packet(self.sip, self.cip, self.dport, self.sport, self.sseq, self.cseq, 0x11, b"")
        self.sseq += 1
        self.p.packet(self.cip, self.sip, self.sport, self.dport, self.cseq, self.sseq, 0x10, b"")


# ---- DCERPC ----------------------------------------------------------------

def uuid_wire(u, be):
    parts = u.split("-")
    a, b, c = int(parts[0], 16), int(parts[1], 16), int(parts[2], 16)
    rest = bytes.fromhex(parts[3] + parts[4])
    return struct.pack(">IHH" if be else "<IHH", a, b, c) + rest


def dce_pdu(ptype, call_id, body, be=False, flags=0x03):
    e = ">" if be else "<"
    drep = b"\x00\x00\x00\x00" if be else b"\x10\x00\x00\x00"
    hdr = struct.pack("BBBB", 5, 0, ptype, flags) + drep
    hdr += struct.pack(e + "HHI", 16 + len(body), 0, call_id)
    return hdr + body


def dce_bind(call_id, ctxs, be=False, ptype=11):
    """ctxs: list of (ctx_id, (uuid, major, minor))."""
    e = ">" if be else "<"
    body = struct.pack(e + "HHI", 4280, 4280, 0) + struct.pack("BBH", len(ctxs), 0, 0)
    for cid, (u, vmaj, vmin) in ctxs:
        # if_version is one u32: major in the low 16 bits (C706 12.6.3.1).
        body += struct.pack(e + "HBB", cid, 1, 0) + uuid_wire(u, be) + struct.pack(e + "I", vmaj | (vmin << 16))
        body += uuid_wire(NDR32[0], be) + struct.pack(e + "I", NDR32[1])
    return dce_pdu(ptype, call_id, body, be)


def dce_bind_ack(call_id, results, be=False, ptype=12):
    e = ">" if be else "<"
    sec = b"\\PIPE\\srvsvc\0"
    body = struct.pack(e + "HHI", 4280, 4280, 0x1234) + struct.pack(e + "H", len(sec)) + sec
    while (16 + len(body)) % 4:
        body += b"\0"
    body += struct.pack("BBH", len(results), 0, 0)
    for r in results:
        body += struct.pack(e + "HH", r, 0 if r == 0 else 2)
        body += (uuid_wire(NDR32[0], be) + struct.pack(e + "I", NDR32[1])) if r == 0 else b"\0" * 20
    return dce_pdu(ptype, call_id, body, be)


def dce_requests(call_id, ctx_id, opnum, stub, be=False, nfrags=1):
    """The request as nfrags fragment PDUs (FIRST on the first, LAST on the last)."""
    e = ">" if be else "<"
    step = max(1, -(-len(stub) // nfrags))
    chunks = [stub[i:i + step] for i in range(0, len(stub), step)] or [b""]
    out = []
    for i, ch in enumerate(chunks):
        flags = (0x01 if i == 0 else 0) | (0x02 if i == len(chunks) - 1 else 0)
        body = struct.pack(e + "IHH", len(stub), ctx_id, opnum) + ch
        out.append(dce_pdu(0, call_id, body, be, flags))
    return out


def dce_response(call_id, ctx_id, stub, be=False):
    e = ">" if be else "<"
    return dce_pdu(2, call_id, struct.pack(e + "IHBB", len(stub), ctx_id, 0, 0) + stub, be)


def ndr_wstr(s, be):
    """A conformant varying UTF-16 string (NUL included), padded to 4."""
    e = ">" if be else "<"
    w = (s + "\0").encode("utf-16-be" if be else "utf-16-le")
    n = len(w) // 2
    out = struct.pack(e + "III", n, 0, n) + w
    while len(out) % 4:
        out += b"\0"
    return out


def netpr_path_canonicalize(path, be=False):
    """srvsvc opnum 31 in arguments: ServerName, PathName, OutbufLen,
    Prefix, PathType, Flags."""
    e = ">" if be else "<"
    stub = struct.pack(e + "I", 0x00020000) + ndr_wstr("FILESRV", be)
    stub += ndr_wstr(path, be)
    stub += struct.pack(e + "I", 1000)
    stub += ndr_wstr("\\", be)
    stub += struct.pack(e + "II", 1, 0)
    return stub


def traversal_path():
    # The structure MS08-067 keys on: a component, then "\..\" climbing
    # above it.  Filler 'A's stand where an attack would put its payload.
    return "\\" + "A" * 40 + "\\..\\..\\" + "A" * 60


def netr_job_add(be=False):
    """atsvc opnum 0: ServerName, AT_INFO{JobTime, DaysOfMonth, DaysOfWeek,
    Flags, Command}."""
    e = ">" if be else "<"
    stub = struct.pack(e + "I", 0x00020000) + ndr_wstr("FILESRV", be)
    stub += struct.pack(e + "IIBBH", 3600000, 0, 0x7f, 0x10, 0)
    stub += struct.pack(e + "I", 0x00020004) + ndr_wstr("filler.txt", be)
    return stub


# ---- NTLMSSP -----------------------------------------------------------------

def ntlmssp_auth(user, domain, host):
    d, u, h = (x.encode("utf-16-le") for x in (domain, user, host))
    lm, nt = b"\0" * 24, b"\0" * 24
    off = 64 + 8
    fields, payload = b"", b""
    for blob in (lm, nt, d, u, h, b""):
        fields += struct.pack("<HHI", len(blob), len(blob), off + len(payload))
        payload += blob
    flags = 0x00000001 | 0x00000200 | 0x02000000
    version = bytes([6, 1]) + struct.pack("<H", 7601) + b"\0\0\0\x0f"
    return b"NTLMSSP\0" + struct.pack("<I", 3) + fields + struct.pack("<I", flags) + version + payload


def der(tag, content):
    n = len(content)
    if n < 128:
        ln = bytes([n])
    elif n < 256:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + ln + content


def spnego_resp(token):
    return der(0xa1, der(0x30, der(0xa2, der(0x04, token))))


# ---- SMB2 ------------------------------------------------------------------

def nbss(payload):
    return b"\x00" + len(payload).to_bytes(3, "big") + payload


class Smb2:
    def __init__(self):
        self.mid = 0
        self.sid = 0x0000400000000011
        self.tid = 0

    def hdr(self, cmd, mid, resp=False, status=0, flags=0, next_cmd=0, async_id=None,
            tid=None, sid=None):
        f = flags | (1 if resp else 0)
        if async_id is not None:
            f |= 2
        h = b"\xfeSMB" + struct.pack("<HHIHHII", 64, 1, status, cmd, 1, f, next_cmd)
        h += struct.pack("<Q", mid)
        if async_id is not None:
            h += struct.pack("<Q", async_id)
        else:
            h += struct.pack("<II", 0xfeff, self.tid if tid is None else tid)
        h += struct.pack("<Q", self.sid if sid is None else sid) + b"\0" * 16
        return h

    def next_mid(self):
        self.mid += 1
        return self.mid - 1


def smb2_negotiate(s, conn):
    m = s.next_mid()
    body = struct.pack("<HHHHI", 36, 2, 1, 0, 0) + b"\x11" * 16 + b"\0" * 8 + struct.pack("<HH", 0x202, 0x210)
    conn.c2s(nbss(s.hdr(0, m, sid=0) + body))
    body = struct.pack("<HHHH", 65, 1, 0x210, 0) + b"\x22" * 16 + struct.pack("<IIII", 0, 65536, 65536, 65536)
    body += b"\0" * 16 + struct.pack("<HHI", 128, 0, 0)
    conn.s2c(nbss(s.hdr(0, m, resp=True, sid=0) + body))


def smb2_session(s, conn, user="alice", domain="CORP", host="WKS01", status=0, spnego=True):
    m = s.next_mid()
    tok = ntlmssp_auth(user, domain, host)
    blob = spnego_resp(tok) if spnego else tok
    body = struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 64 + 24, len(blob), 0) + blob
    conn.c2s(nbss(s.hdr(1, m) + body))
    body = struct.pack("<HHHH", 9, 0, 0, 0) + b"\0"
    conn.s2c(nbss(s.hdr(1, m, resp=True, status=status) + body))


def smb2_tree(s, conn, path, share_type):
    m = s.next_mid()
    p = path.encode("utf-16-le")
    conn.c2s(nbss(s.hdr(3, m, tid=0) + struct.pack("<HHHH", 9, 0, 64 + 8, len(p)) + p))
    s.tid += 1
    body = struct.pack("<HBBIII", 16, share_type, 0, 0, 0, 0x1f01ff)
    conn.s2c(nbss(s.hdr(3, m, resp=True) + body))


def smb2_create_req(name, disp=1):
    n = name.encode("utf-16-le")
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019f, 0, 7, disp, 0,
                       64 + 56, len(n), 0, 0) + n
    return body


def smb2_create_resp(fid):
    return struct.pack("<HBBI", 89, 0, 0, 1) + b"\0" * 32 + struct.pack("<QQII", 4096, 0, 0x80, 0) + fid + struct.pack("<II", 0, 0)


def smb2_create(s, conn, name, fid):
    m = s.next_mid()
    conn.c2s(nbss(s.hdr(5, m) + smb2_create_req(name)))
    conn.s2c(nbss(s.hdr(5, m, resp=True) + smb2_create_resp(fid)))


def smb2_write_req(fid, data):
    return struct.pack("<HHIQ", 49, 64 + 48, len(data), 0) + fid + struct.pack("<IIHHI", 0, 0, 0, 0, 0) + data


def smb2_write(s, conn, fid, data, seg=1400):
    m = s.next_mid()
    conn.c2s(nbss(s.hdr(9, m) + smb2_write_req(fid, data)), seg)
    conn.s2c(nbss(s.hdr(9, m, resp=True) + struct.pack("<HHIIHH", 17, 0, len(data), 0, 0, 0)))


def smb2_read(s, conn, fid, data):
    m = s.next_mid()
    conn.c2s(nbss(s.hdr(8, m) + struct.pack("<HBBIQ", 49, 0x50, 0, 4280, 0) + fid + struct.pack("<IIIHH", 0, 0, 0, 0, 0) + b"\0"))
    conn.s2c(nbss(s.hdr(8, m, resp=True) + struct.pack("<HBBIII", 17, 64 + 16, 0, len(data), 0, 0) + data))


def smb2_ioctl_req(fid, data):
    return struct.pack("<HHI", 57, 0, 0x0011c017) + fid + struct.pack("<IIIIIIII", 64 + 56, len(data), 0, 0, 0, 4280, 1, 0) + data


def smb2_ioctl_resp(fid, data):
    return struct.pack("<HHI", 49, 0, 0x0011c017) + fid + struct.pack("<IIIIII", 64 + 48, 0, 64 + 48, len(data), 0, 0) + data


def smb2_ioctl(s, conn, fid, req, resp, pending=False):
    m = s.next_mid()
    conn.c2s(nbss(s.hdr(11, m) + smb2_ioctl_req(fid, req)))
    if pending:
        conn.s2c(nbss(s.hdr(11, m, resp=True, status=0x103, async_id=77) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"))
        conn.s2c(nbss(s.hdr(11, m, resp=True, async_id=77) + smb2_ioctl_resp(fid, resp)))
    else:
        conn.s2c(nbss(s.hdr(11, m, resp=True) + smb2_ioctl_resp(fid, resp)))


def smb2_close(s, conn, fid):
    m = s.next_mid()
    conn.c2s(nbss(s.hdr(6, m) + struct.pack("<HHI", 24, 0, 0) + fid))
    conn.s2c(nbss(s.hdr(6, m, resp=True) + struct.pack("<HHI", 60, 0, 0) + b"\0" * 52))


PIPE_FID = bytes.fromhex("0500000000000000") + bytes.fromhex("0100ffffffffffff")


def smb2_pipe_setup(s, conn, pipe="srvsvc", user="alice"):
    smb2_negotiate(s, conn)
    smb2_session(s, conn, user=user)
    smb2_tree(s, conn, "\\\\" + SERVER + "\\IPC$", 2)
    smb2_create(s, conn, pipe, PIPE_FID)


def smb2_rpc(pcap, sport, binds, acks, pdus, opts):
    """A whole SMB2 conversation: bind (write+read), request PDUs, response."""
    conn = Conn(pcap, sport, 445)
    s = Smb2()
    smb2_pipe_setup(s, conn, opts.get("pipe", "srvsvc"))
    be = opts.get("be", False)
    smb2_write(s, conn, PIPE_FID, dce_bind(1, binds, be))
    smb2_read(s, conn, PIPE_FID, dce_bind_ack(1, acks, be))
    if opts.get("ioctl"):
        smb2_ioctl(s, conn, PIPE_FID, b"".join(pdus), dce_response(2, opts.get("ctx", 0), b"\0" * 12, be),
                   pending=opts.get("pending", False))
    else:
        per_write = opts.get("per_write", len(pdus))
        for i in range(0, len(pdus), per_write):
            smb2_write(s, conn, PIPE_FID, b"".join(pdus[i:i + per_write]), opts.get("seg", 1400))
        smb2_read(s, conn, PIPE_FID, dce_response(2, opts.get("ctx", 0), b"\0" * 12, be))
    smb2_close(s, conn, PIPE_FID)
    conn.close()


# ---- SMB1 ------------------------------------------------------------------

def smb1_hdr(cmd, mid, resp=False, status=0, tid=0, uid=0):
    flags = 0x98 if resp else 0x18
    flags2 = 0xc807
    return b"\xffSMB" + struct.pack("<BIBHH8sHHHHH", cmd, status, flags, flags2, 0, b"\0" * 8, 0,
                                     tid, 0xfeff, uid, mid)


def smb1_rpc(pcap, sport, stub):
    """SMB1: negotiate, session setup AndX chained with tree connect AndX,
    NT create AndX \\srvsvc, TransactNmPipe bind and request."""
    conn = Conn(pcap, sport, 139)
    # NBSS session request / positive response, skipped by the parser.
    conn.c2s(b"\x81\x00\x00\x44" + b"\x20" + b"CACACACACACACACACACACACACACACACA" + b"\x00" + b"\x20" + b"EMEPENEFEDEPFAEDACACACACACACACAA" + b"\x00")
    conn.s2c(b"\x82\x00\x00\x00")
    dial = b"\x02NT LM 0.12\x00"
    conn.c2s(nbss(smb1_hdr(0x72, 1) + b"\x00" + struct.pack("<H", len(dial)) + dial))
    words = struct.pack("<HBHIIIHIIQhB", 0, 3, 50, 65536, 0, 0x1234, 0, 0xe3fd, 0, 0, 0, 0)
    conn.s2c(nbss(smb1_hdr(0x72, 1, resp=True) + bytes([17]) + words[:34] + struct.pack("<H", 0)))
    # Session setup AndX (extended security, raw NTLMSSP) -> Tree connect AndX.
    blob = ntlmssp_auth("bob", "CORP", "WKS02")
    os_lm = "Windows 5.1\0".encode("utf-16-le") + "Windows 2000 LAN Manager\0".encode("utf-16-le")
    pre = 32 + 1 + 24 + 2
    ss_bytes = blob + (b"\0" if (pre + len(blob)) % 2 else b"") + os_lm
    ss_off = pre + len(ss_bytes)
    ss = bytes([12]) + struct.pack("<BBHHHHIHII", 0x75, 0, ss_off, 4356, 50, 0, 0, len(blob), 0, 0x800000d4)
    ss += struct.pack("<H", len(ss_bytes)) + ss_bytes
    path = ("\\\\" + SERVER + "\\IPC$\0").encode("utf-16-le")
    pw_off = ss_off + 1 + 8 + 2
    tc_bytes = b"\0" + (b"\0" if (pw_off + 1) % 2 else b"") + path + b"?????\0"
    tc = bytes([4]) + struct.pack("<BBHHH", 0xff, 0, 0, 0, 1) + struct.pack("<H", len(tc_bytes)) + tc_bytes
    msg = smb1_hdr(0x73, 2) + ss
    assert len(msg) == ss_off, (len(msg), ss_off)
    conn.c2s(nbss(msg + tc))
    # Response chain: session setup AndX (wc 4) -> tree connect AndX (wc 3).
    rs_bytes = b""
    rs = bytes([4]) + struct.pack("<BBHHH", 0x75, 0, 0, 0, 0) + struct.pack("<H", 0)
    off = 32 + len(rs)
    rs = bytes([4]) + struct.pack("<BBHHH", 0x75, 0, off, 0, 0) + struct.pack("<H", 0)
    rt = bytes([3]) + struct.pack("<BBHH", 0xff, 0, 0, 1) + struct.pack("<H", 9) + b"IPC\0NTFS\0"
    conn.s2c(nbss(smb1_hdr(0x73, 2, resp=True, uid=0x800, tid=0x801) + rs + rs_bytes + rt))
    # NT create AndX \srvsvc.
    name = "\\srvsvc\0".encode("utf-16-le")
    w = struct.pack("<BBHBHIIIQIIIIIB", 0xff, 0, 0, 0, len(name) - 2, 0x16, 0, 0x2019f, 0, 0, 3, 1, 0, 2, 0)
    cr_bytes = b"\0" + name
    conn.c2s(nbss(smb1_hdr(0xa2, 3, tid=0x801, uid=0x800) + bytes([24]) + w + struct.pack("<H", len(cr_bytes)) + cr_bytes))
    rw = struct.pack("<BBHBHI", 0xff, 0, 0, 0, 0x4000, 1) + b"\0" * 32 + struct.pack("<IQQHHB", 0x80, 4096, 0, 2, 0x5ff, 0)
    conn.s2c(nbss(smb1_hdr(0xa2, 3, resp=True, tid=0x801, uid=0x800) + bytes([34]) + rw + struct.pack("<H", 0)))

    def trans(mid, data, rdata):
        name = "\\PIPE\\\0".encode("utf-16-le")
        nwords = 16
        data_off = 32 + 1 + nwords * 2 + 2 + 1 + len(name)
        w = struct.pack("<HHHHBBHIHHHHHBBHH", 0, len(data), 0, 4280, 0, 0, 0, 0, 0, 0, 0, len(data), data_off, 2, 0, 0x26, 0x4000)
        bts = b"\0" + name + data
        conn.c2s(nbss(smb1_hdr(0x25, mid, tid=0x801, uid=0x800) + bytes([nwords]) + w + struct.pack("<H", len(bts)) + bts))
        roff = 32 + 1 + 20 + 2 + 1
        rw = struct.pack("<HHHHHHHHHBB", 0, len(rdata), 0, 0, roff, 0, len(rdata), roff, 0, 0, 0)
        conn.s2c(nbss(smb1_hdr(0x25, mid, resp=True, tid=0x801, uid=0x800) + bytes([10]) + rw + struct.pack("<H", len(rdata) + 1) + b"\0" + rdata))

    trans(4, dce_bind(1, [(0, SRVSVC)]), dce_bind_ack(1, [0]))
    trans(5, b"".join(dce_requests(2, 0, 31, stub)), dce_response(2, 0, b"\0" * 12))
    conn.close()


# ---- SMB2 compound + async + out of order + encrypted ----------------------

def smb2_compound(pcap, sport):
    conn = Conn(pcap, sport, 445)
    s = Smb2()
    smb2_negotiate(s, conn)
    smb2_session(s, conn, user="carol", spnego=False)
    smb2_tree(s, conn, "\\\\" + SERVER + "\\IPC$", 2)
    # CREATE + IOCTL(related, fid all-ff) + CLOSE(related) in one record.
    ff = b"\xff" * 16
    bind = dce_bind(1, [(0, SRVSVC)])
    parts = [(5, smb2_create_req("srvsvc")), (11, smb2_ioctl_req(ff, bind)),
             (6, struct.pack("<HHI", 24, 0, 0) + ff)]
    mids = []
    rec = b""
    for i, (cmd, body) in enumerate(parts):
        m = s.next_mid()
        mids.append(m)
        msg = s.hdr(cmd, m, flags=4 if i else 0) + body
        while len(msg) % 8:
            msg += b"\0"
        nxt = len(msg) if i < len(parts) - 1 else 0
        msg = msg[:20] + struct.pack("<I", nxt) + msg[24:]
        rec += msg
    conn.c2s(nbss(rec))
    # Responses: an interim (STATUS_PENDING) for the ioctl before the
    # create's, then the final ioctl response, then the close.
    conn.s2c(nbss(s.hdr(11, mids[1], resp=True, status=0x103, async_id=9) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"))
    conn.s2c(nbss(s.hdr(5, mids[0], resp=True) + smb2_create_resp(PIPE_FID)))
    conn.s2c(nbss(s.hdr(11, mids[1], resp=True, async_id=9) + smb2_ioctl_resp(PIPE_FID, dce_bind_ack(1, [0]))))
    conn.s2c(nbss(s.hdr(6, mids[2], resp=True) + struct.pack("<HHI", 60, 0, 0) + b"\0" * 52))
    # An SMB3 transform header (encrypted message): counted, not parsed.
    conn.c2s(nbss(b"\xfdSMB" + b"\0" * 16 + b"\0" * 16 + struct.pack("<IHHQ", 32, 0, 1, s.sid) + b"\x5a" * 32))
    conn.close()


# ---- DCERPC over TCP ---------------------------------------------------------

def dcerpc_tcp(pcap, sport, be):
    conn = Conn(pcap, sport, 135)
    conn.c2s(dce_bind(1, [(0, LSARPC), (1, SRVSVC)], be))
    conn.s2c(dce_bind_ack(1, [2, 0], be))
    stub = netpr_path_canonicalize(traversal_path(), be)
    conn.c2s(b"".join(dce_requests(2, 1, 31, stub, be, nfrags=4)))
    conn.s2c(dce_response(2, 1, b"\0" * 12, be))
    conn.close()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    trav = netpr_path_canonicalize(traversal_path())
    scen = {}

    p = Pcap()
    smb2_rpc(p, 49201, [(0, SRVSVC)], [0], dce_requests(2, 0, 31, trav), {"ioctl": True, "pending": True})
    scen["ms08067_smb2.pcap"] = p

    p = Pcap()
    smb2_rpc(p, 49202, [(0, SRVSVC)], [0], dce_requests(2, 0, 31, trav, nfrags=12), {"per_write": 1})
    scen["ms08067_frags.pcap"] = p

    p = Pcap()
    smb2_rpc(p, 49203, [(0, SRVSVC)], [0], dce_requests(2, 0, 31, trav), {"seg": 24})
    scen["ms08067_tcpseg.pcap"] = p

    p = Pcap()
    smb2_rpc(p, 49204, [(0, LSARPC), (1, NETLOGON), (2, SRVSVC)], [0, 0, 0],
             dce_requests(2, 2, 31, trav), {"ctx": 2})
    scen["ms08067_ctx.pcap"] = p

    p = Pcap()
    be_stub = netpr_path_canonicalize(traversal_path(), be=True)
    smb2_rpc(p, 49205, [(0, SRVSVC)], [0], dce_requests(2, 0, 31, be_stub, be=True), {"be": True})
    scen["ms08067_be.pcap"] = p

    p = Pcap()
    smb2_rpc(p, 49206, [(0, SRVSVC)], [0],
             dce_requests(2, 0, 31, netpr_path_canonicalize("\\docs\\reports\\q3.txt")), {})
    scen["netpr_benign.pcap"] = p

    p = Pcap()
    smb2_rpc(p, 49207, [(0, ATSVC)], [0], dce_requests(2, 0, 0, netr_job_add()), {"pipe": "atsvc"})
    scen["atsvc_jobadd.pcap"] = p

    p = Pcap()
    smb1_rpc(p, 49208, trav)
    scen["ms08067_smb1.pcap"] = p

    p = Pcap()
    smb2_compound(p, 49209)
    scen["smb2_compound.pcap"] = p

    p = Pcap()
    dcerpc_tcp(p, 49210, be=False)
    dcerpc_tcp(p, 49211, be=True)
    scen["dcerpc_tcp.pcap"] = p

    for name, pc in scen.items():
        pc.write(out + "/" + name)
        print(name)


if __name__ == "__main__":
    main()
