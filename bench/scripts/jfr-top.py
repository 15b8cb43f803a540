#!/usr/bin/env python3
"""Summarises `jfr print --events jdk.ExecutionSample FILE` output: samples per thread (group), top leaf frames
(self time) and top frames anywhere on the stack (total time), optionally only frames matching a prefix.

    jfr print --events jdk.ExecutionSample rec.jfr | python3 bench/scripts/jfr-top.py [--top N] [--match io.herald]
"""
import re
import sys
from collections import Counter

def main():
    top, match = 25, None
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--top": top = int(args.pop(0))
        elif a == "--match": match = args.pop(0)
    threads, leaf, total = Counter(), Counter(), Counter()
    n = 0
    stack, thread, in_stack = [], None, False
    frame_re = re.compile(r"^\s+([\w$.<>/]+)\(.*?\)\s+line:")
    for line in sys.stdin:
        if line.startswith("jdk.ExecutionSample"):
            stack, thread, in_stack = [], None, False
        elif "sampledThread" in line:
            m = re.search(r'"([^"]*)"', line)
            thread = re.sub(r"[-#]?\d+$", "", m.group(1)) if m else "?"
        elif "stackTrace = [" in line:
            in_stack = True
        elif in_stack and line.strip() == "]":
            in_stack = False
            n += 1
            threads[thread] += 1
            if stack:
                leaf[stack[0]] += 1
                for f in set(stack): total[f] += 1
        elif in_stack:
            m = frame_re.match(line)
            if m: stack.append(m.group(1))
    print(f"{n} samples")
    print("\n-- threads"); [print(f"{c:6d} {100*c/n:5.1f}%  {t}") for t, c in threads.most_common(top)]
    print("\n-- self (leaf frame)"); [print(f"{c:6d} {100*c/n:5.1f}%  {f}") for f, c in leaf.most_common(top)]
    print("\n-- total (on the stack)" + (f", matching {match}" if match else ""))
    shown = [(f, c) for f, c in total.most_common() if match is None or f.startswith(match)][:top]
    [print(f"{c:6d} {100*c/n:5.1f}%  {f}") for f, c in shown]

if __name__ == "__main__":
    main()
