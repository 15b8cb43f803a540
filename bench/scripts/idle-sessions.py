#!/usr/bin/env python3
"""Opens N SMTP sessions to HOST:PORT, reads each greeting, sends EHLO (answered 250) and then keeps them all idle.

    python3 bench/scripts/idle-sessions.py HOST PORT N HOLD_SECONDS [READY_FILE]

Once every session is greeted and has its EHLO answered, READY_FILE is written (a line of counts) and the sessions
stay open HOLD_SECONDS, then are closed. Raise the open-file limit first (ulimit -n). Exit 1 if not all N got there.
"""
import os
import selectors
import socket
import sys
import time

def main():
    host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    ready_file = sys.argv[5] if len(sys.argv) > 5 else None
    sel = selectors.DefaultSelector()
    state = {}
    t0 = time.time()
    opened = 0
    done = 0
    failed = 0
    deadline = t0 + 300
    while (opened < n or done + failed < n) and time.time() < deadline:
        # keep at most 40 handshakes in flight: below any listen backlog, so no SYN is dropped and retried
        while opened < n and opened - done - failed < 40:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, port))
            state[s] = [b"", 0]     # buffer, stage: 0 greeting, 1 EHLO reply, 2 idle
            sel.register(s, selectors.EVENT_READ)
            opened += 1
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            st = state[s]
            if not data:
                failed += 1
                sel.unregister(s)
                continue
            st[0] += data
            # a complete reply: its last line has a space after the code
            lines = st[0].split(b"\r\n")
            if len(lines) < 2 or not any(len(l) >= 4 and l[3:4] == b" " for l in lines[:-1]):
                continue
            code = st[0][:3]
            st[0] = b""
            if st[1] == 0 and code == b"220":
                st[1] = 1
                s.sendall(b"EHLO idle.bench.test\r\n")
            elif st[1] == 1 and code == b"250":
                st[1] = 2
                done += 1
                sel.unregister(s)
            else:
                failed += 1
                sel.unregister(s)
    took = time.time() - t0
    msg = f"{done} of {n} sessions greeted and EHLO answered in {took:.1f} s ({failed} failed); holding them {hold:.0f} s"
    print(msg, flush=True)
    if ready_file:
        with open(ready_file + ".tmp", "w") as f:
            f.write(msg + "\n")
        os.rename(ready_file + ".tmp", ready_file)
    time.sleep(hold)
    for s in state:
        s.close()
    sys.exit(0 if done == n else 1)

if __name__ == "__main__":
    main()
