"""What real xapi does that a kind simulator would not (issue 16), end to
end: snmptrapd with upsxen, snmptrap as the cards, fakexapi following
xen-api's sources (test/fakexapi). Each scenario asserts no VM crashed
and no host was abandoned.

Usage: python3 test_xapi.py PORT_BASE [unittest args]"""

import os
import sys
import time
import unittest

from harness import (UPS3, PoolCase, Trapd, hosts3, policy, pool3, ups,
                     v1_trap, wait_for)

BASE = int(sys.argv.pop(1)) if len(sys.argv) > 1 else 21000
PPC = "1.3.6.1.4.1.935"
ON, OFF = 5, 9


def vm_ref(pool, name):
    """The OpaqueRef fakexapi gives a VM (vm-N by its order)."""
    for i, v in enumerate(pool["vms"]):
        if v["name_label"] == name:
            return "OpaqueRef:vm-%d" % (i + 1)
    raise KeyError(name)


class XapiTest(PoolCase):
    base_port = BASE

    def vms(self):
        return {v["name"]: v for v in self.f.state()["vms"]}

    def host_back(self, name):
        h = self.f.host(name)
        return (h["live"] and h["enabled"] and
                "MAINTENANCE_MODE" not in h["other_config"])

    def calls(self, method):
        return [c for c in self.f.calls() if c["method"] == method]

    def test_1_clean_shutdown_refused(self):
        # An HVM guest without PV drivers and a paused VM: xapi refuses
        # their clean shutdown (xapi_vm_lifecycle.ml); they also block
        # the evacuation. They are stopped hard, the rest moves.
        pool = pool3(self.base, vms=[
            {"name_label": "hvm", "resident_on": "xenserver-2",
             "no_pv_drivers": True},
            {"name_label": "paused", "resident_on": "xenserver-2",
             "power_state": "Paused"},
            {"name_label": "web", "resident_on": "xenserver-2"}])
        self.start(pool, hosts=hosts3(m=0.3, s=3.0))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        hard = [c["args"][1] for c in self.calls("Async.VM.hard_shutdown")]
        clean = [c["args"][1] for c in self.calls("Async.VM.clean_shutdown")]
        self.assertEqual(sorted(hard), sorted([vm_ref(pool, "hvm"),
                                               vm_ref(pool, "paused")]))
        self.assertEqual(clean, [])
        st = self.vms()
        self.assertEqual(st["hvm"]["power_state"], "Halted")
        self.assertEqual(st["paused"]["power_state"], "Halted")
        self.assertEqual(st["web"]["power_state"], "Running")
        self.assertIn("hard=2", self.trapd.log())
        self.assertNotIn("result=permanent", self.trapd.log())
        self.assert_no_crash()

    def test_2_handover_restarts_xapi(self):
        # The master goes first: designate_new_master restarts every xapi
        # a while later (xapi_pool_transition.ml), forgetting the running
        # evacuation and re-enabling the disabled hosts.
        self.start(pool3(self.base, per_vm_ms=300),
                   hosts=hosts3(m=0.3, s=6.0))
        v1_trap(self.port, "127.0.0.11", PPC, ON)
        v1_trap(self.port, "127.0.0.13", PPC, ON)
        for h in ("xenserver-1", "xenserver-3"):
            self.trapd.wait_log("action=shutdown pool=pool1 host=%s "
                                "result=ok" % h, timeout=25)
        self.assertTrue(self.f.host("xenserver-2")["master"])
        self.assertEqual(self.count("host.shutdown", "xenserver-1"), 1)
        self.assertEqual(self.count("host.shutdown", "xenserver-3"), 1)
        # Nothing else was started while the handover was in flight.
        d = [c for c in self.f.calls()
             if c["method"] == "pool.designate_new_master"]
        self.assertEqual(len(d), 1)
        started = [c for c in self.f.calls()
                   if c["method"] in ("Async.host.evacuate",
                                      "Async.VM.pool_migrate") and
                   d[0]["mono"] - 0.05 < c["mono"] < d[0]["mono"] + 0.05]
        self.assertEqual(started, [])
        # A forgotten task is not polled for ever.
        invalid = [c for c in self.calls("task.get_record")
                   if c["status"] == "Failure"]
        self.assertLess(len(invalid), 10)
        self.assert_no_crash()

    def test_3_ha_one_host(self):
        # HA on, tolerating one failure, its protected VMs filling the
        # hosts: disabling xenserver-2 would break the plan
        # (xapi_ha_vm_failover.ml). The tolerance is lowered first, as
        # XenCenter does, and restored when the host is back.
        vms = []
        for h in (1, 2, 3):
            for k in range(2):
                vms.append({"name_label": "vm%d%d" % (h, k),
                            "resident_on": "xenserver-%d" % h,
                            "memory_mib": 4096,
                            "ha_restart_priority": "restart"})
        pool = pool3(self.base, vms=vms)
        pool["ha_enabled"] = True
        pool["ha_host_failures_to_tolerate"] = 1
        for h in pool["hosts"]:
            h["memory_mib"] = 16384
        hosts = hosts3(m=0.3, s=20.0)
        self.start(pool, hosts=hosts)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        self.assertIn("action=ha_tolerate host=xenserver-2 from=1 to=0",
                      self.trapd.log())
        self.assertEqual(self.f.state()["ha"]["host_failures_to_tolerate"],
                         0)
        v1_trap(self.port, "127.0.0.12", PPC, OFF)
        self.trapd.wait_log("action=exit_maintenance pool=pool1 "
                            "host=xenserver-2 result=ok")
        wait_for(lambda: self.f.state()["ha"]["host_failures_to_tolerate"]
                 == 1, 10, "failures to tolerate restored")
        self.assertTrue(self.host_back("xenserver-2"))
        self.assert_no_crash()

    def test_4_ha_whole_pool(self):
        # Every host on battery: HA goes off before the first power-off,
        # and on again once the pool is back.
        pool = pool3(self.base)
        pool["ha_enabled"] = True
        self.start(pool, hosts=hosts3(m=0.3, s=2.0))
        for a in ("127.0.0.11", "127.0.0.12", "127.0.0.13"):
            v1_trap(self.port, a, PPC, ON)
        for h in ("xenserver-1", "xenserver-2", "xenserver-3"):
            self.trapd.wait_log("action=shutdown pool=pool1 host=%s "
                                "result=ok" % h, timeout=25)
        off = self.calls("pool.disable_ha")
        downs = self.calls("host.shutdown")
        self.assertEqual(len(off), 1)
        self.assertLess(off[0]["mono"], min(c["mono"] for c in downs))
        self.assertFalse(self.f.state()["ha"]["enabled"])
        # Mains back: the servers power on by themselves (BIOS setting).
        for a in ("127.0.0.11", "127.0.0.12", "127.0.0.13"):
            v1_trap(self.port, a, PPC, OFF)
        for h in ("xenserver-1", "xenserver-2", "xenserver-3"):
            self.f.rpc.fake.power(h, True)
        wait_for(lambda: self.f.state()["ha"]["enabled"], 30,
                 "HA on again:\n" + self.trapd.tail())
        for h in ("xenserver-1", "xenserver-2", "xenserver-3"):
            self.assertTrue(self.host_back(h), h)
        self.assertEqual(len(self.calls("pool.enable_ha")), 1)
        self.assert_no_crash()

    def test_5_xencenter_open(self):
        # A running XenCenter disables every live, enabled host still
        # marked (MainWindow.cs). The host still leaves maintenance.
        self.start(pool3(self.base, boot_ms=300), hosts=hosts3(m=0.3, s=1.5))
        self.f.rpc.fake.xencenter(True)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        v1_trap(self.port, "127.0.0.12", PPC, OFF)
        self.f.rpc.fake.power("xenserver-2", True)
        wait_for(lambda: self.host_back("xenserver-2"), 20,
                 "xenserver-2 out of maintenance:\n" + self.trapd.tail())
        self.assertTrue(any(c["method"].startswith("xencenter:")
                            for c in self.f.calls()))
        self.assert_no_crash()

    def test_6_dead_member_looks_live(self):
        # xenserver-3 leaves while xenserver-2 is on battery too, due
        # later: its VMs go to the host on good power only, one at a time,
        # not with host.evacuate onto every enabled member. xenserver-2
        # then only enters maintenance; its card cuts the power at the
        # end of its warning period and xapi keeps it live (db_gc.ml).
        # The master, last, must not wait for it.
        hosts = hosts3(m=0.3, s=2.0)
        hosts["xenserver-2"] = {"powered_by": ["ups2"],
                                "maintenance_after": 3.0}
        upss = dict(UPS3, ups2=ups("127.0.0.12", 4.0))
        pool = pool3(self.base)
        pool["dead_after_ms"] = 60000
        self.start(pool, hosts=hosts, ups_map=upss)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        t_card = time.monotonic() + 4.0
        v1_trap(self.port, "127.0.0.13", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-3 "
                            "result=ok", timeout=15)
        moves = self.calls("Async.VM.pool_migrate")
        self.assertTrue(moves)
        self.assertTrue(all(c["args"][2] == self.f.ref("xenserver-1")
                            for c in moves))
        self.assertEqual(self.count("Async.host.evacuate", "xenserver-3"), 0)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=10)
        # The card cuts the output at the end of its warning period.
        wait_for(lambda: time.monotonic() > t_card, 10, "warning period")
        self.f.rpc.fake.power("xenserver-2", False)
        self.assertTrue(self.f.host("xenserver-2")["live"])
        t_master = time.monotonic()
        v1_trap(self.port, "127.0.0.11", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-1 "
                            "result=ok", timeout=15)
        # Within its schedule, not after xapi finally gives up on 2.
        self.assertLess(time.monotonic() - t_master, 8)
        self.assertTrue(self.f.host("xenserver-2")["live"])
        self.assert_no_crash()

    def test_7_cd_ejected(self):
        # A CD from a host's own ISO SR pins the VM (VM_REQUIRES_SR,
        # xapi_vm_helpers.ml): ejected, as XenCenter offers, then moved.
        pool = pool3(self.base, vms=[
            {"name_label": "iso", "resident_on": "xenserver-2",
             "cd": "local_iso"},
            {"name_label": "web", "resident_on": "xenserver-2"}])
        self.start(pool, hosts=hosts3(m=0.3, s=3.0))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        self.assertTrue(self.calls("VBD.eject"))
        self.assertIn("cd_ejected=1", self.trapd.log())
        st = self.vms()
        self.assertEqual(st["iso"]["power_state"], "Running")
        self.assertNotEqual(st["iso"]["resident_on"], "xenserver-2")
        self.assert_no_crash()

    def test_8_cannot_contact_host_is_temporary(self):
        self.start()
        self.f.rpc.fake.fail_next("host.disable", 2, "CANNOT_CONTACT_HOST",
                                  self.f.ref("xenserver-2"))
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=shutdown pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=15)
        tries = self.calls_of("host.disable", "xenserver-2")
        self.assertEqual([c["status"] for c in tries],
                         ["Failure", "Failure", "Success"])
        self.assert_no_crash()

    def test_9_bookkeeping(self):
        # 300 VMs (a list past any fixed buffer), a paused one among them,
        # recorded as XenCenter does and all brought back; the paused one
        # could not move (VM_BAD_POWER_STATE) and was stopped hard.
        vms = [{"name_label": "vm%03d" % i, "resident_on": "xenserver-2",
                "memory_mib": 64} for i in range(300)]
        vms[7]["power_state"] = "Paused"
        pool = pool3(self.base, per_vm_ms=1, vms=vms)
        hosts = hosts3(m=0.3, s=25.0)
        self.start(pool, hosts=hosts, on_restore="restore_vms",
                   task_timeout=60)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("action=mark_maintenance pool=pool1 "
                            "host=xenserver-2 result=ok")
        migrated = self.f.host("xenserver-2")["other_config"][
            "MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED"]
        self.assertEqual(len(migrated.split(",")), 300)
        self.trapd.wait_log("action=evacuate pool=pool1 host=xenserver-2 "
                            "result=ok", timeout=30)
        self.assertEqual(self.vms()["vm007"]["power_state"], "Halted")
        v1_trap(self.port, "127.0.0.12", PPC, OFF)
        self.trapd.wait_log("action=restore_vms pool=pool1 "
                            "host=xenserver-2 result=ok", timeout=60)
        back = [c["args"][1] for c in self.calls("Async.VM.pool_migrate")
                if c["args"][2] == self.f.ref("xenserver-2")]
        self.assertEqual(len(back), 299)
        self.assertNotIn(vm_ref(pool, "vm007"), back)
        st = self.vms()
        self.assertEqual(sum(1 for v in st.values()
                             if v["resident_on"] == "xenserver-2"), 299)
        self.assertNotIn("MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED",
                         self.f.host("xenserver-2")["other_config"])
        self.assert_no_crash()

    def test_10_every_action_is_bounded(self):
        # An evacuation xapi does not finish: after the pool's
        # task_timeout it is cancelled and answered as a failed try, and
        # tried again; nothing waits for ever. (That the VMs are then
        # stopped in time for the power-off is the deadline's, issue 17.)
        pool = pool3(self.base, per_vm_ms=600000)
        self.start(pool, hosts=hosts3(m=0.3, s=25.0), task_timeout=1.0)
        v1_trap(self.port, "127.0.0.12", PPC, ON)
        self.trapd.wait_log("no outcome within 1 s (task_timeout): "
                            "cancelled", timeout=15, count=2)
        self.assertGreaterEqual(len(self.calls("task.cancel")), 2)
        self.assertIn("action=evacuate pool=pool1 host=xenserver-2 "
                      "reason=retry", self.trapd.log())

    def test_11_fifo_secrets_do_not_block_the_start(self):
        # Issue 19.7: a password file that is a FIFO blocked snmptrapd's
        # main thread at start (fopen waits for a writer that never
        # comes). Both kinds, the pool's and a card's USM key, are now
        # refused, naming the file, and snmptrapd goes on.
        self.f = self.fake(pool3(self.base))
        auth = os.path.join(self.work.path, "auth.fifo")
        os.mkfifo(auth, 0o600)
        u = dict(UPS3)
        u["ups2"] = ups("127.0.0.12", snmp={
            "version": "3", "user": "nmc", "auth_protocol": "SHA",
            "auth_password_file": auth, "port": self.base + 18,
            "poll_interval": 3600})
        self.policy = policy(self.work, self.base, hosts3(), u)
        pw = os.path.join(self.work.path, "pool.password")
        os.unlink(pw)
        os.mkfifo(pw, 0o600)
        self.trapd = Trapd(self.work, self.port, self.policy,
                           start_timeout=5)
        log = self.trapd.log()
        self.assertIn("pool=pool1 no XenAPI connection: %s is not a "
                      "regular file: refused" % pw, log)
        self.assertIn("ups=ups2 not polled: %s is not a regular file: "
                      "refused" % auth, log)
        self.assertTrue(self.trapd.alive())

    def test_12_huge_answer_is_refused(self):
        # Issue 19.7: a 100 MB XenAPI answer peaked at 308 MB RSS inside
        # snmptrapd. An answer past 32 MiB is refused as it arrives,
        # whether or not its length is announced, and the daemon's peak
        # stays bounded. The "master" logs in, then answers every call
        # with a VM.get_all_records of 100 MB.
        import http.server
        import threading
        rec = ("<member><name>OpaqueRef:vm-%07d</name><value><struct>"
               "<member><name>name_label</name><value>vm</value></member>"
               "<member><name>power_state</name><value>Running</value>"
               "</member><member><name>resident_on</name><value>"
               "OpaqueRef:h</value></member></struct></value></member>")
        n = 100 * 1000 * 1000 // len(rec % 0)
        huge = ("<?xml version='1.0'?><methodResponse><params><param>"
                "<value><struct><member><name>Status</name><value>Success"
                "</value></member><member><name>Value</name><value>"
                "<struct>" + "".join(rec % i for i in range(n)) +
                "</struct></value></member></struct></value></param>"
                "</params></methodResponse>").encode()
        login = (b"<?xml version='1.0'?><methodResponse><params><param>"
                 b"<value><struct><member><name>Status</name><value>"
                 b"Success</value></member><member><name>Value</name>"
                 b"<value>OpaqueRef:s</value></member></struct></value>"
                 b"</param></params></methodResponse>")
        sent = []

        class Master(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                method = body.split(b"<methodName>")[1].split(b"<")[0]
                answer = login if b"session." in method else huge
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                # The members' walk without a length, the others with.
                if method != b"host.get_all_records":
                    self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                off = 0
                try:
                    while off < len(answer):
                        self.wfile.write(answer[off:off + (1 << 20)])
                        off += 1 << 20
                except OSError:
                    pass
                sent.append((method.decode(), min(off, len(answer))))

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.base + 1),
                                              Master)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)

        def kib(field):
            with open("/proc/%d/status" % self.trapd.proc.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])

        self.policy = policy(self.work, self.base, hosts3(), UPS3)
        self.trapd = Trapd(self.work, self.port, self.policy)
        before = kib("VmHWM")
        try:
            self.trapd.wait_log("XenAPI answer from http://127.0.0.1:%d/ "
                                "exceeds 32 MiB" % (self.base + 1),
                                timeout=30)
        finally:
            after = kib("VmHWM")
            sys.stderr.write("\nsnmptrapd peak RSS: %d KiB before, %d "
                             "KiB after; served %r\n" % (before, after,
                                                          sent))
        self.assertLess(after - before, 80 * 1024)
        walk = [b for m, b in sent if m == "host.get_all_records"]
        self.assertTrue(walk and walk[0] < len(huge), sent)
        self.assertTrue(self.trapd.alive())

if __name__ == "__main__":
    unittest.main(verbosity=2)
