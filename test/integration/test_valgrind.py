"""snmptrapd with upsxen.so under valgrind through a whole outage (seed
example 3, power back, stop): no leak definitely lost from upsxen code,
no invalid read or write.

Usage: python3 test_valgrind.py PORT_BASE"""

import re
import sys
import unittest

from harness import Fake, Trapd, Workdir, policy, pool3, ups, v1_trap

BASE = int(sys.argv.pop(1)) if len(sys.argv) > 1 else 19500
PPC = "1.3.6.1.4.1.935"


class ValgrindTest(unittest.TestCase):
    def test_outage_under_valgrind(self):
        work = Workdir()
        self.addCleanup(work.remove)
        fake = Fake(work, pool3(BASE))
        self.addCleanup(fake.stop)
        hosts = {"xenserver-%d" % i: {"powered_by": ["ups%d" % i],
                                      "maintenance_after": 0.5,
                                      "shutdown_after": 3}
                 for i in (1, 2, 3)}
        path = policy(work, BASE, hosts, {"ups%d" % i: ups("127.0.0.1%d" % i)
                                          for i in (1, 2, 3)})
        vlog = work.file("valgrind.log")
        trapd = Trapd(work, BASE + 9, path, start_timeout=60, wrapper=[
            "valgrind", "--leak-check=full", "--show-leak-kinds=definite",
            "--num-callers=40", "--log-file=" + vlog])
        for addr in ("127.0.0.12", "127.0.0.13"):
            v1_trap(BASE + 9, addr, PPC, 5)
        for name in ("xenserver-2", "xenserver-3"):
            trapd.wait_log("action=shutdown pool=pool1 host=%s result=ok"
                           % name, timeout=60)
        for addr in ("127.0.0.12", "127.0.0.13"):
            v1_trap(BASE + 9, addr, PPC, 9)
        fake.rpc.fake.power("xenserver-2", True)
        fake.rpc.fake.power("xenserver-3", True)
        trapd.wait_log("action=exit_maintenance pool=pool1 host=xenserver-3 "
                       "result=ok", timeout=60)
        self.assertEqual(trapd.stop(timeout=60), 0)
        with open(vlog) as f:
            text = f.read()
        # valgrind really ran snmptrapd, with the plugin in it, to the end.
        self.assertIn("Command: snmptrapd", text)
        self.assertRegex(text, r"(LEAK SUMMARY|All heap blocks were freed)")
        self.assertIn("upsxen: stopped", trapd.log())
        # One record per blank-line separated block.
        ours = [b for b in text.split("\n\n")
                if "definitely lost" in b and "upsxen.so" in b]
        self.assertEqual(ours, [], "\n\n".join(ours))
        bad = [b for b in text.split("\n\n")
               if re.search(r"Invalid (read|write|free)", b) and
               "upsxen.so" in b]
        self.assertEqual(bad, [], "\n\n".join(bad))


if __name__ == "__main__":
    unittest.main(verbosity=2)
