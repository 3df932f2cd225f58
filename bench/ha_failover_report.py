#!/usr/bin/env python3
"""bench/ha-failover.sh's numbers: each failover round and, per kind, median, p95 and max.

  ha_failover_report.py ROUNDS HA_DIR

ROUNDS has one line a failover: "KIND FROM TO T_START T_KILL T_RESTART T_END POLL" (Unix ms by
the guest's clock, the one fulcrumd's log and `ip -ts monitor` use too): the action on the
active (or master) FROM began at T_START (the switchover request, the links' cut), its daemon
was killed at T_KILL (after the links were down), TO took over, the old one was restarted from
T_RESTART to T_END; POLL is the client's file. Times are from T_KILL; for a cut from the
kernel's time of FROM's first link going down (HA_DIR/link-dirN.txt, `ip -ts monitor link`),
for a switchover from "STEPDOWN (switchover) sent" in FROM's log. The records read: HA_DIR/dirN/fulcrumd.log,
HA_DIR/addr-dirN.txt (kernel address events) and POLL, by tests/vm/lib/ha_report.py.
p95 is the nearest rank (the 19th of 20). Exits 1 when a round has no client record or, for
fulcrumd, no takeover in the new active's log: a round that did not happen must not look fast.
"""
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.environ.get("FULCRUM_TOP", "."), "tests/vm/lib"))
import ha_report  # noqa: E402

VIP_ADD = r"^(?!Deleted).*inet 10\.0\.2\.100/"


def first_event(path, since, rx):
    for t, line in ha_report.events(path):
        if t >= since and re.search(rx, line):
            return t
    return None


def first_line(path, since, rx):
    for t, line in ha_report.log_lines(path):
        if t >= since and re.search(rx, line):
            return t
    return None


def stats(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return "-"
    p95 = v[max(0, math.ceil(0.95 * len(v)) - 1)]
    return "%d / %d / %d" % (statistics.median(v), p95, v[-1])


def main():
    rounds_path, ha_dir = sys.argv[1], sys.argv[2]
    kinds, order, bad = {}, [], 0
    print("per round (ms): kind from>to: client outage | kill to VIP on the new node (kernel) |"
          " fulcrumd: detection, kill to role change, VIPs added, first announcement | outage while the old one restarted")
    for n, line in enumerate(open(rounds_path), 1):
        kind, a, b, t_start, t_kill, t_restart, t_end, poll = line.split()
        t_start, t_kill, t_restart, t_end = int(t_start), int(t_kill), int(t_restart), int(t_end)
        out, first_fail, back = ha_report.outage(poll, t_start - 300, t_restart)
        tries = sum(1 for l in open(poll) if t_start - 300 <= int(l.split()[0]) <= t_restart)
        if tries < 3:
            print("  %s %s>%s: the client made %d tries in the round: no measure" % (kind, a, b, tries))
            bad += 1
        after, _, _ = ha_report.outage(poll, t_restart, t_end)
        t0 = t_kill
        if kind.endswith("cut"):
            t0 = first_event(os.path.join(ha_dir, "link-dir%s.txt" % a), t_start - 50, r"eth-(cl|rs)")
            if t0 is None:
                print("  %s %s>%s: no link event in dir%s's record" % (kind, a, b, a))
                bad += 1
                continue
        if kind.endswith("switch"):
            t0 = first_line(os.path.join(ha_dir, "dir%s" % a, "fulcrumd.log"), t_start,
                            r"STEPDOWN \(switchover\) sent")
            if t0 is None:
                print("  %s %s>%s: no STEPDOWN (switchover) sent in dir%s's log" % (kind, a, b, a))
                bad += 1
                continue
        vip = first_event(os.path.join(ha_dir, "addr-dir%s.txt" % b), t_start, VIP_ADD)
        row = {"outage": out, "vip": None if vip is None else vip - t0, "restart": after}
        text = "  %-16s %s>%s: outage %4d | VIP %5s" % (kind, a, b, out, "-" if vip is None else vip - t0)
        if kind.startswith("fulcrum"):
            st = ha_report.takeover_after(os.path.join(ha_dir, "dir%s" % b, "fulcrumd.log"), t_start)
            if st is None:
                print(text + " | no takeover in dir%s's log after the kill" % b)
                bad += 1
                continue
            row["detect"] = st["at"] - t0 if kind.endswith("switch") else st["silent"]
            row["role"] = st["at"] - t0
            row["vips"] = st["VIPs added"]
            row["ann"] = st["first announcement"]
            text += " | detection %s, role +%d, VIPs +%s, announced +%s" % (
                row["detect"], row["role"], row["vips"], row["ann"])
        text += " | restart %d" % after
        print(text)
        if kind not in kinds:
            kinds[kind] = []
            order.append(kind)
        kinds[kind].append(row)

    print()
    print("summary: median / p95 / max in ms (p95: nearest rank), per kind of failover")
    print("| kind | rounds | client outage | kill (cut: link down; switchover: STEPDOWN sent) to VIP added on the new node (kernel) | detection | kill (link down, STEPDOWN sent) to role change | role change to VIPs added | to first announcement | client outage while the old node restarted (max) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in order:
        rows = kinds[kind]
        f = kind.startswith("fulcrum")
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %d |" % (
            kind, len(rows), stats(r["outage"] for r in rows), stats(r["vip"] for r in rows),
            stats(r["detect"] for r in rows) if f else "-", stats(r["role"] for r in rows) if f else "-",
            stats(r["vips"] for r in rows) if f else "-",
            stats(r["ann"] for r in rows) if f else "-", max(r["restart"] for r in rows)))
    if bad:
        print("FAIL: %d round(s) without a measure" % bad)
        sys.exit(1)


main()
