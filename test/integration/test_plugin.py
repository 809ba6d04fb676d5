"""upsxen end to end: real snmptrapd with upsxen.so preloaded, real
snmptrap as the NMC, fakexapi as the pool (issue 5).

Usage: python3 test_plugin.py PORT_BASE [unittest args]"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

from harness import (CTL, PLUGIN, Fake, Trapd, Workdir, ber, policy, pool3,
                     send_udp, ups, v1_trap, v2_trap, v3_trap, wait_for)

BASE = int(sys.argv.pop(1)) if len(sys.argv) > 1 else 17000

PPC = "1.3.6.1.4.1.935"
PPC_ON_BATTERY, PPC_LOW_BATTERY, PPC_RESTORED = 5, 7, 9


def seed_hosts(m=0.3, s=1.0):
    return {
        "xenserver-1": {"powered_by": ["ups1"], "maintenance_after": m,
                        "shutdown_after": s},
        "xenserver-2": {"powered_by": ["ups2"], "maintenance_after": m,
                        "shutdown_after": s},
        "xenserver-3": {"powered_by": ["ups3"], "maintenance_after": m,
                        "shutdown_after": s},
    }


SEED_UPS = {"ups1": ups("127.0.0.11"), "ups2": ups("127.0.0.12"),
            "ups3": ups("127.0.0.13")}


def private_mounts():
    """Whether this process may give a child its own mounts (root, and a
    root filesystem that is a mount point: not so in a chroot)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"],
                          stderr=subprocess.DEVNULL).returncode == 0


