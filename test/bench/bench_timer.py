"""bench_timer: how exactly upsxen keeps a schedule. Ten hosts, each on
its own UPS with maintenance_after = 2 s; their traps go out 0.1 s apart,
and the error is host.disable's arrival at fakexapi minus (trap sent +
2 s), on one monotonic clock. Prints numbers; asserts nothing.

  python3 bench_timer.py [ROUNDS] [PORT_BASE]"""

import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import (Fake, Trapd, Workdir, member, policy, ups,  # noqa: E402
                     v2_trap_bytes, wait_for)
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import pct, record  # noqa: E402

N = 10
DELAY = 2.0


def pool(base):
    hosts = [dict(member(1, base), name_label="master", master=True)]
    hosts += [dict(member(2 + i, base), name_label="h%d" % i)
              for i in range(N)]
    return {"password": "secret", "per_vm_ms": 10, "boot_ms": 100,
            "shutdown_ms": 10, "hosts": hosts, "vms": []}


def run(rounds, base):
    work = Workdir()
    fake = trapd = None
    errors = []
    try:
        fake = Fake(work, pool(base))
        refs = {fake.ref("h%d" % i): i for i in range(N)}
        hosts = {"h%d" % i: {"powered_by": ["u%d" % i],
                             "maintenance_after": DELAY}
                 for i in range(N)}
        upses = {"u%d" % i: ups("127.0.3.%d" % (i + 1), warning=600)
                 for i in range(N)}
        path = policy(work, base, hosts, upses)
        trapd = Trapd(work, base + 90, path, options=["-n"])
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in fake.calls()), what="first facts")
        socks = []
        for i in range(N):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.3.%d" % (i + 1), 0))
            socks.append(s)
        on = v2_trap_bytes("1.3.6.1.4.1.935.0.5")
        off = v2_trap_bytes("1.3.6.1.4.1.935.0.9")
        dest = ("127.0.0.1", base + 90)
        for r in range(rounds):
            seen = len(fake.calls())
            sent = [0.0] * N
            for i in range(N):
                sent[i] = time.monotonic()
                socks[i].sendto(on, dest)
                time.sleep(0.1)     # input pacing, not a wait
            disables = wait_for(
                lambda: [c for c in fake.calls()[seen:]
                         if c["method"] == "host.disable"]
                if sum(c["method"] == "host.disable"
                       for c in fake.calls()[seen:]) >= N else None,
                15, "%d disables in round %d" % (N, r))
            for c in disables:
                i = refs[c["args"][1]]
                errors.append((c["mono"] - sent[i] - DELAY) * 1e3)
            for s in socks:
                s.sendto(off, dest)
            wait_for(lambda: sum(c["method"] == "host.enable"
                                 for c in fake.calls()[seen:]) >= N, 15,
                     "%d enables in round %d" % (N, r))
        for s in socks:
            s.close()
    finally:
        if trapd:
            trapd.stop()
        if fake:
            fake.stop()
        work.remove()
    return errors


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 16900
    errors = run(rounds, base)
    late = [abs(e) for e in errors]
    print("timer precision: maintenance_after = %.0f s, %d schedules: "
          "error (disable arrival - trap - %.0f s)" % (DELAY, len(errors),
                                                       DELAY))
    print("  p50 %.2f ms  p99 %.2f ms  max %.2f ms  min %.2f ms  mean "
          "%.2f ms" % (pct(late, 50), pct(late, 99), max(errors),
                       min(errors), statistics.mean(errors)))
    record("timer", {"n": len(errors), "p50": pct(late, 50),
                     "p99": pct(late, 99), "max": max(errors),
                     "min": min(errors)})


if __name__ == "__main__":
    main()
