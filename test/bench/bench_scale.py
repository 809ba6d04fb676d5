"""bench_scale: every UPS fails at once, for one pool of 25 hosts and for
200 pools of 25 (5,000 hosts, 200 fakexapi processes); the time from the
first trap to the last evacuation started, and its ratio (pools must not
wait for each other). The same runs count XenAPI calls per host through
maintenance and shutdown and logins per pool, and measure snmptrapd's
memory with upsxen against bare snmptrapd. Prints numbers; asserts
nothing.

  python3 bench_scale.py [POOLS] [PORT]

Hosts carry no VMs: every host of a pool is on a failing UPS, so there is
nowhere to move VMs to; what is timed is upsxen's pacing of disables,
evacuations (one per pool at a time; fakexapi takes 0.5 s over each, as
xapi does over an empty host) and shutdowns. SHUTDOWN_AFTER leaves room
for the 24 evacuations of a pool."""

import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from benchlib import ON, Pools, blast, record, rss_kib  # noqa: E402
from harness import Trapd, Workdir, wait_for  # noqa: E402

PER = 25
UPS = 1000
# Long enough for every evacuation, on this rig, before the stop budget
# (STOP_BUDGET before the power-off) would cut it: what is measured is
# the evacuations, not the stops that replace them.
SHUTDOWN_AFTER = 90
STOP_BUDGET = 5


def outage(pools, port):
    work = Workdir()
    fake = trapd = None
    try:
        fake = Pools(work, pools, pools * PER, UPS, port, maint=0,
                     shut=SHUTDOWN_AFTER, budget=STOP_BUDGET)
        # A whole site's cards report within milliseconds: the socket
        # buffer must hold the burst (README, "A site-wide outage").
        trapd = Trapd(work, port - 1, fake.policy, options=["-n"],
                      extra_conf="doNotRetainNotificationLogs yes\n"
                      "[snmp] serverRecvBuf 4194304\n", start_timeout=60)
        wait_for(lambda: all(any(c["method"] == "VM.get_all_records"
                                 for c in p) for p in fake.calls()), 60,
                 "every pool's first facts")
        # Idle: the plugin hands memory back after 5 to 10 s of quiet.
        time.sleep(11)
        rss_idle = rss_kib(trapd.proc.pid)
        t0 = time.monotonic()
        blast(port - 1, 20000, n=UPS, ups=UPS, oids=(ON,))

        def shut(p):
            return sum(c["method"] == "host.shutdown" and
                       c["status"] == "Success" for c in p)
        wait_for(lambda: all(shut(p) == PER for p in fake.calls()),
                 SHUTDOWN_AFTER + 60, "every host shut down")
        calls = fake.calls()
        rss_peak = rss_kib(trapd.proc.pid, "VmHWM")
        received = trapd.log().count("event=on_battery")
    finally:
        if trapd:
            trapd.stop()
        if fake:
            fake.stop()
        work.remove()
    evac = [c["mono"] for p in calls for c in p
            if c["method"] == "Async.host.evacuate" and c["mono"] >= t0]
    during = [c for p in calls for c in p if c["mono"] >= t0]
    methods = collections.Counter(c["method"] for c in during)
    logins = [sum(c["method"] == "session.login_with_password" for c in p)
              for p in calls]
    return {"pools": pools, "hosts": pools * PER,
            "last_evacuation_s": max(evac) - t0 if evac else None,
            "evacuations": len(evac),
            "calls_per_host": len(during) / (pools * PER),
            "methods_per_host": {m: n / (pools * PER)
                                 for m, n in methods.items()},
            "logins_per_pool_max": max(logins), "traps_logged": received,
            "rss_idle_kib": rss_idle, "rss_peak_kib": rss_peak}


def bare_rss(port):
    work = Workdir()
    try:
        trapd = Trapd(work, port, None, preload=False, expect=None,
                      options=["-n"],
                      extra_conf="doNotRetainNotificationLogs yes\n")
        wait_for(lambda: os.path.exists(trapd.logpath) and
                 "NET-SNMP version" in trapd.log(), 10, "bare snmptrapd")
        kib = rss_kib(trapd.proc.pid)
        trapd.stop()
    finally:
        work.remove()
    return kib


def main():
    pools = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    one = outage(1, port)
    many = outage(pools, port)
    bare = bare_rss(port - 2)
    ratio = many["last_evacuation_s"] / one["last_evacuation_s"]
    print("scale: every UPS fails; first trap -> last evacuation started")
    for r in (one, many):
        print("  %3d pool(s), %4d hosts: %.2f s (%d evacuations)"
              % (r["pools"], r["hosts"], r["last_evacuation_s"],
                 r["evacuations"]))
    print("  ratio %.2f (goal < 1.5)" % ratio)
    print("XenAPI efficiency, %d hosts through maintenance and shutdown:"
          % many["hosts"])
    print("  %.2f calls per host; logins per pool per outage: %d"
          % (many["calls_per_host"], many["logins_per_pool_max"]))
    for m, n in sorted(many["methods_per_host"].items(),
                       key=lambda x: -x[1]):
        print("    %-32s %.2f per host" % (m, n))
    print("memory: bare snmptrapd %.1f MiB; with upsxen and %d hosts: "
          "%.1f MiB idle (+%.1f), peak %.1f MiB (+%.1f) (goal < 32 MiB)"
          % (bare / 1024, many["hosts"], many["rss_idle_kib"] / 1024,
             (many["rss_idle_kib"] - bare) / 1024,
             many["rss_peak_kib"] / 1024,
             (many["rss_peak_kib"] - bare) / 1024))
    record("scale", {"one": one, "many": many, "ratio": ratio,
                     "bare_rss_kib": bare})


if __name__ == "__main__":
    main()
