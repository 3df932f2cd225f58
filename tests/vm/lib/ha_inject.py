#!/usr/bin/env python3
"""Captures Fulcrum heartbeats and sends forged, replayed and spoofed ones, for the failover scenarios.

Standard library only. It speaks the wire format of docs/ha.md ("The wire format,
version 1") on its own, so a datagram it makes is what an attacker on the heartbeat
link could make: with a wrong key, an unknown key id, flipped bits, cut short, or a
recording of real datagrams sent again with their original source address (a raw
socket, so it runs as root, in a namespace of its own on the same bridge).

  capture IFACE OUT SECONDS
      Records every IPv4 UDP datagram to or from port 694 seen on IFACE (AF_PACKET:
      the node's own and its peer's) for SECONDS, one JSON line each: t (Unix ms),
      src, dst, sport, dport, hex (the payload) and the decoded header (type, role,
      reason, epoch, seq, term, echo, node). Run it in a director's namespace.

  attack KEYFILE CAPTURE CASE...
      Sends each CASE in turn, from this namespace, and prints one line per case:
      "case NAME: sent N to DST (expect RESULT)". The cases, each N datagrams:
        other-cluster SRC DST NODE   the right key, cluster "intruder" (proves the encoder:
                                     the receiver checks the cluster only after the MAC)
        wrong-key SRC DST NODE       key id of the file's "auth", another secret: forged
        unknown-key SRC DST NODE     key id 200, not in the file: unknown_key
        spoofed-stepdown SRC DST NODE  a STEPDOWN (switchover) as NODE, newest epoch seen
                                     and a seq far ahead, signed with a wrong key: forged
        bitflip SRC DST              the newest datagram SRC sent DST, one bit of the body
                                     flipped (its role, then its seq, then its MAC): forged
        bad-magic SRC DST            the same, a bit of the magic flipped: bad_magic
        truncated SRC DST            the same, cut to 60 bytes: truncated
        cut-long SRC DST             the same, 5 bytes shorter (88 or more: the MAC does
                                     not match): forged
        replay-old SRC DST           SRC's datagrams to DST at least 100 seqs older than its
                                     newest captured, sent again: replayed (or old_epoch if
                                     SRC restarted since)
        replay-epoch SRC DST         SRC's datagrams of an epoch below the newest captured
                                     (SRC restarted since): old_epoch
        replay-stepdown SRC DST      SRC's captured STEPDOWN datagrams, sent again: old_epoch
                                     if SRC restarted since, else replayed
        flood-stepdown SRC DST SECONDS  SRC's newest captured STEPDOWN, every 2 ms for SECONDS
                                     (while DST restarts: its restored replay window takes one
                                     message of SRC's current epoch before SRC's next one, and
                                     drops it as stale_echo: it echoes DST's epoch before the
                                     restart; the rest are duplicate, then replayed)
      SRC and DST are IPv4 addresses (the datagram's source and destination); NODE a
      node name. The capture gives the epochs and the real datagrams.

  show CAPTURE
      One line per captured datagram, for a look.

Exit status 0, 1 on a case that found nothing in the capture to send, 2 on a usage error.
"""
import base64
import binascii
import hashlib
import hmac
import json
import socket
import struct
import sys
import time

MAGIC = b"FUHB"
VERSION = 1
HEADER = 52  # the fixed part; the names and the MAC follow
MAC = 32
PORT = 694
TYPES = {1: "heartbeat", 2: "stepdown"}
ROLES = {1: "starting", 2: "active", 3: "standby", 4: "fault", 5: "standalone"}
STEPDOWN_SWITCHOVER = 1
ROLE_STANDBY = 3
REPEAT = 3  # datagrams a case sends (each one is counted by the receiver)


def keyfile(path):
    """(send id, {id: secret bytes}) of a Heartbeat-style authkeys file."""
    send, keys = None, {}
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 2)
        if words[0] == "auth":
            send = int(words[1])
            continue
        secret = words[2].strip()
        if secret.startswith("hex:"):
            keys[int(words[0])] = binascii.unhexlify(secret[4:])
        elif secret.startswith("base64:"):
            keys[int(words[0])] = base64.b64decode(secret[7:])
        else:
            keys[int(words[0])] = secret.encode()
    return send, keys


