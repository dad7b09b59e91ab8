"""Measurement primitives for scripts/bench: whole-process wall time, peak RSS, instruction counts.

Every sample is one or more processes started with posix_spawn (no shell) from this driver, which
runs pinned to the measurement core; children inherit the affinity (the same as `taskset -c 1`,
without taskset's own exec in the measured time). Wall time is perf_counter_ns around spawn+wait;
nothing is subtracted, and every tool is measured the same way. Compared commands are interleaved
(A B C, then B C A, ...) so that noise on this shared machine hits all of them alike.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

DEVNULL = "/dev/null"


@dataclass
class Step:
    argv: list[str]          # argv[0] is an absolute path
    stdin: str | None = None  # a file fed on stdin (else /dev/null)


@dataclass
class Cmd:
    label: str
    steps: list[Step]
    env: dict[str, str]
    ok_rc: tuple[int, ...] = (0,)
    samples: list[int] = field(default_factory=list)  # ns
    cpu: list[float] = field(default_factory=list)    # user+sys seconds of the sample's processes
    rss_kb: int | None = None
    last_cpu: float = 0.0
    instructions: int | None = None

    @staticmethod
    def one(label, argv, env, stdin=None, ok_rc=(0,)):
        return Cmd(label, [Step(list(argv), stdin)], env, ok_rc)


class RunFailed(Exception):
    pass


def _spawn_wait(step: Step, env: dict[str, str], prefix: list[str] = ()) -> int:
    # Python 3.11's posix_spawn has no chdir action: the driver chdirs once to the bench folder.
    argv = list(prefix) + step.argv
    fa = [
        (os.POSIX_SPAWN_OPEN, 0, step.stdin or DEVNULL, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, DEVNULL, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, DEVNULL, os.O_WRONLY, 0),
    ]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    global LAST_CPU
    LAST_CPU = ru.ru_utime + ru.ru_stime
    return os.waitstatus_to_exitcode(status)


LAST_CPU = 0.0


def run_once(cmd: Cmd) -> int:
    """One sample: every step in order; returns wall ns. Raises RunFailed on an unexpected exit."""
    cpu = 0.0
    t0 = time.perf_counter_ns()
    for st in cmd.steps:
        rc = _spawn_wait(st, cmd.env)
        cpu += LAST_CPU
        if rc not in cmd.ok_rc:
            raise RunFailed(f"{cmd.label}: {os.path.basename(st.argv[0])} exited {rc}")
    ns = time.perf_counter_ns() - t0
    cmd.last_cpu = cpu
    return ns


def check(cmd: Cmd, expect: str | None = None, expect_empty: bool = False) -> str:
    """Run each step once with output captured; verify exit codes and (optionally) stdout."""
    out_all = ""
    for st in cmd.steps:
        with open(st.stdin or DEVNULL, "rb") as fin:
            p = subprocess.run(st.argv, stdin=fin, capture_output=True, env=cmd.env)
        if p.returncode not in cmd.ok_rc:
            raise RunFailed(f"{cmd.label}: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()[:300]}")
        out_all += p.stdout.decode(errors="replace")
    if expect is not None and expect not in out_all:
        raise RunFailed(f"{cmd.label}: output lacks the expected value")
    if expect_empty and out_all.strip():
        raise RunFailed(f"{cmd.label}: expected no output, got {len(out_all)} bytes")
    return out_all


def interleaved(cmds: list[Cmd], runs: int, warmup: int = 5) -> None:
    """Fill cmd.samples: `warmup` unrecorded rounds, then `runs` rounds; the order of commands
    rotates every round so no command always follows the same one."""
    n = len(cmds)
    for i in range(warmup + runs):
        order = [cmds[(i + k) % n] for k in range(n)]
        if i % 2:
            order.reverse()
        for c in order:
            ns = run_once(c)
            if i >= warmup:
                c.samples.append(ns)
                c.cpu.append(c.last_cpu)


def peak_rss(cmd: Cmd, runs: int = 5) -> int:
    """Median of GNU time's %M (KiB) over `runs`; for a multi-step sample, the largest step."""
    vals = []
    for _ in range(runs):
        worst = 0
        for st in cmd.steps:
            with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
                rc = _spawn_wait(Step(st.argv, st.stdin), cmd.env,
                                 prefix=["/usr/bin/time", "-f", "%M", "-o", tf.name])
                if rc not in cmd.ok_rc:
                    raise RunFailed(f"{cmd.label} under time: exit {rc}")
                txt = open(tf.name).read().strip().splitlines()
                worst = max(worst, int(txt[-1]))
        vals.append(worst)
    cmd.rss_kb = int(statistics.median(vals))
    return cmd.rss_kb


