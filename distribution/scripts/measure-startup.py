#!/usr/bin/env python3
"""Start-up numbers of the unpacked distribution (docs/benchmarks.md).

  distribution/scripts/measure-startup.py [DIST_DIR] [RUNS]

For each run: a fresh copy of the distribution in a temp folder, `bin/herald run` started as a child process, and
  - start -> first accepted SMTP connection (TCP connect + the 220 greeting), polled every 5 ms;
  - start -> "Herald started" in the log (mailbox store active, demo mailboxes created);
  - jar copied into plugins/ -> plugin active in data/plugins.state (route-local removed before the start, then
    copied in with a temp name and renamed, as an operator should), polled every 5 ms.
Prints each run and the medians. HERALD_JAVA_OPTS is passed through (to try JVM flags).
"""
import os, shutil, socket, statistics, subprocess, sys, tempfile, time, glob

dist = sys.argv[1] if len(sys.argv) > 1 else glob.glob(os.path.join(os.path.dirname(__file__), "..", "target", "herald-*[!p]"))[0]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
port_offset = 37000

def wait(pred, timeout=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        r = pred()
        if r:
            return r
        time.sleep(0.005)
    raise SystemExit("timed out")

def smtp_ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.settimeout(5)
            return s.recv(512).startswith(b"220")
    except OSError:
        return False

rows = []
for i in range(runs):
    tmp = tempfile.mkdtemp(prefix="herald-start-")
    home = os.path.join(tmp, "herald")
    shutil.copytree(dist, home)
    route = glob.glob(os.path.join(home, "plugins", "herald-route-local-*.jar"))[0]
    saved = os.path.join(tmp, os.path.basename(route))
    shutil.move(route, saved)
    log = open(os.path.join(tmp, "out.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(home, "bin", "herald"), "--home", home, "run", "--port-offset", str(port_offset)],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        wait(lambda: smtp_ready(2525 + port_offset))
        t_smtp = time.monotonic() - t0
        wait(lambda: "Herald started" in open(os.path.join(tmp, "out.log")).read())
        t_started = time.monotonic() - t0
        state = os.path.join(home, "data", "plugins.state")
        part = os.path.join(home, "plugins", ".route.part")
        shutil.copy(saved, part)
        t1 = time.monotonic()
        os.rename(part, os.path.join(home, "plugins", os.path.basename(saved)))
        def active():
            try:
                return any(l.startswith("route-local\t") and "\tactive\t" in l for l in open(state))
            except OSError:
                return False
        wait(active)
        t_deploy = time.monotonic() - t1
    finally:
        p.terminate()
        p.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    rows.append((t_smtp, t_started, t_deploy))
    print(f"run {i + 1}: first SMTP connection {t_smtp * 1000:.0f} ms, 'Herald started' {t_started * 1000:.0f} ms, "
          f"jar copied -> active {t_deploy * 1000:.0f} ms", flush=True)

med = [statistics.median(c) * 1000 for c in zip(*rows)]
print(f"median of {runs}: first SMTP connection {med[0]:.0f} ms, 'Herald started' {med[1]:.0f} ms, jar copied -> active {med[2]:.0f} ms")