def encode(key_id, key, mtype, role, reason, epoch, seq, term, node, cluster="fulcrum",
           priority=100, flags=0x3f, revision=1, echo=0):
    """A signed message, as ha_packet_encode() makes it (echo: the receiver's epoch as heard)."""
    body = MAGIC + struct.pack(">BBBBBBH", VERSION, key_id, mtype, role, reason, priority, flags)
    body += struct.pack(">QQQqQ", epoch, seq, term, revision, echo)
    body += bytes([len(cluster)]) + cluster.encode() + bytes([len(node)]) + node.encode()
    return body + hmac.new(key, body, hashlib.sha256).digest()


def decode(payload):
    """The header's fields, unchecked (the MAC is not verified here), or None."""
    if len(payload) < HEADER + 2 or payload[:4] != MAGIC:
        return None
    ver, kid, mtype, role, reason, prio, flags = struct.unpack(">BBBBBBH", payload[4:12])
    epoch, seq, term, rev, echo = struct.unpack(">QQQqQ", payload[12:52])
    c = payload[52]
    n = payload[53 + c] if 53 + c < len(payload) else 0
    node = payload[54 + c:54 + c + n].decode(errors="replace")
    return {"version": ver, "key": kid, "type": TYPES.get(mtype, mtype), "role": ROLES.get(role, role),
            "reason": reason, "epoch": epoch, "seq": seq, "term": term, "node": node, "flags": flags,
            "echo": echo}


def capture(iface, out, seconds):
    # ETH_P_ALL: a socket of one protocol (ETH_P_IP) sees only what comes in, not what the node sends
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.time() + seconds
    n = 0
    with open(out, "a", buffering=1) as f:
        while time.time() < end:
            try:
                frame = s.recv(2048)
            except socket.timeout:
                continue
            ip = frame[14:]
            if frame[12:14] != b"\x08\x00" or len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
                continue
            ihl = (ip[0] & 15) * 4
            sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
            if PORT not in (sport, dport):
                continue
            payload = ip[ihl + 8:ihl + ulen]
            rec = {"t": int(time.time() * 1000), "src": socket.inet_ntoa(ip[12:16]),
                   "dst": socket.inet_ntoa(ip[16:20]), "sport": sport, "dport": dport,
                   "hex": payload.hex()}
            rec.update(decode(payload) or {})
            f.write(json.dumps(rec) + "\n")
            n += 1
    print("captured %d datagrams on %s" % (n, iface))


