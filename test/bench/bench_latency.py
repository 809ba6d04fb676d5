"""bench_latency: from a trap on the wire to upsxen's first XenAPI request
at fakexapi, for a host with a zero delay, over many outages; optionally
under a background storm of irrelevant traps. Prints numbers; asserts
nothing.

  python3 bench_latency.py [OUTAGES] [STORM_TRAPS_PER_S] [PORT_BASE]

Both clocks are CLOCK_MONOTONIC on this machine: the sender's send time
and fakexapi's arrival time of the call. The storm comes from trapblast
(C, paced in 1 ms batches) from an address no UPS has. snmptrapd runs as
the intake benchmark runs it (-n, doNotRetainNotificationLogs)."""

import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import (Fake, Trapd, Workdir, policy, pool3,  # noqa: E402
                     ups, v2_trap_bytes, wait_for)
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import Tail, blast, pct, record  # noqa: E402


def run(outages, rate, base):
    work = Workdir()
    fake = trapd = storm = None
    first, disable = [], []
    resent = 0
    try:
        pool = pool3(base, vms=[])
        fake = Fake(work, pool)
        hosts = {"xenserver-2": {"powered_by": ["ups2"],
                                 "maintenance_after": 0}}
        path = policy(work, base, hosts, {"ups2": ups("127.0.0.12")})
        trapd = Trapd(work, base + 9, path, options=["-n"],
                      extra_conf="doNotRetainNotificationLogs yes\n")
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in fake.calls()), what="first facts")
        if rate:
            storm = blast(base + 9, rate, seconds=3600, wait=False)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.12", 0))
        on = v2_trap_bytes("1.3.6.1.4.1.935.0.5")
        off = v2_trap_bytes("1.3.6.1.4.1.935.0.9")
        tail = Tail(fake.log)
        tail.new()
        dest = ("127.0.0.1", base + 9)

        def until(method, pkt):
            """Calls up to `method`; the trap is sent again when nothing
            came of it within a second (UDP may lose it)."""
            nonlocal resent
            got = []
            for attempt in range(5):
                sent = time.monotonic()
                sock.sendto(pkt, dest)
                end = sent + 1.0
                while time.monotonic() < end:
                    got += tail.new()
                    if any(c["method"] == method for c in got):
                        return sent, got, attempt
                    time.sleep(0.002)
                resent += 1
            raise AssertionError("no %s after 5 traps" % method)

        for i in range(outages):
            sent, got, attempt = until("host.disable", on)
            if attempt == 0:
                first.append((min(c["mono"] for c in got) - sent) * 1e3)
                disable.append((next(c["mono"] for c in got if c["method"]
                                     == "host.disable") - sent) * 1e3)
            until("host.enable", off)
        sock.close()
    finally:
        if storm:
            storm.terminate()
            storm.wait()
        if trapd:
            trapd.stop()
        if fake:
            fake.stop()
        work.remove()
    return first, disable, resent


def main():
    outages = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    base = int(sys.argv[3]) if len(sys.argv) > 3 else 16800
    first, disable, resent = run(outages, rate, base)
    label = "alone" if not rate else "storm of %d irrelevant traps/s" % rate
    print("trap -> XenAPI latency, %d outages, %s; %d traps sent again "
          "(lost)" % (outages, label, resent))
    for name, v in (("first XenAPI request", first),
                    ("host.disable", disable)):
        print("  %-21s p50 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms"
              % (name, pct(v, 50), pct(v, 99), max(v), statistics.mean(v)))
    record("latency_storm" if rate else "latency",
           {"outages": outages, "rate": rate, "resent": resent,
            "p50": pct(first, 50),
            "p99": pct(first, 99), "max": max(first)})


if __name__ == "__main__":
    main()
