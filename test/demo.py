"""The demo: seed example 3 played end to end with real parts.

fakexapi serves a three-host pool (xenserver-1 master, VMs on 2 and 3),
snmptrapd runs with upsxen.so preloaded, and snmptrap plays the Winpower
cards of ups2 and ups3. Delays are scaled to seconds. Exit status 0 only
if no VM crashed, the master was never touched, and both hosts came back
out of maintenance."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
from harness import (Fake, Trapd, Workdir, policy, pool3, ups,  # noqa: E402
                     v1_trap, wait_for)

BASE = int(os.environ.get("UPSXEN_DEMO_PORT", "16900"))
PPC = "1.3.6.1.4.1.935"
T0 = time.monotonic()


def say(who, text):
    print("%7.2f s  %-10s %s" % (time.monotonic() - T0, who, text),
          flush=True)


def follow(trapd, stop):
    """Print upsxen's log lines as snmptrapd writes them."""
    seen = 0
    while not stop.is_set():
        lines = trapd.log().splitlines()
        for line in lines[seen:]:
            if line.startswith("upsxen: "):
                say("upsxen", line[len("upsxen: "):])
        seen = len(lines)
        time.sleep(0.02)


def pool_line(fake):
    parts = []
    for h in fake.state()["hosts"]:
        flags = ("live" if h["live"] else "OFF") + \
            ("" if h["enabled"] else ",disabled") + \
            (",master" if h["master"] else "") + \
            (",MAINTENANCE" if "MAINTENANCE_MODE" in h["other_config"]
             else "")
        parts.append("%s[%s] vms=%s" % (h["name"], flags,
                                        ",".join(h["vms"]) or "-"))
    return "; ".join(parts)


def main():
    work = Workdir()
    fake = trapd = None
    stop = threading.Event()
    ok = False
    try:
        pool = pool3(BASE, per_vm_ms=400, boot_ms=1500)
        # How each host can be woken (XenCenter: Properties, Power On).
        for h, mode in zip(pool["hosts"], ("IPMI", "wake-on-lan", "IPMI")):
            h["power_on_mode"] = mode
        fake = Fake(work, pool)
        hosts = {name: {"powered_by": [u], "maintenance_after": 2,
                        "shutdown_after": 6}
                 for name, u in (("xenserver-1", "ups1"),
                                 ("xenserver-2", "ups2"),
                                 ("xenserver-3", "ups3"))}
        path = policy(work, BASE, hosts,
                      {"ups1": ups("127.0.0.11", 10),
                       "ups2": ups("127.0.0.12", 10),
                       "ups3": ups("127.0.0.13", 10)},
                      halt_time=2, stop_budget=1, power_on_after=1)
        say("pool", pool_line(fake))
        say("policy", "maintenance after 2 s, shutdown after 6 s, "
            "stop budget 1 s, halt time 2 s, warning period 10 s, "
            "power on after 1 s of mains (seed example 3's timers, 60 s "
            "and 120 s, scaled)")
        trapd = Trapd(work, BASE + 9, path)
        threading.Thread(target=follow, args=(trapd, stop),
                         daemon=True).start()
        time.sleep(0.3)

        say("NMC", "ups2 and ups3 lose mains: on-battery traps")
        v1_trap(BASE + 9, "127.0.0.12", PPC, 5)
        v1_trap(BASE + 9, "127.0.0.13", PPC, 5)
        for name in ("xenserver-2", "xenserver-3"):
            trapd.wait_log("action=shutdown pool=pool1 host=%s result=ok"
                           % name, timeout=30)
        time.sleep(0.2)
        say("pool", pool_line(fake))

        say("NMC", "mains is back before the UPSes cut their output: "
            "power-restored traps; the hosts never lost AC, so nothing "
            "but upsxen (host.power_on) starts them")
        v1_trap(BASE + 9, "127.0.0.12", PPC, 9)
        v1_trap(BASE + 9, "127.0.0.13", PPC, 9)
        for name in ("xenserver-2", "xenserver-3"):
            wait_for(lambda: fake.host(name)["enabled"] and
                     "MAINTENANCE_MODE" not in
                     fake.host(name)["other_config"], 30,
                     name + " back out of maintenance")
        time.sleep(0.2)
        say("pool", pool_line(fake))

        state = fake.state()
        master = fake.ref("xenserver-1")
        # Only a migration target: nothing is done to the master itself.
        touched = [c for c in fake.mutations() if c["args"][1:2] == [master]]
        ok = not state["crashed"] and not touched
        say("result", "VMs crashed: %d, calls on the master: %d, "
            "XenAPI logins: %d" % (len(state["crashed"]), len(touched),
                                   state["logins"]))
    except Exception as e:          # a failed demo says why, then cleans up
        say("error", str(e))
    finally:
        stop.set()
        if trapd:
            trapd.stop()
        if fake:
            fake.stop()
        work.remove()
    say("demo", "outcome is right" if ok else "OUTCOME IS WRONG")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
