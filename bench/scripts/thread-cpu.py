#!/usr/bin/env python3
"""CPU time per thread (user + sys, from /proc/PID/task/*/stat) spent while a command runs, grouped by thread name.

    python3 bench/scripts/thread-cpu.py PID -- COMMAND ARGS...

Shows where a server's CPU goes, kernel time included (JFR's execution samples see only Java code).
"""
import os, re, subprocess, sys

def snap(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        f = stat[stat.rindex(")") + 2:].split()
        out[tid] = (name, int(f[11]), int(f[12]))
    return out

def main():
    pid = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    hz = os.sysconf("SC_CLK_TCK")
    a = snap(pid)
    subprocess.run(cmd, check=False)
    b = snap(pid)
    groups = {}
    for tid, (name, u, s) in b.items():
        u0, s0 = a.get(tid, (name, 0, 0))[1:]
        g = re.sub(r"[-#]?\d+$", "", name)
        gu, gs = groups.get(g, (0, 0))
        groups[g] = (gu + u - u0, gs + s - s0)
    total = sum(u + s for u, s in groups.values()) or 1
    print(f"{'thread group':32s} {'user s':>8s} {'sys s':>8s} {'share':>6s}")
    for g, (u, s) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        if u + s: print(f"{g:32s} {u / hz:8.2f} {s / hz:8.2f} {100 * (u + s) / total:5.1f}%")
    print(f"{'total':32s} {sum(u for u, _ in groups.values()) / hz:8.2f} {sum(s for _, s in groups.values()) / hz:8.2f}")

if __name__ == "__main__":
    main()
