#!/usr/bin/env python3
"""Rotation rows of scripts/bench (issue 15), against a running sg-sim.

  rotation latency: `sg-exec --restart-on-change` holds a child; the appliance rotates the
    password (POST /admin/rotate); the time until the restarted child has written the new value,
    20 rotations, median and p95. Bar: <= 1 s on loopback with events.
  idle cost: one `sg-watch` holding an event stream with the default intervals (ping 15 s), CPU
    seconds (user+system, /proc/PID/stat) over --idle seconds scaled to an hour, and its RSS.
    Bar: <= 1 CPU-second per hour.

  bench_rotation.py --bin DIR --sim-state DIR --work DIR [--rotations 20] [--idle 600]
"""
import argparse, json, os, signal, statistics, subprocess, sys, time, urllib.request


def admin(ready, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{ready['adminPort']}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def config_with_watch(ready, work, watch):
    text = open(ready["config"]).read() + "\nwatch:\n" + watch + "\n"
    path = os.path.join(os.path.dirname(ready["config"]), "bench-watch.yaml")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, text.encode())
    os.close(fd)
    return path


def wait_for(what, cond, timeout=30.0, step=0.002):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(step)
    raise SystemExit(f"bench_rotation: timed out waiting for {what}")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def latency(args, ready, env):
    out = os.path.join(args.work, "rotation-child")
    os.makedirs(out, exist_ok=True)
    child = os.path.join(args.work, "rotation-child.sh")
    with open(child, "w") as f:
        f.write('#!/bin/sh\nprintf %s "$PW" > "$1/v.tmp" && mv "$1/v.tmp" "$1/v"\n'
                # `wait` is interrupted by the trap at once; a foreground sleep would delay the exit.
                "trap 'exit 0' TERM\nwhile :; do sleep 1 & wait $!; done\n")
    os.chmod(child, 0o700)
    env = dict(env, SG_CONFIG=config_with_watch(ready, args.work, "  poll: 3600"))
    p = subprocess.Popen([os.path.join(args.bin, "sg-exec"), "--restart-on-change", "-e", "PW=sg:rotating-pw", "--",
                          child, out], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(args.work, "rotation-exec.stderr"), "w"))
    try:
        vfile = os.path.join(out, "v")
        wait_for("the first child", lambda: read(vfile) is not None)
        wait_for("the hub connection", lambda: admin(ready, "/admin/hub", {}).get("handshaken", 0) >= 1, step=0.05)
        times = []
        for _ in range(args.rotations):
            before = read(vfile)
            t0 = time.monotonic()
            admin(ready, "/admin/rotate", {"secret": "rotating-pw"})
            wait_for("the restarted child", lambda: read(vfile) not in (None, before))
            times.append(time.monotonic() - t0)
            time.sleep(0.2)
        return times
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def idle(args, ready, env):
    env = dict(env, SG_CONFIG=config_with_watch(ready, args.work, "  poll: 300"))
    p = subprocess.Popen([os.path.join(args.bin, "sg-watch"), "sg:demo-db", "--", "/bin/true"], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(args.work, "idle-watch.stderr"), "w"))
    try:
        wait_for("the hub connection", lambda: admin(ready, "/admin/hub", {}).get("handshaken", 0) >= 1, step=0.05)
        time.sleep(2)   # start-up and the first re-check are not idle
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        time.sleep(args.idle)
        c1, t1 = cpu_seconds(p.pid), time.monotonic()
        return (c1 - c0) * 3600 / (t1 - t0), rss_kib(p.pid), t1 - t0
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sim-state", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rotations", type=int, default=20)
    ap.add_argument("--idle", type=float, default=600)
    a = ap.parse_args()
    ready = json.load(open(os.path.join(a.sim_state, "ready.json")))
    env = dict(os.environ, PATH=a.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin"), SG_KEYRING="file")
    admin(ready, "/admin/hub", {"enabled": True, "stall": False})
    times = latency(a, ready, env)
    med = statistics.median(times)
    p95 = sorted(times)[max(0, int(round(0.95 * len(times))) - 1)]
    print(f"| rotation → restarted child holds the new value (sg-exec --restart-on-change, {len(times)} rotations) "
          f"| median {med * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms | ≤ 1 s {'PASS' if p95 <= 1 else 'FAIL'} |")
    cpu_hour, rss, window = idle(a, ready, env)
    print(f"| idle sg-watch holding an event stream (ping 15 s), measured over {window:.0f} s "
          f"| {cpu_hour:.2f} CPU-s/hour, RSS {rss / 1024:.1f} MiB | ≤ 1 CPU-s/hour {'PASS' if cpu_hour <= 1 else 'FAIL'} |")


if __name__ == "__main__":
    main()
