"""Fault injection (issue 6): crashes, dying masters, lost sessions, full
pools, busy hosts, a hanging pool, flapping power. Each scenario asserts
the end state: no VM crashed, each host where it should be, no duplicate
evacuation or shutdown.

Usage: python3 test_faults.py PORT_BASE [unittest args]"""

import json
import os
import re
import signal
import socket
import sys
import time
import unittest

from harness import (UPS3, Card, Fake, PoolCase, Trapd, Workdir, hosts3,
                     policy, pool3, ups, v1_trap, v2_trap_bytes, wait_for)

BASE = int(sys.argv.pop(1)) if len(sys.argv) > 1 else 18000
PPC = "1.3.6.1.4.1.935"
ON, OFF = 5, 9


class FaultTest(PoolCase):
    base_port = BASE

    def test_1_kill9_mid_evacuation(self):
        self.start(pool3(self.base, per_vm_ms=500), hosts=hosts3(s=3.0))
        t_on = time.monotonic()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "reason")
        wait_for(lambda: self.calls_of("Async.host.evacuate",
                                       "xenserver-2"), what="evacuation")
        self.trapd.proc.send_signal(signal.SIGKILL)
        self.trapd.proc.wait(5)
        self.trapd = Trapd(self.work, self.port, self.policy)
        self.trapd.wait_log("state restored: hosts=1")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        # The evacuation that was running was followed, not repeated.
        self.assertEqual(len(self.calls_of("Async.host.evacuate",
                                           "xenserver-2")), 1)
        self.assertEqual(self.count("host.disable", "xenserver-2"), 1)
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 1)
        # At the original deadline: 3 s after the trap, not after the
        # restart.
        shutdown = self.calls_of("host.shutdown", "xenserver-2")[0]
        self.assertLess(abs(shutdown["mono"] - t_on - 3.0), 0.5)
        self.assertEqual(self.f.host("xenserver-2")["vms"], [])
        self.assertFalse(self.f.host("xenserver-2")["live"])
        self.assert_no_crash()

    def test_2_master_stops_answering(self):
        self.start(call_timeout=1)
        # The master hangs; HA promotes xenserver-3.
        self.f.rpc.fake.hang("xenserver-1", True)
        self.f.rpc.fake.set_master("xenserver-3")
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        disable = [c for c in self.calls_of("host.disable", "xenserver-2")
                   if c["status"] == "Success"]
        self.assertEqual(disable[0]["member"], "xenserver-3")
        self.assertIn("now talking to http://127.0.0.3:%d/" %
                      (self.base + 1), self.trapd.log())
        self.assertEqual(self.count("Async.host.evacuate", "xenserver-2"), 1)
        self.f.rpc.fake.hang("xenserver-1", False)
        self.assert_no_crash()

    def test_2c_master_moved_just_before_power_off(self):
        # HA makes xenserver-2 master after upsxen's last look, between
        # the worker's VM check and its power-off: the worker's look at
        # the pool refuses it; the role is handed on, then it goes.
        self.start(hosts=hosts3(s=2.5))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.f.rpc.fake.set_master_after("VM.get_all_records_where",
                                         "xenserver-2")
        self.trapd.wait_log("the host became the pool's master")
        self.assertRegex(self.trapd.log(), "action=shutdown pool=pool1 "
                         "host=xenserver-2 result=stale ms=[0-9.]+ "
                         "error=\"the host became the pool's master\"")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        shutdowns = self.calls_of("host.shutdown", "xenserver-2")
        self.assertEqual(len(shutdowns), 1)
        handover = [c for c in self.f.calls()
                    if c["method"] == "pool.designate_new_master" and
                    c["status"] == "Success"]
        self.assertEqual(len(handover), 1)
        self.assertLess(handover[0]["mono"], shutdowns[0]["mono"])
        self.assertFalse(self.f.host("xenserver-2")["live"])
        self.assertFalse(self.f.host("xenserver-2")["master"])
        self.assert_no_crash()

    def test_2b_host_is_slave_redirect(self):
        # The policy names a member, not the master: redirected at login.
        self.f = self.fake(pool3(self.base))
        path = policy(self.work, self.base, hosts3(), UPS3)
        with open(path) as fp:
            text = fp.read().replace("http://127.0.0.1:", "http://127.0.0.2:")
        with open(path, "w") as fp:
            fp.write(text)
        self.trapd = Trapd(self.work, self.port, path)
        v1_trap(self.port, "127.0.0.13", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-3 "
                            "result=ok")
        logins = [c for c in self.f.calls()
                  if c["method"] == "session.login_with_password"]
        # The master's bare address: the client keeps its own port.
        self.assertEqual(logins[0]["error"], ["HOST_IS_SLAVE", "127.0.0.1"])
        self.assertEqual(logins[-1]["member"], "xenserver-1")

    def test_3_session_invalidated_mid_outage(self):
        self.start()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.f.rpc.fake.invalidate_sessions()
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        self.assertEqual(self.f.state()["logins"], 2)
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 1)
        self.assert_no_crash()

    def test_4_blocked_evacuation(self):
        pool = pool3(self.base, vms=[
            {"name_label": "gpu", "resident_on": "xenserver-2", "pci": True},
            {"name_label": "huge", "resident_on": "xenserver-2",
             "memory_mib": 60000},
            {"name_label": "web", "resident_on": "xenserver-2"},
        ])
        for h in pool["hosts"]:
            h["memory_mib"] = 65536
        pool["hosts"][1]["memory_mib"] = 131072
        self.start(pool, hosts=hosts3(m=0.2, s=3.0),
                   vm_shutdown_timeout=2)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        self.assertIn("result=blocked", self.trapd.log())
        st = {v["name"]: v for v in self.f.state()["vms"]}
        self.assertEqual(st["gpu"]["power_state"], "Halted")
        self.assertEqual(st["web"]["resident_on"] in ("xenserver-1",
                                                      "xenserver-3"), True)
        self.assertEqual(st["web"]["power_state"], "Running")
        self.assertFalse(st["gpu"]["crashed"] or st["huge"]["crashed"])
        self.assert_no_crash()

    def test_5_busy_twice_then_success(self):
        # A schedule long enough for the whole backoff: a retry never
        # waits past the host's stop budget.
        self.start(hosts=hosts3(s=6.0))
        self.f.rpc.fake.fail_next("host.disable", 2,
                                  "OTHER_OPERATION_IN_PROGRESS", "host")
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        tries = self.calls_of("host.disable", "xenserver-2")
        self.assertEqual([c["status"] for c in tries],
                         ["Failure", "Failure", "Success"])
        # Backoff: 1 s, then 2 s.
        self.assertGreaterEqual(tries[1]["mono"] - tries[0]["mono"], 0.95)
        self.assertGreaterEqual(tries[2]["mono"] - tries[1]["mono"], 1.95)

    def test_6_hanging_pool_does_not_delay_another(self):
        pa = pool3(self.base)
        pb = pool3(self.base + 10)
        for h in pb["hosts"]:
            h["name_label"] = h["name_label"].replace("xenserver", "xs-b")
        for v in pb["vms"]:
            v["resident_on"] = v["resident_on"].replace("xenserver", "xs-b")
        self.f = self.fake(pa)
        fb = self.fake(pb)
        path = policy(self.work, self.base, hosts3(s=4.0), UPS3,
                      call_timeout=1)
        import json
        with open(path) as fp:
            pol = json.load(fp)
        pol["pools"]["pool2"] = dict(pol["pools"]["pool1"])
        pol["pools"]["pool2"]["url"] = "http://127.0.0.1:%d" % (self.base + 11)
        pol["pools"]["pool2"]["hosts"] = {
            "xs-b-2": {"powered_by": ["ups2"], "maintenance_after": 0.3,
                       "shutdown_after": 4.0}}
        with open(path, "w") as fp:
            json.dump(pol, fp)
        self.trapd = Trapd(self.work, self.port, path)
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in fb.calls()), what="pool2 facts")
        self.f.rpc.fake.hang("xenserver-1", True)
        t_on = time.monotonic()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        wait_for(lambda: self.calls_of("host.disable", "xs-b-2", fb),
                 what="pool2's disable")
        first = self.calls_of("host.disable", "xs-b-2", fb)[0]
        self.assertLess(first["mono"] - t_on, 0.3 + 0.2)
        # Pool1's calls time out and are retried (a refresh may be the
        # first to fail)...
        wait_for(lambda: "pool=pool1 host=" in self.trapd.log() and
                 "result=transient" in self.trapd.log(), 10,
                 "a transient failure in pool1")
        self.f.rpc.fake.hang("xenserver-1", False)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)

    def polled_ups(self, poll_interval, confirm=True):
        u = dict(UPS3)
        u["ups2"] = ups("127.0.0.12", confirm=confirm, snmp={
            "version": "2c", "community": "public",
            "port": self.base + 18, "poll_interval": poll_interval})
        return u

    def test_7_lost_traps_recovered_by_polling(self):
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        self.start(ups_map=self.polled_ups(0.3), hosts=hosts3(m=0.2, s=5))
        # Mains fails; the on-battery trap is lost.
        card.set(Card.BATTERY)
        self.trapd.wait_log("ups=ups2 event=on_battery source=poll",
                            timeout=3)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok")
        # Mains returns; that trap is lost too.
        card.set(Card.NORMAL)
        self.trapd.wait_log("ups=ups2 event=power_restored source=poll",
                            timeout=3)
        wait_for(lambda: self.f.host("xenserver-2")["enabled"] and
                 "MAINTENANCE_MODE" not in
                 self.f.host("xenserver-2")["other_config"],
                 what="xenserver-2 out of maintenance")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)

    def test_9b_trap_contradicted_by_the_card(self):
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        # Polls are rare: only the confirmation can catch the lie.
        self.start(ups_map=self.polled_ups(3600), hosts=hosts3(m=0.2, s=1))
        v1_trap(self.port, "127.0.0.12", PPC, ON)    # right address, lie
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked")
        self.trapd.wait_log("ups=ups2 event=power_restored source=confirm")
        wait_for(lambda: self.f.host("xenserver-2")["enabled"],
                 what="xenserver-2 back out of maintenance")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)
        self.assertTrue(self.f.host("xenserver-2")["live"])

    def v3_ups(self, auth=Card.V3_AUTH, mode=0o600):
        u = dict(UPS3)
        u["ups2"] = ups("127.0.0.12", confirm=True, snmp={
            "version": "3", "user": Card.V3_USER, "auth_protocol": "SHA",
            "auth_password_file": self.work.file("auth.key", auth + "\n",
                                                 mode),
            "priv_protocol": "AES",
            "priv_password_file": self.work.file("priv.key",
                                                 Card.V3_PRIV + "\n", 0o600),
            "port": self.base + 18, "poll_interval": 3600})
        return u

    def test_9c_v3_card_contradicts_a_forged_trap(self):
        # Issue 18 B: the v3 session never opened (the auth protocol's
        # length was read before it was set), so the confirmation found
        # no card and a forged trap powered the host off.
        card = Card(self.work, "127.0.0.12", self.base + 18, v3=True)
        self.addCleanup(card.stop)
        self.start(ups_map=self.v3_ups(), hosts=hosts3(m=0.2, s=1))
        # Polled over SNMPv3: the first poll finds it online.
        self.trapd.wait_log("ups=ups2 event=power_restored source=poll")
        v1_trap(self.port, "127.0.0.12", PPC, ON)    # right address, lie
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked reason=\"a card says online")
        self.trapd.wait_log("ups=ups2 event=power_restored source=confirm")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)
        self.assertNotIn("not polled", self.trapd.log())

    def test_9d_v3_card_with_a_wrong_key_blocks(self):
        # The card answers, but not to our key: it is not "unreachable",
        # and what cannot be checked does not power a host off.
        card = Card(self.work, "127.0.0.12", self.base + 18, v3=True)
        self.addCleanup(card.stop)
        self.start(ups_map=self.v3_ups(auth="wrongpass12"),
                   hosts=hosts3(m=0.2, s=1))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("ups=ups2 card refuses our SNMPv3 credentials")
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)

    def test_9e_v3_key_readable_by_anyone_is_refused(self):
        # The loader refuses it (issue 19: a refusal is an error), at
        # start and on a reload, which then keeps the card being asked.
        card = Card(self.work, "127.0.0.12", self.base + 18, v3=True)
        self.addCleanup(card.stop)
        self.start(ups_map=self.v3_ups(), hosts=hosts3(m=0.2, s=1))
        self.trapd.wait_log("ups=ups2 event=power_restored source=poll")
        key = os.path.join(self.work.path, "auth.key")
        os.chmod(key, 0o644)
        self.trapd.hup()
        self.trapd.wait_log("policy error: ups.ups2.snmp.auth_password_file: "
                            "%s is world-readable" % key)
        self.trapd.wait_log("the previous policy stays in force")
        v1_trap(self.port, "127.0.0.12", PPC, ON)    # right address, lie
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked reason=\"a card says online")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)
        # And a start with it does nothing, saying why.
        self.trapd.stop()
        self.trapd = Trapd(self.work, self.port, self.policy,
                           expect="is world-readable")
        self.assertNotIn("upsxen: started", self.trapd.log())

    def test_9f_card_answering_an_unknown_value_blocks(self):
        # Issue 18 B: only silence is "unreachable". A card that answers
        # with a value that is neither online nor on battery (RFC 1628
        # none(2), here) does not let a trap power the host off.
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        card.set(2)
        self.start(ups_map=self.polled_ups(3600), hosts=hosts3(m=0.2, s=1))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked reason=\"a card answered "
                            "without saying it is on battery")
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)
        # The card says on battery: the power-off goes ahead.
        card.set(Card.BATTERY)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=20)
        self.assert_no_crash()

    def test_9g_no_vm_stopped_on_a_forged_low_battery(self):
        # Issue 18 A: the confirmation guarded only the power-off; one
        # forged low-battery trap still shut down a VM that could not
        # move. The card's own answer now comes before the first stop.
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        pool = pool3(self.base, vms=[
            {"name_label": "web", "resident_on": "xenserver-2"},
            {"name_label": "db", "resident_on": "xenserver-2",
             "local_storage": True}])
        self.start(pool, ups_map=self.polled_ups(3600),
                   hosts=hosts3(m=0.2, s=1))
        # On mains a low battery alone starts nothing: both are forged.
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        v1_trap(self.port, "127.0.0.12", PPC, 7)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=blocked")
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=blocked")
        wait_for(lambda: self.f.host("xenserver-2")["enabled"],
                 what="xenserver-2 back at work")
        stops = [c for c in self.f.calls()
                 if c["method"].endswith("VM.clean_shutdown") or
                 c["method"].endswith("VM.hard_shutdown")]
        self.assertEqual(stops, [])
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 0)
        vms = {v["name"]: v for v in self.f.state()["vms"]}
        self.assertEqual(vms["db"]["power_state"], "Running")

    def test_9h_forged_restores_do_not_hold_protection_off(self):
        # Issue 18 A: with the card really on battery, one forged restore
        # per poll interval restarted the timers: nothing happened for
        # 30 s. A restore now ends an outage of a polled UPS only when
        # its card says online.
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        card.set(Card.BATTERY)
        self.start(ups_map=self.polled_ups(1.0), hosts=hosts3(m=0.2, s=2))
        self.trapd.wait_log("ups=ups2 event=on_battery source=poll")
        t0 = time.monotonic()
        while not self.count("host.shutdown", "xenserver-2") and \
                time.monotonic() - t0 < 10:
            v1_trap(self.port, "127.0.0.12", PPC, 9)    # forged restore
            time.sleep(0.3)
        self.assertEqual(self.count("host.shutdown", "xenserver-2"), 1)
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertIn("event=power_restored result=ignored reason=\"its "
                      "card says on battery", self.trapd.log())
        self.assert_no_crash()
        # A real return: the card says online, the restore counts.
        card.set(Card.NORMAL)
        v1_trap(self.port, "127.0.0.12", PPC, 9)
        self.trapd.wait_log("ups=ups2 event=power_restored source=")

    def test_9i_the_cards_time_on_battery_dates_the_outage(self):
        # Issue 18 A: where the MIB gives the time on battery, the
        # outage counts from then, not from when a packet said so: the
        # trap was lost, and the card has been on battery for 20 s.
        card = Card(self.work, "127.0.0.12", self.base + 18)
        self.addCleanup(card.stop)
        self.start(ups_map=self.polled_ups(0.3), hosts=hosts3(m=10, s=20))
        card.set(20, Card.SECONDS_ON_BATTERY)
        card.set(Card.BATTERY)
        t0 = time.monotonic()
        self.trapd.wait_log("ups=ups2 event=on_battery source=poll")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        # Timers from the first poll would have waited 20 s.
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assert_no_crash()

    def test_confirm_with_card_unreachable_proceeds(self):
        # No snmpd: the card is on the failing power and does not answer.
        self.start(ups_map=self.polled_ups(3600), hosts=hosts3(m=0.2, s=1))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=confirm_on_battery host=xenserver-2 "
                            "result=ok reason=\"1 card(s) unreachable")
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.assert_no_crash()

    def test_8_flapping_power(self):
        self.start(hosts=hosts3(m=0.5, s=2.0))
        pid = self.trapd.proc.pid
        threads = len(os.listdir("/proc/%d/task" % pid))
        fds = len(os.listdir("/proc/%d/fd" % pid))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.12", 0))
        on = v2_trap_bytes(PPC + ".0.5")
        off = v2_trap_bytes(PPC + ".0.9")
        end = time.monotonic() + 10
        flaps = 0
        # Input pacing, not a wait: 50 flaps over 10 s, 0.1 s on battery.
        while flaps < 50 and time.monotonic() < end + 1:
            s.sendto(on, ("127.0.0.1", self.port))
            time.sleep(0.1)
            s.sendto(off, ("127.0.0.1", self.port))
            time.sleep(0.1)
            flaps += 1
        s.close()
        # Every event reaches the engine; the log keeps a burst per 10 s
        # window and counts the rest in one line that ends on the state
        # the flapping left.
        held = re.compile(r"ups=ups2 events_not_logged=(\d+) window_s=10 "
                          r"power=(\w+)")

        def told():
            log = self.trapd.log()
            return log.count("ups=ups2 event=") + sum(
                int(n) for n, _ in held.findall(log))

        wait_for(lambda: told() == 2 * flaps, 25,
                 "100 events logged or counted:\n" + self.trapd.tail())
        log = self.trapd.log()
        self.assertLessEqual(log.count("ups=ups2 event="), 3 * 10)
        last = [l for l in log.splitlines() if "ups=ups2 " in l][-1]
        self.assertTrue("event=power_restored" in last or
                        "power=online" in last, last)
        self.assertEqual(self.f.mutations(), [])
        self.assertEqual(len(os.listdir("/proc/%d/task" % pid)), threads)
        self.assertEqual(len(os.listdir("/proc/%d/fd" % pid)), fds)

    def test_9_spoofed_trap(self):
        self.start()
        v1_trap(self.port, "127.0.0.99", PPC, ON)
        self.trapd.wait_log("source=127.0.0.99")
        time_limit = time.monotonic() + 2.5   # past every timer
        wait_for(lambda: time.monotonic() > time_limit, 5, "timers")
        self.assertEqual(self.f.mutations(), [])

    def test_state_dir_unwritable(self):
        blocker = self.work.file("state", "not a directory")
        self.assertTrue(os.path.exists(blocker))
        self.start()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("state not saved: state_dir %s is not a "
                            "directory" % blocker)
        # It still protects the pool from memory.
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        self.assert_no_crash()

    # Issue 19, the state directory: whoever can write it can make
    # upsxen act, so what it finds there is checked before it is used.

    def plant_state(self, ups_state, hosts=None, saved=None, mode=0o750,
                    name="state"):
        d = os.path.join(self.work.path, name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, mode)
        st = {"version": 1, "saved": time.time() if saved is None else saved,
              "ups": ups_state, "hosts": hosts or {}}
        with open(os.path.join(d, "state.json"), "w") as fp:
            json.dump(st, fp)
        return d

    def low_battery_now(self):
        t = time.time() - 1
        return {"ups2": {"power": "low_battery", "since": t, "low_since": t,
                         "imminent": False, "comms_lost": False}}

    def past_every_timer(self):
        until = time.monotonic() + 2.5
        wait_for(lambda: time.monotonic() > until, 5, "timers")

    def test_state_dir_writable_by_group_is_refused(self):
        d = self.plant_state(self.low_battery_now(), mode=0o770)
        self.start()
        self.trapd.wait_log("state unreadable: state_dir %s is writable by "
                            "its group (mode 770): refused" % d)
        self.past_every_timer()
        self.assertEqual(self.f.mutations(), [])
        # Saves are refused too, and said so; the pool is still protected.
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("state not saved: state_dir %s is writable by "
                            "its group" % d)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")

    def test_state_dir_owned_by_another_user_is_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to give the directory away")
        d = self.plant_state(self.low_battery_now())
        os.chown(d, 65534, 65534)
        self.start()
        self.trapd.wait_log("state_dir %s is owned by uid 65534, not by the "
                            "uid snmptrapd runs as (0): refused" % d)
        self.past_every_timer()
        self.assertEqual(self.f.mutations(), [])

    def test_state_dir_symlink_is_refused(self):
        real = self.plant_state(self.low_battery_now(), name="elsewhere")
        os.symlink(real, os.path.join(self.work.path, "state"))
        self.start()
        self.trapd.wait_log("state_dir %s/state is not a directory (a "
                            "symlink: name the directory itself)" %
                            self.work.path)
        self.past_every_timer()
        self.assertEqual(self.f.mutations(), [])

    def test_planted_temporary_file_is_not_followed(self):
        d = os.path.join(self.work.path, "state")
        os.makedirs(d, mode=0o750)
        victim = self.work.file("victim", "precious\n")
        for name in (".state.json.tmp", ".state.json.%d.1.0" % os.getpid()):
            os.symlink(victim, os.path.join(d, name))
        self.start()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")
        path = os.path.join(d, "state.json")

        def saved():
            try:
                with open(path) as fp:
                    return "on_battery" in fp.read()
            except FileNotFoundError:
                return False
        wait_for(saved, what="a saved state")
        with open(victim) as fp:
            self.assertEqual(fp.read(), "precious\n")
        self.assertFalse(os.path.islink(path))
        # No temporary file is left behind beside the planted links.
        self.assertEqual(sorted(n for n in os.listdir(d)
                                if not os.path.islink(os.path.join(d, n))),
                         ["state.json"])

    def test_state_fifo_does_not_block_the_start(self):
        d = os.path.join(self.work.path, "state")
        os.makedirs(d, mode=0o750)
        os.mkfifo(os.path.join(d, "state.json"))
        self.start()
        self.trapd.wait_log("state unreadable: %s/state.json is not a "
                            "regular file: starting without it" % d)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")

    def test_state_with_an_absurd_time_is_refused(self):
        # 1e300 once became a negative time_t: an alarm always due, the
        # main thread at 100 % CPU, traps and SIGTERM ignored.
        d = self.plant_state({"ups2": {"power": "on_battery", "since": 1e300,
                                       "imminent": False,
                                       "comms_lost": False}})
        self.start()
        self.trapd.wait_log("state in %s/state.json refused: ups.ups2.since: "
                            "not a time in seconds since 1970: starting "
                            "without it" % d)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")
        # What counts is that upsxen finishes stopping on SIGTERM, not
        # how long snmptrapd's own exit takes (under a preloaded ASan
        # runtime that can hang after main returns, see Trapd.stop).
        self.trapd.proc.terminate()
        self.trapd.wait_log("upsxen: stopped", timeout=5)
        self.trapd.stop()

    def power_on_pool(self, **host2):
        pool = pool3(self.base)
        pool["hosts"][1].update(host2)
        return pool

    def outage_and_return(self, **extra):
        """xenserver-2 powered off on ups2's outage, then mains back
        before the card ever cut the output: the host saw no AC loss,
        and nothing but host.power_on starts it again."""
        self.start(fake_pool=extra.pop("fake_pool"), hosts=hosts3(m=0.2, s=1),
                   **extra)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        wait_for(lambda: self.count("host.shutdown", "xenserver-2") == 1,
                 what="xenserver-2 powered off")
        wait_for(lambda: not self.f.host("xenserver-2")["live"],
                 what="xenserver-2 off in the pool's database")
        back = time.monotonic()
        v1_trap(self.port, "127.0.0.12", PPC, OFF)
        self.trapd.wait_log("ups=ups2 event=power_restored")
        return back

    def power_ons(self, host):
        return [c for c in self.calls_of("Async.host.power_on", host)]

    def test_power_on_after_power_held(self):
        # Issue 20.1: a host upsxen powered off whose UPS never cut the
        # output never boots by itself; it is woken through the master
        # once the power has held power_on_after.
        back = self.outage_and_return(
            fake_pool=self.power_on_pool(power_on_mode="wake-on-lan"),
            power_on_after=0.5, boot_timeout=5)
        self.trapd.wait_log("action=power_on pool=pool1 host=xenserver-2 "
                            "reason=power_held")
        self.trapd.wait_log("action=power_on pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.trapd.wait_log("action=exit_maintenance pool=pool1 "
                            "host=xenserver-2 result=ok", timeout=15)
        calls = self.power_ons("xenserver-2")
        self.assertEqual(len(calls), 1, calls)
        self.assertGreaterEqual(calls[0]["mono"] - back, 0.5)
        # Asked when the hold ends, not at the next watch (5 s apart).
        self.assertLess(calls[0]["mono"] - back, 4)
        h = self.f.host("xenserver-2")
        self.assertTrue(h["live"] and h["enabled"])
        self.assertNotIn("not live boot_timeout", self.trapd.log())
        self.assert_no_crash()

    def test_no_power_on_mode_is_said_at_the_first_look(self):
        # Issue 20.1: host.power_on with power_on_mode "" is refused by
        # xapi (HOST_POWER_ON_MODE_DISABLED): said at start, never asked.
        back = self.outage_and_return(fake_pool=self.power_on_pool(),
                                      power_on_after=0.3, boot_timeout=5)
        self.assertIn("pool=pool1 host=xenserver-2 power_on_mode is not "
                      "set", self.trapd.log())
        self.assertEqual(self.trapd.log().count(
            "host=xenserver-2 power_on_mode is not set"), 1)
        # Well past the hold: still no call xapi would refuse.
        wait_for(lambda: time.monotonic() - back > 2, what="2 s")
        self.assertEqual(self.power_ons("xenserver-2"), [])
        self.assertFalse(self.f.host("xenserver-2")["live"])

    def test_host_not_back_after_power_on_is_reported(self):
        # Issue 20.1: woken, the host does not come back (its WoL packet
        # lost): reported once boot_timeout after the power-on.
        self.outage_and_return(
            fake_pool=dict(self.power_on_pool(
                power_on_mode="wake-on-lan", power_on_fails=True),
                power_on_wait_ms=60000),
            power_on_after=0.3, boot_timeout=1.5)
        self.trapd.wait_log("action=power_on pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.trapd.wait_log("action=watch pool=pool1 host=xenserver-2 "
                            "result=permanent", timeout=15)
        self.assertIn("not live boot_timeout after host.power_on",
                      self.trapd.log())
        # Said once; the host is still watched, and not woken again.
        t0 = time.monotonic()
        wait_for(lambda: time.monotonic() - t0 > 2, what="2 s")
        self.assertEqual(self.trapd.log().count(
            "not live boot_timeout after host.power_on"), 1)
        self.assertEqual(len(self.power_ons("xenserver-2")), 1)

    def test_stopped_vms_start_again_in_order(self):
        # Issue 20.2: the VMs upsxen stopped (they live on the host's
        # own disks: nowhere to go) start again on the way back, in
        # their start order, each start_delay holding the next back;
        # a VM that was halted before the outage stays halted.
        pool = self.power_on_pool(power_on_mode="wake-on-lan")
        pool["vms"] = [
            {"name_label": "db", "resident_on": "xenserver-2",
             "local_storage": True, "order": 0, "start_delay_ms": 500},
            {"name_label": "app", "resident_on": "xenserver-2",
             "local_storage": True, "order": 1},
            {"name_label": "old", "resident_on": "xenserver-2",
             "local_storage": True, "power_state": "Halted"},
            {"name_label": "mail", "resident_on": "xenserver-3"},
        ]
        self.outage_and_return(fake_pool=pool, power_on_after=0.5,
                               boot_timeout=5)
        self.trapd.wait_log("action=start_vms pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=20)
        self.assertIn("action=start_vms host=xenserver-2 started=2",
                      self.trapd.log())
        starts = [c for c in self.f.calls()
                  if c["method"] == "Async.VM.start"]
        vms = {v["name"]: v for v in self.f.state()["vms"]}
        ref = {n: "OpaqueRef:vm-%d" % (i + 1)
               for i, n in enumerate(["db", "app", "old", "mail"])}
        started = [c["args"][1] for c in starts]
        self.assertEqual(started, [ref["db"], ref["app"]], starts)
        # app only once db's task ended: start_ms 500 + start_delay 500.
        self.assertGreaterEqual(starts[1]["mono"] - starts[0]["mono"], 1.0)
        self.assertEqual(vms["db"]["power_state"], "Running")
        self.assertEqual(vms["app"]["power_state"], "Running")
        self.assertEqual(vms["old"]["power_state"], "Halted")
        self.assertNotIn("upsxen-stopped-vms",
                         self.f.host("xenserver-2")["other_config"])
        self.assert_no_crash()

    def test_stale_outage_is_held_until_a_trap(self):
        # Three days on battery, in the format upsxen writes: once
        # powered the host off at once on restart (late_ms=259145011).
        then = time.time() - 3 * 86400
        self.plant_state({"ups2": {"power": "on_battery", "since": then,
                                   "imminent": False, "comms_lost": False}},
                         hosts={"pool1/xenserver-2": {
                             "at_risk": True, "risk_since": then}},
                         saved=then + 60)
        self.start()
        self.trapd.wait_log("held in doubt: ups=ups2 outage_age_s=2592")
        self.past_every_timer()
        self.assertEqual(self.f.mutations(), [])
        # A fresh trap after a receiver that was away: an outage from now,
        # with its whole schedule (shutdown 2 s after the trap).
        t_on = time.monotonic()
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        shutdown = self.calls_of("host.shutdown", "xenserver-2")[0]
        self.assertGreater(shutdown["mono"] - t_on, 1.8)
        self.assert_no_crash()

    def test_state_from_a_clock_set_back_is_clamped(self):
        # `since` a week ahead: the real on-battery trap was ignored and
        # the outage postponed. Clamped to now, the schedule runs.
        ahead = time.time() + 7 * 86400
        self.plant_state({"ups2": {"power": "on_battery", "since": ahead,
                                   "imminent": False, "comms_lost": False}})
        t0 = time.monotonic()
        self.start()
        self.trapd.wait_log("clamped: 1 time(s) later than the save or now")
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        shutdown = self.calls_of("host.shutdown", "xenserver-2")[0]
        self.assertLess(shutdown["mono"] - t0, 6)
        self.assert_no_crash()

    # Issue 19: a reload must never leave a pool without its connection.

    def test_reload_with_a_world_readable_password_keeps_the_old(self):
        # The loader only warned; the new worker refused the file, the
        # old one was stopped anyway: the next outage made no call.
        self.start()
        pw = os.path.join(self.work.path, "pool.password")
        os.chmod(pw, 0o644)
        self.trapd.hup()
        self.trapd.wait_log("policy error: pools.pool1.password_file: %s "
                            "is world-readable (the plugin refuses it: "
                            "chmod 600)" % pw)
        self.trapd.wait_log("reload: %s is invalid: the previous policy "
                            "stays in force" % self.policy)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=disable pool=pool1 host=xenserver-2 "
                            "result=ok")
        self.assertEqual(self.count("host.disable", "xenserver-2"), 1)

    def test_reload_whose_worker_cannot_start_keeps_the_old(self):
        # A password file the loader lets through (it may live only on
        # the receiver) but the worker cannot read: refused as a whole.
        self.start()
        with open(self.policy) as fp:
            doc = json.load(fp)
        gone = os.path.join(self.work.path, "moved.password")
        doc["pools"]["pool1"]["password_file"] = gone
        doc["pools"]["pool1"]["hosts"]["xenserver-2"]["shutdown_after"] = 20
        with open(self.policy, "w") as fp:
            json.dump(doc, fp)
        self.trapd.hup()
        self.trapd.wait_log("reload: pool=pool1 no XenAPI connection: ")
        self.trapd.wait_log("the previous policy stays in force")
        self.assertIn(gone, self.trapd.log())
        self.assertNotIn("reloaded:", self.trapd.log())
        # The old policy, and its worker, act: shutdown 2 s, not 20 s.
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        self.assert_no_crash()


if __name__ == "__main__":
    unittest.main(verbosity=2)