def help_text(cmd, env):
    """A command's -H output (killed if it hangs in exit, see Trapd.stop)."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return out


class PluginTest(unittest.TestCase):
    offset = 0

    def setUp(self):
        PluginTest.offset += 10
        self.base = BASE + PluginTest.offset
        self.trapport = self.base + 9
        self.work = Workdir()
        self.fake = None
        self.trapd = None

    def tearDown(self):
        if self.trapd:
            self.trapd.stop()
        if self.fake:
            self.fake.stop()
        self.work.remove()

    def start(self, pool=None, hosts=None, ups_map=None, extra_conf="",
              **pool_extra):
        self.fake = Fake(self.work, pool or pool3(self.base))
        path = policy(self.work, self.base, hosts or seed_hosts(),
                      ups_map or SEED_UPS, **pool_extra)
        self.trapd = Trapd(self.work, self.trapport, path,
                           extra_conf=extra_conf)
        return path

    def order(self, methods):
        """(method, first arg) of each mutation, in call order."""
        return [(c["method"], c["args"][1] if len(c["args"]) > 1 else "")
                for c in self.fake.mutations() if c["method"] in methods]

    def assert_no_crash(self):
        self.assertEqual(self.fake.state()["crashed"], [])

    def status(self, state_dir):
        r = subprocess.run([CTL, "status",
                            "--state-dir", state_dir], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_seed1_outage_and_return(self):
        pool = pool3(self.base)
        pool["hosts"] = pool["hosts"][:2]
        pool["hosts"][0]["master"] = False
        pool["hosts"][1]["master"] = True     # xenserver-2 is master
        pool["vms"] = [{"name_label": "web", "resident_on": "xenserver-1"},
                       {"name_label": "db", "resident_on": "xenserver-1"}]
        hosts = seed_hosts()
        del hosts["xenserver-3"]
        self.start(pool, hosts)
        x1 = self.fake.ref("xenserver-1")
        v1_trap(self.trapport, "127.0.0.11", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("ups=ups1 event=on_battery")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-1 "
                            "result=ok")
        calls = self.fake.mutations()
        seen = [c["method"] for c in calls]
        self.assertEqual(seen[0], "host.disable")
        self.assertIn("Async.host.evacuate", seen)
        self.assertLess(seen.index("Async.host.evacuate"),
                        seen.index("host.shutdown"))
        # The shutdown comes shutdown_after - maintenance_after later.
        disable = next(c for c in calls if c["method"] == "host.disable")
        shutdown = next(c for c in calls if c["method"] == "host.shutdown")
        self.assertGreaterEqual(shutdown["t"] - disable["t"], 0.6)
        self.assertTrue(all(c["args"][1] == x1 for c in calls))
        self.assertEqual(self.fake.host("xenserver-1")["other_config"]
                         ["MAINTENANCE_MODE"], "true")
        self.assertFalse(self.fake.host("xenserver-1")["live"])
        self.assertEqual(sorted(self.fake.host("xenserver-2")["vms"]),
                         ["db", "web"])
        # What upsxenctl status reads while snmptrapd runs: the saved
        # state says it is down, and what was done last.
        state = os.path.join(self.work.path, "state")
        wait_for(lambda: "xenserver-1: down" in self.status(state),
                 what="status to show xenserver-1 down:\n" +
                 self.status(state))
        self.assertIn("last shutdown: ok", self.status(state))

        v1_trap(self.trapport, "127.0.0.11", PPC, PPC_RESTORED)
        self.fake.rpc.fake.power("xenserver-1", True)
        wait_for(lambda: self.fake.host("xenserver-1")["enabled"] and
                 "MAINTENANCE_MODE" not in
                 self.fake.host("xenserver-1")["other_config"],
                 what="xenserver-1 back out of maintenance")
        self.assertEqual(self.fake.host("xenserver-1")["vms"], [])
        self.assertTrue(self.fake.host("xenserver-2")["master"])
        self.assert_no_crash()

    def test_seed2_restored_during_evacuation(self):
        pool = pool3(self.base, per_vm_ms=400)
        self.start(pool)
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "reason")
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_RESTORED)
        self.trapd.wait_log("action=exit_maintenance pool=pool1 "
                            "host=xenserver-2 result=ok")
        log = self.trapd.log()
        self.assertLess(log.index("action=evacuate pool=pool1 "
                                  "host=xenserver-2 result=ok"),
                        log.index("action=exit_maintenance"))
        self.assertNotIn("host.shutdown",
                         [c["method"] for c in self.fake.mutations()])
        h = self.fake.host("xenserver-2")
        self.assertTrue(h["enabled"] and h["live"])
        self.assertNotIn("MAINTENANCE_MODE", h["other_config"])
        self.assertEqual(h["vms"], [])
        self.assert_no_crash()

    def test_seed3_two_hosts_one_after_another(self):
        # Time for both evacuations, one after the other, before the
        # hosts' stop budget (1.8 s).
        self.start(hosts=seed_hosts(s=2.0))
        x1, x2, x3 = (self.fake.ref("xenserver-%d" % i) for i in (1, 2, 3))
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        v1_trap(self.trapport, "127.0.0.13", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-3 "
                            "result=ok")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok")
        # Whether xenserver-2's VMs leave by host.evacuate or, with
        # xenserver-3 already at risk when it starts, by one
        # VM.pool_migrate each onto named targets depends on when the
        # second trap lands; both are right.
        moves = {"Async.host.evacuate", "Async.VM.pool_migrate"}
        order = self.order({"host.disable"} | moves)
        first_evac = [i for i, (m, _) in enumerate(order) if m in moves][0]
        self.assertLess(order.index(("host.disable", x2)), first_evac)
        self.assertLess(order.index(("host.disable", x3)), first_evac)
        # xenserver-3 evacuates only once xenserver-2's evacuation is done.
        log = self.trapd.log()
        self.assertLess(log.index("action=evacuate pool=pool1 "
                                  "host=xenserver-2 result=ok"),
                        log.index("action=evacuate pool=pool1 "
                                  "host=xenserver-3 reason"))
        # The master is never touched, only a migration target.
        self.assertFalse([c for c in self.fake.mutations()
                          if c["args"][1:2] == [x1]])
        self.assertEqual(sorted(self.fake.host("xenserver-1")["vms"]),
                         ["db", "mail", "web"])
        self.assert_no_crash()

        for addr in ("127.0.0.12", "127.0.0.13"):
            v1_trap(self.trapport, addr, PPC, PPC_RESTORED)
        self.fake.rpc.fake.power("xenserver-2", True)
        self.fake.rpc.fake.power("xenserver-3", True)
        for name in ("xenserver-2", "xenserver-3"):
            wait_for(lambda: "MAINTENANCE_MODE" not in
                     self.fake.host(name)["other_config"] and
                     self.fake.host(name)["enabled"],
                     what=name + " out of maintenance")
        self.assert_no_crash()

    def calls_at(self, method):
        """(monotonic time, first argument) of each call of method."""
        return [(c["mono"], c["args"][1] if len(c["args"]) > 1 else "")
                for c in self.fake.calls() if c["method"] == method]

    def test_slow_evacuations_keep_the_deadline(self):
        # Issue 17: two hosts with the same deadline (1.0 s) and
        # evacuations of 0.6 s per VM: xenserver-2's would end at 1.5 s,
        # xenserver-3's could only start then. Both stop what did not
        # move at stop_by (0.8 s) and power off on time.
        self.start(pool3(self.base, per_vm_ms=600))
        t0 = time.monotonic()
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        v1_trap(self.trapport, "127.0.0.13", PPC, PPC_ON_BATTERY)
        for name in ("xenserver-2", "xenserver-3"):
            self.trapd.wait_log("action=shutdown pool=pool1 host=%s "
                                "result=ok" % name)
        log = self.trapd.log()
        self.assertIn("host=xenserver-3 reason=no_time_left", log)
        self.assertTrue(self.calls_at("task.cancel") or
                        "host=xenserver-2 reason=no_time_left" in log)
        for when, ref in self.calls_at("host.shutdown"):
            # shutdown_after 1.0 s; a step and a look of slack.
            self.assertLess(when - t0, 1.0 + 0.5, ref)
        for name in ("xenserver-2", "xenserver-3"):
            self.assertEqual(self.fake.host(name)["vms"], [])
        self.assert_no_crash()

    def test_low_battery_acts_at_once(self):
        # Issue 17: low battery just after on battery, with the last
        # look at the pool fresh: no rate limit meant for flapping
        # cards delays the power-off (it took 5.6 s).
        hosts = {"xenserver-2": {"powered_by": ["ups2"],
                                 "maintenance_after": 30,
                                 "shutdown_after": 40}}
        self.start(hosts=hosts, ups_map={"ups2": ups("127.0.0.12",
                                                      warning=120)})
        self.trapd.wait_log("upsxen: started")
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in self.fake.calls()), what="first look")
        t0 = time.monotonic()
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        time.sleep(0.3)     # the card's own gap between the two traps
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_LOW_BATTERY)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok")
        (when, _), = self.calls_at("host.shutdown")
        self.assertLess(when - t0, 2.0)
        self.assertEqual(self.fake.host("xenserver-2")["vms"], [])
        self.assert_no_crash()

    def test_maintenance_after_zero_evacuates_at_once(self):
        # Issue 17: with maintenance_after 0, an outage that begins just
        # after a look at the pool (here the first, at start-up) does not
        # wait for the 5 s gap between outage looks.
        hosts = {"xenserver-2": {"powered_by": ["ups2"],
                                 "maintenance_after": 0,
                                 "shutdown_after": 20}}
        self.start(hosts=hosts)
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in self.fake.calls()), what="first look")
        t0 = time.monotonic()
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok")
        starts = [when for when, _ in self.calls_at("Async.host.evacuate")]
        starts += [when for when, _ in self.calls_at("Async.VM.pool_migrate")]
        self.assertLess(min(starts) - t0, 1.0)
        self.assert_no_crash()

    def test_no_vm_onto_a_host_on_battery(self):
        # Issue 17: xenserver-3 is on battery but due to leave later;
        # xenserver-2's VMs go to the master on good power, not to it,
        # and no VM moves twice (web and db went 2 -> 3 -> 1).
        hosts = seed_hosts(m=0.3, s=3.0)
        hosts["xenserver-3"]["maintenance_after"] = 1.5
        self.start(pool3(self.base, per_vm_ms=200), hosts=hosts)
        seen = {}
        done = threading.Event()

        def sample():
            while not done.is_set():
                for h in self.fake.state()["hosts"]:
                    for vm in h["vms"]:
                        seen.setdefault(vm, set()).add(h["name"])
                time.sleep(0.02)
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
            time.sleep(0.05)
            v1_trap(self.trapport, "127.0.0.13", PPC, PPC_ON_BATTERY)
            self.trapd.wait_log("action=evacuate pool=pool1 "
                                "host=xenserver-3 result=ok")
        finally:
            done.set()
            sampler.join()
        self.assertEqual(seen["web"], {"xenserver-2", "xenserver-1"})
        self.assertEqual(seen["db"], {"xenserver-2", "xenserver-1"})
        moves = [ref for _, ref in self.calls_at("Async.VM.pool_migrate")]
        self.assertEqual(len(moves), len(set(moves)), moves)
        self.assertEqual(sorted(self.fake.host("xenserver-1")["vms"]),
                         ["db", "mail", "web"])
        self.assert_no_crash()

    def family_case(self, send_on, send_off):
        hosts = {"xenserver-2": {"powered_by": ["ups2"],
                                 "maintenance_after": 0.05}}
        self.start(hosts=hosts)
        x2 = self.fake.ref("xenserver-2")
        send_on()
        wait_for(lambda: ("host.disable", x2) in self.order({"host.disable"}),
                 what="host.disable of xenserver-2")
        send_off()
        wait_for(lambda: self.fake.host("xenserver-2")["enabled"],
                 what="xenserver-2 enabled again")

    def test_v2c_rfc1628(self):
        p = self.trapport
        descr = "1.3.6.1.2.1.33.1.6.2.1.2.1"
        self.family_case(
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.2.1.33.2.1"),
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.2.1.33.2.4", descr,
                            "o", "1.3.6.1.2.1.33.1.6.3.2"))

    def test_v2c_rfc1628_alarm_added(self):
        p = self.trapport
        descr = "1.3.6.1.2.1.33.1.6.2.1.2.7"
        self.family_case(
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.2.1.33.2.3", descr,
                            "o", "1.3.6.1.2.1.33.1.6.3.2"),
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.2.1.33.2.4", descr,
                            "o", "1.3.6.1.2.1.33.1.6.3.2"))

    def test_low_battery_on_mains_is_not_an_outage(self):
        # RFC 1628: upsAlarmLowBattery is a runtime estimate, defined on
        # mains too (a worn battery). Alone it changes nothing; the next
        # outage of that UPS goes to the last stage at once.
        self.start()
        p = self.trapport
        descr = "1.3.6.1.2.1.33.1.6.2.1.2.7"
        x2, x3 = self.fake.ref("xenserver-2"), self.fake.ref("xenserver-3")
        v2_trap(p, "127.0.0.12", "1.3.6.1.2.1.33.2.3", descr, "o",
                "1.3.6.1.2.1.33.1.6.3.3")
        self.trapd.wait_log("ups=ups2 event=low_battery")
        # Something that does act, to know the first was handled.
        v1_trap(p, "127.0.0.13", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-3 "
                            "result=ok")
        self.assertNotIn(("host.disable", x2), self.order({"host.disable"}))
        self.assertIn("(battery low, on mains)",
                      self.status(os.path.join(self.work.path, "state")))
        v1_trap(p, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "reason=low_battery")
        self.assertIn(("host.disable", x3), self.order({"host.disable"}))

    @unittest.skipUnless(private_mounts(), "needs root and a private mount "
                         "namespace (not in a chroot) for its own "
                         "/etc/resolv.conf")
    def test_dead_resolver_does_not_delay(self):
        # Issue 18 D: snmptrapd resolves each sender's name unless told
        # not to (-n), and Debian's unit does not tell it; with a resolver
        # that never answers, every trap waited 5 s. upsxen tells it.
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind(("127.0.0.54", 53))        # takes queries, answers none
        self.addCleanup(dns.close)
        resolv = self.work.file("resolv.conf", "nameserver 127.0.0.54\n"
                                "options timeout:5 attempts:1\n")
        hosts = {"xenserver-2": {"powered_by": ["ups2"],
                                 "maintenance_after": 0,
                                 "shutdown_after": 20}}
        self.fake = Fake(self.work, pool3(self.base))
        path = policy(self.work, self.base, hosts, SEED_UPS)
        self.trapd = Trapd(self.work, self.trapport, path, wrapper=[
            "unshare", "-m", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && '
            'exec env LD_PRELOAD="$UPSXEN_PRELOAD" "$@"', resolv],
            preload_env="UPSXEN_PRELOAD")
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in self.fake.calls()), what="first look")
        # snmptrapd looks up the sender of a v2c trap as it logs it; the
        # next trap waits for that.
        t0 = time.monotonic()
        v2_trap(self.trapport, "127.0.0.13", PPC + ".0.9")
        v2_trap(self.trapport, "127.0.0.12", PPC + ".0.5")
        wait_for(lambda: self.calls_at("host.disable"), timeout=15,
                 what="host.disable")
        (when, _), = self.calls_at("host.disable")
        self.assertLess(when - t0, 1.0)

    def test_v3_traps_must_be_signed(self):
        # Issue 18 B: with "authUser log nmc noauth" snmptrapd lets an
        # unsigned trap carrying the user name through; only a signed
        # (here: signed and encrypted) one counts.
        ups_map = dict(SEED_UPS)
        ups_map["ups2"] = ups("127.0.0.12", v3_user="nmc",
                              v3_level="authPriv")
        self.start(ups_map=ups_map, extra_conf=(
            "createUser -e 0x80001f8804756e6974 nmc SHA authpass123 AES "
            "privpass123\ncreateUser nmc SHA authpass123 AES "
            "privpass123\nauthUser log nmc noauth\n"))
        p = self.trapport
        v3_trap(p, "127.0.0.12", PPC + ".0.5", level="noAuthNoPriv")
        self.trapd.wait_log("reason=\"SNMPv3 trap not signed and encrypted")
        # Signed but not encrypted (the refusal is logged once a minute
        # per source: the count below shows it did not count).
        v3_trap(p, "127.0.0.12", PPC + ".0.5", level="authNoPriv")
        # A wrong key: snmptrapd itself drops it.
        v3_trap(p, "127.0.0.12", PPC + ".0.5", auth="wrongpass12")
        v3_trap(p, "127.0.0.12", PPC + ".0.5")
        self.trapd.wait_log("ups=ups2 event=on_battery source=127.0.0.12")
        self.assertEqual(self.trapd.log().count("event=on_battery"), 1)
        # An inform (acknowledged by snmptrapd) counts as a trap does.
        v3_trap(p, "127.0.0.12", PPC + ".0.9", inform=True)
        self.trapd.wait_log("ups=ups2 event=power_restored "
                            "source=127.0.0.12")

    def test_v1_apc(self):
        p = self.trapport
        self.family_case(
            lambda: v1_trap(p, "127.0.0.12", "1.3.6.1.4.1.318", 5),
            lambda: v1_trap(p, "127.0.0.12", "1.3.6.1.4.1.318", 9))

    def test_v2c_eaton_xups(self):
        p = self.trapport
        self.family_case(
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.4.1.534.1.11.4.1.0.3"),
            lambda: v2_trap(p, "127.0.0.12", "1.3.6.1.4.1.534.1.11.4.1.0.5"))

    def test_untrusted_traps_change_nothing(self):
        ups_map = dict(SEED_UPS)
        ups_map["ups2"] = ups("127.0.0.12", community="public")
        self.start(ups_map=ups_map, extra_conf="authCommunity log other\n")
        p = self.trapport
        # Not a UPS of the policy, wrong community, unknown OID.
        v1_trap(p, "127.0.0.2", PPC, PPC_ON_BATTERY)
        v1_trap(p, "127.0.0.2", PPC, PPC_ON_BATTERY)
        v1_trap(p, "127.0.0.12", PPC, PPC_ON_BATTERY, community="other")
        v2_trap(p, "127.0.0.13", "1.3.6.1.4.1.99999.0.1")
        self.trapd.wait_log("source=127.0.0.2 oid=1.3.6.1.4.1.935.0.5 "
                            "reason=\"source is no UPS of the policy\"")
        self.trapd.wait_log("source=127.0.0.12 oid=1.3.6.1.4.1.935.0.5 "
                            "reason=\"wrong community\"")
        self.trapd.wait_log("source=127.0.0.13 oid=1.3.6.1.4.1.99999.0.1 "
                            "reason=\"not a power event\"")
        # Once per source per minute, never more.
        self.assertEqual(self.trapd.log().count("source=127.0.0.2 "), 1)
        self.assertTrue(self.trapd.alive())
        # A real trap afterwards proves the plugin was listening all along.
        v1_trap(p, "127.0.0.13", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-3 "
                            "result=ok")
        touched = {c["args"][1] for c in self.fake.mutations()}
        self.assertEqual(touched, {self.fake.ref("xenserver-3")})

    def test_malformed_pdus_are_ignored(self):
        self.start()
        p = self.trapport
        # Well-formed PDUs with nothing in them: a v2c trap with an empty
        # varbind list, a v1 trap with an empty enterprise. Then broken
        # BER and noise.
        empty_v2 = ber(0x30, ber(0x02, b"\x01") + ber(0x04, b"public") +
                       ber(0xa7, ber(0x02, b"\x07") + ber(0x02, b"\x00") +
                           ber(0x02, b"\x00") + ber(0x30, b"")))
        empty_v1 = ber(0x30, ber(0x02, b"\x00") + ber(0x04, b"public") +
                       ber(0xa4, ber(0x06, b"") + ber(0x40, b"\x7f\0\0\x0c") +
                           ber(0x02, b"\x06") + ber(0x02, b"\x05") +
                           ber(0x43, b"\x01") + ber(0x30, b"")))
        for payload in (empty_v2, empty_v1, empty_v2[:9], b"\x30\x82\xff",
                        os.urandom(64), b""):
            send_udp(p, payload, "127.0.0.12")
        v1_trap(p, "127.0.0.11", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("ups=ups1 event=on_battery")
        self.assertTrue(self.trapd.alive())
        self.assertNotIn("ups=ups2", self.trapd.log())

    def test_sighup_with_broken_policy_keeps_old(self):
        path = self.start()
        with open(path, "w") as f:
            f.write('{"ups": {,}')
        self.trapd.hup()
        self.trapd.wait_log("reload: %s is invalid: the previous policy "
                            "stays in force" % path)
        self.trapd.wait_log(path + ":1:10:")
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.assertTrue(self.trapd.alive())

    def test_sigterm_stops_fast_and_logs_out(self):
        self.start(call_timeout=12)
        self.fake.rpc.fake.delay("host.disable", 10000)
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "reason")
        # host.disable takes 10 s: SIGTERM must not wait for it.
        t0 = time.monotonic()
        self.trapd.proc.terminate()
        self.trapd.wait_log("upsxen: stopped")
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertEqual(self.trapd.stop(), 0)
        self.assertIn("upsxen: stopped: sessions logged out",
                      self.trapd.log())

    def test_logout_on_stop(self):
        self.start()
        wait_for(lambda: any(c["method"] == "session.login_with_password"
                             for c in self.fake.calls()), what="login")
        self.assertEqual(self.trapd.stop(), 0)
        self.assertIn("session.logout",
                      [c["method"] for c in self.fake.calls()])
        self.assertIn("upsxen: stopped: sessions logged out",
                      self.trapd.log())

    def test_invalid_policy_at_start(self):
        self.fake = Fake(self.work, pool3(self.base))
        path = self.work.file("policy.json", '{"ups": {"u": {"adress": 1}}}')
        self.trapd = Trapd(self.work, self.trapport, path,
                           expect="upsxen does nothing until it is fixed")
        self.assertIn('ups.u.adress: unknown key', self.trapd.log())
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.assertTrue(self.trapd.alive())
        self.assertEqual(self.trapd.stop(), 0)
        self.assertEqual(self.fake.calls(), [])

    def test_directive_in_help(self):
        preload = (os.environ.get("UPSXEN_TRAPD_PRELOAD", "") + " " +
                   PLUGIN).strip()
        env = dict(os.environ, LD_PRELOAD=preload,
                   SNMP_PERSISTENT_DIR=self.work.path)
        self.assertIn("upsxenPolicy", help_text(["snmptrapd", "-m", "", "-C",
                                                 "-H"], env))
        # Any other program ignores the library.
        self.assertNotIn("upsxenPolicy", help_text(["snmptrap", "-m", "",
                                                    "-H"], env))

    def test_sighup_mid_outage_applies_new_rules(self):
        path = self.start(hosts=seed_hosts(m=0.2, s=20))
        x2 = self.fake.ref("xenserver-2")
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace('"shutdown_after": 20',
                                 '"shutdown_after": 1.5'))
        self.trapd.hup()
        self.trapd.wait_log("upsxen: reloaded:")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok")
        order = self.order({"host.disable", "Async.host.evacuate",
                            "host.shutdown"})
        # Nothing was done twice; the outage went on from where it was.
        self.assertEqual([m for m, a in order if a == x2],
                         ["host.disable", "Async.host.evacuate",
                          "host.shutdown"])
        self.assert_no_crash()

    def test_no_policy_line_warns_once(self):
        self.fake = Fake(self.work, pool3(self.base))
        self.trapd = Trapd(self.work, self.trapport, None,
                           expect="no upsxenPolicy line")
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.assertTrue(self.trapd.alive())
        self.assertEqual(self.fake.calls(), [])

    def test_log_lines_cannot_be_forged(self):
        # Issue 19.5: a newline in a XenAPI Failure parameter made a
        # line of the pool's choosing, one that reads like upsxen's.
        self.start(hosts=seed_hosts(m=0.2, s=20))
        forged = ("upsxen: action=shutdown pool=pool1 host=xenserver-1 "
                  "result=ok")
        self.fake.rpc.fake.fail_next("host.disable", 1, "SR_FAILURE",
                                     "a\\x0a\tb\n" + forged)
        v1_trap(self.trapport, "127.0.0.12", PPC, PPC_ON_BATTERY)
        # Control bytes as \xNN, a backslash doubled: the sender's own
        # "\x0a" cannot pass for an escaped newline.
        self.trapd.wait_log('error="SR_FAILURE a\\\\x0a\\x09b\\x0a' +
                            forged + '"')
        lines = self.trapd.log().splitlines()
        self.assertEqual([x for x in lines if x.startswith(forged)], [])
        self.assertEqual([x for x in lines
                          if x.startswith("upsxen:") and "\t" in x], [])

    @staticmethod
    def forged_trap(trapoid, reqid, inform=False):
        """A v2c trap or inform (sysUpTime.0, snmpTrapOID.0)."""
        from harness import ber_oid
        vb = ber(0x30, ber(0x30, ber_oid("1.3.6.1.2.1.1.3.0") +
                           ber(0x43, b"\x01")) +
                 ber(0x30, ber_oid("1.3.6.1.6.3.1.1.4.1.0") +
                     ber_oid(trapoid)))
        pdu = ber(0xa6 if inform else 0xa7,
                  ber(0x02, reqid.to_bytes(4, "big")) + ber(0x02, b"\0") +
                  ber(0x02, b"\0") + vb)
        return ber(0x30, ber(0x02, b"\x01") + ber(0x04, b"public") + pdu)

    def storm(self, n, trapoid):
        """One trap from each of n forged loopback sources (127.1.x.y).
        Every 100th is an inform whose answer is awaited: snmptrapd
        takes datagrams in order, so none is lost to a full socket
        buffer and every one sent is one the plugin saw."""
        for i in range(n):
            src = "127.1.%d.%d" % (i // 250, i % 250 + 1)
            inform = i % 100 == 99 or i == n - 1
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.sendto(self.forged_trap(trapoid, i, inform),
                     ("127.0.0.1", self.trapport))
            if inform:
                s.settimeout(10)
                s.recvfrom(2048)
            s.close()

    def test_forged_sources_cost_a_burst_and_a_summary(self):
        # Issue 19.6: 20,000 forged sources gave 7,336 lines in a minute.
        n, burst = 20000, 20
        self.start(extra_conf="doNotLogTraps yes\n")
        self.storm(n, PPC + ".0.5")
        summary = self.trapd.wait_log("trap ignored: not logged in the "
                                      "last 60 s: count=", timeout=75)
        self.assertTrue(summary)
        log = self.trapd.log()
        logged = log.count("upsxen: trap ignored: source=")
        self.assertEqual(logged, burst)
        sums = [x for x in log.splitlines()
                if "trap ignored: not logged" in x]
        self.assertEqual(len(sums), 1, sums)
        self.assertIn('count=%d reason="source is no UPS of the policy" '
                      'last_source=127.1.' % (n - logged), sums[0])
        self.assertEqual(log.count("trap ignored"), burst + 1)
        self.assertEqual(self.fake.mutations(), [])
        self.assertTrue(self.trapd.alive())

    def test_info_line_does_not_mute_a_warning(self):
        # Issue 19.6: "not a power event" (INFO, hidden by Debian's -LOw)
        # muted the same source's wrong-community warning for a minute.
        ups_map = dict(SEED_UPS)
        ups_map["ups2"] = ups("127.0.0.12", community="public")
        self.fake = Fake(self.work, pool3(self.base))
        path = policy(self.work, self.base, seed_hosts(), ups_map)
        warnings = self.work.file("warnings.log", "")
        self.trapd = Trapd(self.work, self.trapport, path,
                           extra_conf="authCommunity log other\n",
                           options=("-LF", "w", warnings))
        p = self.trapport
        v2_trap(p, "127.0.0.12", "1.3.6.1.4.1.99999.0.1")
        self.trapd.wait_log('source=127.0.0.12 oid=1.3.6.1.4.1.99999.0.1 '
                            'reason="not a power event"')
        v1_trap(p, "127.0.0.12", PPC, PPC_ON_BATTERY, community="other")
        line = ('source=127.0.0.12 oid=1.3.6.1.4.1.935.0.5 '
                'reason="wrong community"')
        self.trapd.wait_log(line)
        with open(warnings) as f:
            text = f.read()
        self.assertIn(line, text)
        self.assertNotIn("not a power event", text)
        # Each (source, reason) once a window: the second is counted.
        v1_trap(p, "127.0.0.12", PPC, PPC_ON_BATTERY, community="other")
        v1_trap(p, "127.0.0.12", PPC, PPC_ON_BATTERY)
        self.trapd.wait_log("ups=ups2 event=on_battery")
        self.assertEqual(self.trapd.log().count(line), 1)
        # What was held back is told when the plugin stops, not lost.
        self.trapd.proc.terminate()
        self.trapd.wait_log("upsxen: stopped")
        self.assertRegex(self.trapd.log(),
                         r'trap ignored: not logged in the last \d+ s: '
                         r'count=1 reason="wrong community" '
                         r'last_source=127\.0\.0\.12\n(.*\n)*.*upsxen: stopped')


if __name__ == "__main__":
    unittest.main(verbosity=2)