def records(path):
    """The capture's datagrams, each once (a replay seen by the capture is not a new one)."""
    seen, out = set(), []
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            if (r["src"], r["dst"], r["hex"]) not in seen:
                seen.add((r["src"], r["dst"], r["hex"]))
                out.append(r)
    return out


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def send_raw(src, dst, payload, sport=PORT, dport=PORT):
    """One UDP datagram with any source address (IP_HDRINCL: the kernel adds the IP checksum)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
    csum = checksum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        s.sendto(ip + udp, (dst, 0))
    finally:
        s.close()


def newest(caps, src, dst):
    got = [r for r in caps if r["src"] == src and r["dst"] == dst and "seq" in r]
    if not got:
        raise LookupError("no datagram from %s to %s in the capture" % (src, dst))
    return max(got, key=lambda r: (r["epoch"], r["seq"]))


def flip(payload, offset, bit=0):
    b = bytearray(payload)
    b[offset] ^= 1 << bit
    return bytes(b)


def attack(keypath, cappath, argv):
    send_id, keys = keyfile(keypath)
    caps = records(cappath)
    wrong = hashlib.sha256(b"not the key" + keys[send_id]).digest()
    rc = 0
    i = 0
    while i < len(argv):
        case = argv[i]
        nargs = {"other-cluster": 3, "wrong-key": 3, "unknown-key": 3, "spoofed-stepdown": 3,
                 "flood-stepdown": 3}.get(case, 2)
        args = argv[i + 1:i + 1 + nargs]
        i += 1 + nargs
        if len(args) != nargs:
            sys.exit("case %s needs %d arguments" % (case, nargs))
        src, dst = args[0], args[1]
        try:
            sent, expect = run_case(case, args, caps, send_id, keys, wrong)
        except LookupError as e:
            print("case %s: nothing to send: %s" % (case, e))
            rc = 1
            continue
        if case == "flood-stepdown":
            n, end = 0, time.time() + float(args[2])
            while time.time() < end:
                send_raw(src, dst, sent[0])
                n += 1
                time.sleep(0.002)
            sent = [sent[0]] * n
        else:
            for p in sent:
                send_raw(src, dst, p)
                time.sleep(0.02)
        print("case %s: sent %d to %s from %s (expect %s)" % (case, len(sent), dst, src, expect))
        sys.stdout.flush()
        time.sleep(0.3)
    return rc


def run_case(case, args, caps, send_id, keys, wrong):
    """The datagrams a case sends and the receiver's result it expects."""
    src, dst = args[0], args[1]
    seen = [r for r in caps if r["src"] == src and "epoch" in r]
    epoch = max([r["epoch"] for r in seen] or [int(time.time() * 1000)])
    top = max([r["seq"] for r in seen if r["epoch"] == epoch] or [0])
    if case in ("other-cluster", "wrong-key", "unknown-key"):
        node = args[2]
        key_id, key, cluster, expect = {
            "other-cluster": (send_id, keys[send_id], "intruder", "other_cluster"),
            "wrong-key": (send_id, wrong, "fulcrum", "forged"),
            "unknown-key": (200, wrong, "fulcrum", "unknown_key"),
        }[case]
        return [encode(key_id, key, 1, 2, 0, epoch, top + 1000 + k, 99, node, cluster=cluster)
                for k in range(REPEAT)], expect
    if case == "spoofed-stepdown":
        return [encode(send_id, wrong, 2, ROLE_STANDBY, STEPDOWN_SWITCHOVER, epoch, top + 2000 + k, 99,
                       args[2]) for k in range(REPEAT)], "forged"
    if case in ("bitflip", "bad-magic", "truncated", "cut-long"):
        p = bytes.fromhex(newest(caps, src, dst)["hex"])
        if case == "bitflip":
            return [flip(p, 7), flip(p, 27), flip(p, len(p) - 1)], "forged"
        if case == "bad-magic":
            return [flip(p, 0)] * REPEAT, "bad_magic"
        if case == "truncated":
            return [p[:60]] * REPEAT, "truncated"
        return [p[:max(88, len(p) - 5)]] * REPEAT, "forged"
    if case == "replay-old":
        old = [r for r in caps if r["src"] == src and r["dst"] == dst and r.get("epoch") == epoch
               and r["seq"] <= top - 100]
        if not old:
            raise LookupError("no datagram of %s's epoch %d 100 seqs before %d" % (src, epoch, top))
        return [bytes.fromhex(r["hex"]) for r in old[-REPEAT:]], "replayed"
    if case == "replay-epoch":
        old = [r for r in caps if r["src"] == src and r["dst"] == dst and r.get("epoch", epoch) < epoch]
        if not old:
            raise LookupError("no datagram of %s with an epoch below %d" % (src, epoch))
        return [bytes.fromhex(r["hex"]) for r in old[-REPEAT:]], "old_epoch"
    if case == "flood-stepdown":
        old = [r for r in caps if r["src"] == src and r["dst"] == dst and r.get("type") == "stepdown"
               and r["epoch"] == epoch]
        if not old:
            raise LookupError("no STEPDOWN from %s to %s of its epoch %d" % (src, dst, epoch))
        return [bytes.fromhex(old[-1]["hex"])], "duplicate or replayed, one stale_echo if DST restarted"
    if case == "replay-stepdown":
        old = [r for r in caps if r["src"] == src and r["dst"] == dst and r.get("type") == "stepdown"]
        if not old:
            raise LookupError("no STEPDOWN from %s to %s in the capture" % (src, dst))
        if len({r["epoch"] < epoch for r in old}) > 1:
            old = [r for r in old if r["epoch"] < epoch]  # one kind per case: the old epoch's
        return [bytes.fromhex(r["hex"]) for r in old], "old_epoch" if old[0]["epoch"] < epoch else "replayed"
    raise SystemExit("unknown case " + case)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "capture" and len(args) == 3:
        capture(args[0], args[1], float(args[2]))
    elif cmd == "attack" and len(args) >= 3:
        sys.exit(attack(args[0], args[1], args[2:]))
    elif cmd == "show" and len(args) == 1:
        for r in records(args[0]):
            print("%d %s>%s %s %s %s epoch %s seq %s term %s %s echo %s" % (
                r["t"], r["src"], r["dst"], r.get("node"), r.get("type"), r.get("role"),
                r.get("epoch"), r.get("seq"), r.get("term"), len(r["hex"]) // 2, r.get("echo")))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


main()
