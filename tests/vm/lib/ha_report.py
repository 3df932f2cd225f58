#!/usr/bin/env python3
"""Reads the failover scenarios' records: fulcrumd logs, `ip -ts monitor address` files, a poller's tries.

One process per question, so a scenario under TCG (where each process start costs
0.1-1 s) spends its time on the daemons, not on parsing. Times are Unix ms.

  takeover LOG LABEL         the last "became active" of LOG's last run and the steps after it:
                             prints "AT" then a "measure:" line and the log lines
  at LOG REGEX               the Unix ms of the last line matching REGEX (exit 1: none)
  count FROM TO REGEX LOG...  how many lines of the LOGs match REGEX with a time in [FROM, TO]
  event FILE FROM REGEX      the first address event at or after FROM matching REGEX
  before FILE TO REGEX       the last address event at or before TO matching REGEX
  outage FILE FROM TO        the longest time without an answer between FROM and TO:
                             from the last answer before a failed try to the next answer

Imported (bench/ha_failover_report.py): steps, takeover_after, outage, events, log_lines.
"""
import datetime
import re
import sys


def log_ms(line):
    t = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
    return int(t.timestamp() * 1000)


def last_run(path):
    lines = open(path).read().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("--- fulcrumd start"):
            return lines[i + 1:]
    return lines


def log_lines(path):
    return [(log_ms(l), l[24:]) for l in open(path) if re.match(r"\d{4}-\d\d-\d\d ", l)]


def steps(rows, i):
    """The takeover whose "became active" line is rows[i]: {"at", "silent" (ms or None),
    "VIPs added", "first announcement", "sync master" (ms after the role change, or None), "shown"}."""
    at, text = rows[i]
    m = re.search(r"silent for (\d+) ms", text)
    out = {"at": at, "silent": int(m.group(1)) if m else None, "shown": [text]}
    end = next((j for j in range(i + 1, len(rows)) if " ha: became " in rows[j][1]), len(rows))
    for name, rx in (("VIPs added", r"ha: VIPs added"), ("first announcement", r"announced .* \(1 of"),
                     ("sync master", r"sync daemon: master started"), ("", r"sync daemon: backup stopped")):
        after = [r for r in rows[i:end] if re.search(rx, r[1])]
        if after:
            if name:
                out[name] = after[0][0] - at
            if "announced" not in rx:
                out["shown"].append(after[0][1])
        elif name:
            out[name] = None
    return out


def takeover_after(path, since):
    """The first takeover in LOG (any run) at or after the Unix ms SINCE, as steps() says; None: none."""
    rows = log_lines(path)
    for i, r in enumerate(rows):
        if r[0] >= since and " ha: became active" in r[1]:
            return steps(rows, i)
    return None


def takeover(path, label):
    rows = [(log_ms(l), l[24:]) for l in last_run(path) if re.match(r"\d{4}-\d\d-\d\d ", l)]
    became = [i for i, r in enumerate(rows) if " ha: became active" in r[1]]
    if not became:
        print("0")
        print("measure: %s: no takeover found" % label)
        return
    s = steps(rows, became[-1])
    print(s["at"])
    print("measure: %s: peer silent %s ms when declared dead; then %s after the role change" % (
        label, "-" if s["silent"] is None else s["silent"],
        ", ".join("%s %s" % (k, "-" if s[k] is None else "+%d ms" % s[k])
                  for k in ("VIPs added", "first announcement", "sync master"))))
    for t in s["shown"]:
        print("#   " + t)


def events(path):
    for line in open(path):
        m = re.match(r"\[(\S+)\]\s*(.*)", line)
        if m:
            yield int(datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1000), m.group(2)


def outage(path, lo, hi):
    """The longest time without an answer in the poller's file between lo and hi (Unix ms): from
    the last answer before a failed try to the next answer; (gap, first failed try, next answer)."""
    rows = [l.split() for l in open(path)]
    rows = [(int(r[0]), r[1]) for r in rows if len(r) == 2 and lo <= int(r[0]) <= hi]
    last_ok, first_fail, worst = None, None, (0, 0, 0)
    for t, s in rows:
        if s == "ok":
            if first_fail is not None and last_ok is not None and t - last_ok > worst[0]:
                worst = (t - last_ok, first_fail, t)
            last_ok, first_fail = t, None
        elif first_fail is None:
            first_fail = t
    return worst


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "takeover":
        takeover(args[0], args[1])
    elif cmd == "at":
        hits = [t for t, l in log_lines(args[0]) if re.search(args[1], l)]
        if not hits:
            sys.exit(1)
        print(hits[-1])
    elif cmd == "count":
        lo, hi, rx = int(args[0]), int(args[1]), args[2]
        print(sum(1 for path in args[3:] for t, l in log_lines(path) if lo <= t <= hi and re.search(rx, l)))
    elif cmd == "event":
        for t, l in events(args[0]):
            if t >= int(args[1]) and re.search(args[2], l):
                print(t)
                return
        sys.exit(1)
    elif cmd == "before":
        hits = [t for t, l in events(args[0]) if t <= int(args[1]) and re.search(args[2], l)]
        if not hits:
            sys.exit(1)
        print(hits[-1])
    elif cmd == "outage":
        print("%d %d %d" % outage(args[0], int(args[1]), int(args[2])))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