_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


STRIP_DIR: str | None = None   # set by bench_run: where debug-stripped copies are kept
STRIP_ROOTS: list[str] = []     # binaries under these folders are stripped before callgrind


def debug_stripped(path: str) -> str:
    """A copy of `path` without debug sections. Debian 12's valgrind 3.19 cannot read the DWARF 5
    that the static Swift runtime carries ("Possibly corrupted debuginfo file ... Giving up");
    `objcopy --strip-debug` leaves the code, and so the instruction count, unchanged."""
    if not STRIP_DIR:
        return path
    os.makedirs(STRIP_DIR, exist_ok=True)
    # One folder per source folder: a --baseline build has the same tool names, and the name
    # itself must stay (a multi-call binary dispatches on it).
    folder = hashlib.sha256(os.path.dirname(os.path.abspath(path)).encode()).hexdigest()[:12]
    os.makedirs(os.path.join(STRIP_DIR, folder), exist_ok=True)
    dst = os.path.join(STRIP_DIR, folder, os.path.basename(path))
    if not os.path.exists(dst) or os.path.getmtime(dst) < os.path.getmtime(path):
        subprocess.run(["objcopy", "--strip-debug", path, dst + ".tmp"], check=True)
        os.chmod(dst + ".tmp", 0o755)
        os.replace(dst + ".tmp", dst)
    return dst


def instructions(cmd: Cmd) -> int:
    """Instructions executed (callgrind's `Collected`), summed over the steps."""
    total = 0
    for st in cmd.steps:
        argv = list(st.argv)
        if STRIP_DIR and any(os.path.realpath(argv[0]).startswith(os.path.realpath(r)) for r in STRIP_ROOTS):
            argv[0] = debug_stripped(argv[0])
        with open(st.stdin or DEVNULL, "rb") as fin:
            p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                               stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=cmd.env)
        m = _COLLECTED.search(p.stderr.decode(errors="replace"))
        if not m:
            raise RunFailed(f"{cmd.label}: callgrind gave no count (exit {p.returncode})")
        total += int(m.group(1))
    cmd.instructions = total
    return total


# ---- statistics ----------------------------------------------------------------------------

def median_ms(c: Cmd) -> float:
    return statistics.median(c.samples) / 1e6


def quartiles_ms(c: Cmd) -> tuple[float, float]:
    q = statistics.quantiles(c.samples, n=4)
    return q[0] / 1e6, q[2] / 1e6


def ratio_ci(a: Cmd, b: Cmd, n_boot: int = 2000, seed: int = 1) -> tuple[float, float, float]:
    """median(a)/median(b) with a 95% bootstrap interval (resampling each side independently)."""
    r = statistics.median(a.samples) / statistics.median(b.samples)
    rng = random.Random(seed)
    sa, sb = a.samples, b.samples
    boots = []
    for _ in range(n_boot):
        ma = statistics.median(rng.choices(sa, k=len(sa)))
        mb = statistics.median(rng.choices(sb, k=len(sb)))
        boots.append(ma / mb)
    boots.sort()
    return r, boots[int(0.025 * n_boot)], boots[int(0.975 * n_boot) - 1]
