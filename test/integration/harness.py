"""Real parts for integration tests: fakexapi, snmptrapd with upsxen.so
preloaded, and the NMC played by the real snmptrap command. Every wait
polls a condition with a deadline; nothing sleeps and hopes."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import xmlrpc.client

BUILD = os.environ.get("UPSXEN_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
BUILD = os.path.abspath(BUILD)
# The installed files when test/install.sh runs a scenario against them.
PLUGIN = os.environ.get("UPSXEN_PLUGIN", os.path.join(BUILD, "upsxen.so"))
CTL = os.environ.get("UPSXEN_CTL", os.path.join(BUILD, "upsxenctl"))

# Set when the plugin is built with sanitizers (see .ci/run).
SANITIZED = bool(os.environ.get("UPSXEN_TRAPD_PRELOAD"))

# Calls that change a pool; everything else only reads.
MUTATIONS = {
    "host.disable", "host.enable", "host.add_to_other_config",
    "host.remove_from_other_config", "Async.host.evacuate", "host.evacuate",
    "host.shutdown", "Async.VM.clean_shutdown", "Async.VM.hard_shutdown",
    "VM.clean_shutdown", "VM.hard_shutdown", "Async.VM.pool_migrate",
    "VM.pool_migrate", "pool.designate_new_master",
}


def wait_for(pred, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out after %.1f s waiting for %s"
                                 % (timeout, what))
        time.sleep(0.01)


class Workdir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="upsxen-it-")

    def file(self, name, text=None, mode=None):
        p = os.path.join(self.path, name)
        if text is not None:
            with open(p, "w") as f:
                f.write(text)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Fake:
    """fakexapi serving a pool; its call log and state."""

    def __init__(self, work, pool):
        self.pool = pool
        self.port = pool["hosts"][0]["port"]
        self.address = pool["hosts"][0].get("address", "127.0.0.1")
        self.log = work.file("calls.jsonl")
        cfg = work.file("pool.json", json.dumps(pool))
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "fakexapi"), cfg, "--log", self.log],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("fakexapi: ready"):
            raise RuntimeError("fakexapi did not start: " + line)
        self.rpc = xmlrpc.client.ServerProxy(
            "http://%s:%d/" % (self.address, self.port), allow_none=True)

    def state(self):
        return json.loads(self.rpc.fake.state())

    def host(self, name):
        for h in self.state()["hosts"]:
            if h["name"] == name:
                return h
        raise KeyError(name)

    def calls(self):
        out = []
        try:
            with open(self.log) as f:
                for line in f:
                    out.append(json.loads(line))
        except FileNotFoundError:
            pass
        return out

    def mutations(self):
        return [c for c in self.calls() if c["method"] in MUTATIONS]

    def ref(self, name):
        """The OpaqueRef fakexapi gives a host (host-N by its order)."""
        for i, h in enumerate(self.pool["hosts"]):
            if h["name_label"] == name:
                return "OpaqueRef:host-%d" % (i + 1)
        raise KeyError(name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc.stdout.close()


class Trapd:
    """snmptrapd in the foreground on loopback, upsxen.so preloaded."""

    def __init__(self, work, port, policy_path, extra_conf="",
                 expect="upsxen: started", preload=True, wrapper=(),
                 start_timeout=10.0, options=(), preload_more=(), env=None,
                 auth="log", preload_env=None):
        self.work = work
        self.port = port
        self.logpath = work.file("snmptrapd.log", "")
        self.conf = work.file("snmptrapd.conf",
                              "authCommunity %s public\n" % auth +
                              extra_conf +
                              ("upsxenPolicy %s\n" % policy_path
                               if policy_path else ""))
        env = dict(os.environ, **(env or {}))
        # snmptrapd saves its own snmptrapd.conf there: keep it apart.
        env["SNMP_PERSISTENT_DIR"] = os.path.join(work.path, "persist")
        if preload:
            # Sanitizer runtimes must come first when the plugin is
            # built with them (snmptrapd itself is not).
            extra = os.environ.get("UPSXEN_TRAPD_PRELOAD", "")
            env["LD_PRELOAD"] = " ".join(
                x for x in (extra, PLUGIN) if x)
        if preload_more:
            env["LD_PRELOAD"] = " ".join(
                x for x in [env.get("LD_PRELOAD", "")] + list(preload_more)
                if x)
        if preload_env and "LD_PRELOAD" in env:
            # A wrapper whose own programs must not load the plugin or
            # the sanitizer runtimes (these deadlock glibc's locale lock
            # in them) hands this variable to snmptrapd as LD_PRELOAD.
            env[preload_env] = env.pop("LD_PRELOAD")
        self.proc = subprocess.Popen(
            list(wrapper) +
            ["snmptrapd", "-f", "-m", ""] + list(options) +
            ["-Lf", self.logpath, "-C",
             "-c", self.conf, "-p", work.file("snmptrapd.pid"),
             "udp:127.0.0.1:%d" % port],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if expect:
            try:
                self.wait_log(expect, timeout=start_timeout)
            except BaseException:
                # No one else will stop a daemon whose start failed.
                self.proc.kill()
                self.proc.wait()
                raise

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def wait_log(self, text, timeout=10.0, count=1):
        return wait_for(lambda: self.log().count(text) >= count, timeout,
                        "%r in snmptrapd's log:\n%s" % (text, self.tail()))

    def tail(self, n=30):
        try:
            return "\n".join(self.log().splitlines()[-n:])
        except FileNotFoundError:
            return "(no log)"

    def alive(self):
        return self.proc.poll() is None

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout if not SANITIZED else 3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                # Under a preloaded ASan runtime, snmptrapd can deadlock
                # in libp11-kit's destructor (freelocale) after main
                # returns, with or without upsxen; what counts is that
                # upsxen itself finished stopping.
                if SANITIZED and "upsxen: stopped" in self.log():
                    return 0
                if SANITIZED and "upsxen: started" not in self.log():
                    return 0
                raise
        return self.proc.returncode


class Card:
    """A UPS card's SNMP agent: Debian's snmpd serving upsOutputSource
    (RFC 1628) at the UPS's address; set() flips it as mains comes and
    goes, without any trap."""

    OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"
    SECONDS_ON_BATTERY = "1.3.6.1.2.1.33.1.2.2.0"
    NORMAL, BATTERY = 3, 5

    V3_USER, V3_AUTH, V3_PRIV = "nmc", "authpass123", "privpass123"

    def __init__(self, work, address, port, v3=False):
        """v3: the card also answers SNMPv3 user V3_USER, authPriv
        (SHA, AES) only."""
        self.address = address
        self.port = port
        d = os.path.join(work.path, "card-" + address)
        os.makedirs(os.path.join(d, "persist"), exist_ok=True)
        self.conf = os.path.join(d, "snmpd.conf")
        with open(self.conf, "w") as f:
            f.write("agentAddress udp:%s:%d\n"
                    "rocommunity public 127.0.0.0/8\n"
                    "rwcommunity private 127.0.0.0/8\n"
                    "override -rw %s integer %d\n"
                    "override -rw %s integer 0\n"
                    % (address, port, self.OUTPUT_SOURCE, self.NORMAL,
                       self.SECONDS_ON_BATTERY))
            if v3:
                f.write('createUser %s SHA "%s" AES "%s"\nrouser %s priv\n'
                        % (self.V3_USER, self.V3_AUTH, self.V3_PRIV,
                           self.V3_USER))
        env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(d, "persist"))
        self.proc = subprocess.Popen(
            ["snmpd", "-f", "-m", "", "-Lf", os.path.join(d, "log"), "-C",
             "-c", self.conf, "-p", os.path.join(d, "pid")], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.get() is not None, 10, "snmpd on " + address)

    def get(self):
        r = subprocess.run(["snmpget", "-m", "", "-Oqv", "-v2c", "-c",
                            "public", "-t", "0.2", "-r", "0",
                            "%s:%d" % (self.address, self.port),
                            self.OUTPUT_SOURCE], capture_output=True,
                           text=True)
        return int(r.stdout) if r.returncode == 0 and r.stdout.strip() \
            else None

    def set(self, value, oid=None):
        subprocess.run(["snmpset", "-m", "", "-v2c", "-c", "private",
                        "%s:%d" % (self.address, self.port),
                        oid or self.OUTPUT_SOURCE, "i", str(value)],
                       check=True, stdout=subprocess.DEVNULL, timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def trap(port, source, *args, version="2c", community="public"):
    """Send one trap with the real snmptrap, from a loopback source."""
    cmd = ["snmptrap", "-m", "", "-v", version, "-c", community,
           "--clientaddr=" + source, "127.0.0.1:%d" % port] + list(args)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=10)


def v3_trap(port, source, trapoid, level="authPriv", user="nmc",
            auth="authpass123", priv="privpass123",
            engine="0x80001f8804756e6974", inform=False):
    """An SNMPv3 trap from the given engine ID, at the given level; or an
    inform, which is sent to the receiver's own engine ID (it discovers
    it) and waits for snmptrapd's answer."""
    cmd = ["snmpinform" if inform else "snmptrap", "-m", "", "-v", "3"]
    if not inform:
        cmd += ["-e", engine]
    cmd += ["-u", user, "-l", level, "--clientaddr=" + source]
    if level != "noAuthNoPriv":
        cmd += ["-a", "SHA", "-A", auth]
    if level == "authPriv":
        cmd += ["-x", "AES", "-X", priv]
    subprocess.run(cmd + ["127.0.0.1:%d" % port, "", trapoid], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=10)


def v1_trap(port, source, enterprise, specific, community="public"):
    trap(port, source, enterprise, source, "6", str(specific), "",
         version="1", community=community)


def v2_trap(port, source, trapoid, *varbinds, community="public"):
    trap(port, source, "", trapoid, *varbinds, community=community)


def ber(tag, body):
    """One BER TLV (short or long length form)."""
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def ber_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        out += bytes(reversed(enc))
    return ber(0x06, out)


def v2_trap_bytes(trapoid, community=b"public", reqid=1):
    """A pre-encoded v2c trap: sysUpTime.0 and snmpTrapOID.0."""
    vb = ber(0x30, ber(0x30, ber_oid("1.3.6.1.2.1.1.3.0") +
                       ber(0x43, b"\x01")) +
             ber(0x30, ber_oid("1.3.6.1.6.3.1.1.4.1.0") + ber_oid(trapoid)))
    pdu = ber(0xa7, ber(0x02, reqid.to_bytes(4, "big")) + ber(0x02, b"\0") +
              ber(0x02, b"\0") + vb)
    return ber(0x30, ber(0x02, b"\x01") + ber(0x04, community) + pdu)


def send_udp(port, payload, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.sendto(payload, ("127.0.0.1", port))
    s.close()


def member(i, base):
    """Member i of a fake pool: its own loopback address, the pool's port
    (xapi names members by bare address; the client keeps its port)."""
    return {"address": "127.0.0.%d" % i, "port": base + 1}


def pool3(base, per_vm_ms=30, boot_ms=200, vms=None):
    """Seed example 3's pool: xenserver-1 master, VMs on 2 and 3."""
    # xapi's own durations, scaled down as the policies' timers are:
    # its start-up after a boot (30 s), the restart after a handover
    # (10 s later, a few seconds long), a dead member shown live (600 s).
    return {
        "password": "secret", "per_vm_ms": per_vm_ms, "boot_ms": boot_ms,
        "shutdown_ms": 20, "xapi_start_ms": 300, "restart_after_ms": 300,
        "restart_ms": 500, "dead_after_ms": 5000,
        "hosts": [
            dict(member(1, base), name_label="xenserver-1", master=True),
            dict(member(2, base), name_label="xenserver-2"),
            dict(member(3, base), name_label="xenserver-3"),
        ],
        "vms": vms if vms is not None else [
            {"name_label": "web", "resident_on": "xenserver-2"},
            {"name_label": "db", "resident_on": "xenserver-2"},
            {"name_label": "mail", "resident_on": "xenserver-3"},
        ],
    }


def policy(work, base, hosts, ups, **pool_extra):
    """A policy for the fake pool at base+1, plaintext on loopback. The
    deadline budget is scaled with the timers: a host halts in 1 s, its
    VMs get 0.2 s to stop before its deadline."""
    pw = work.file("pool.password", "secret\n", 0o600)
    p = {"state_dir": os.path.join(work.path, "state"), "ups": ups,
         "pools": {"pool1": dict({
             "url": "http://127.0.0.1:%d" % (base + 1),
             "allow_plaintext": True, "username": "root",
             "password_file": pw, "call_timeout": 2, "halt_time": 1,
             "stop_budget": 0.2, "hosts": hosts}, **pool_extra)}}
    return work.file("policy.json", json.dumps(p, indent=1))


def ups(addr, warning=30, **extra):
    return dict({"address": addr, "warning_period": warning}, **extra)


def hosts3(m=0.3, s=2.0):
    """Seed example 3's schedule, scaled: maintenance m, shutdown s."""
    return {"xenserver-%d" % i: {"powered_by": ["ups%d" % i],
                                 "maintenance_after": m, "shutdown_after": s}
            for i in (1, 2, 3)}


UPS3 = {"ups%d" % i: ups("127.0.0.1%d" % i) for i in (1, 2, 3)}


class PoolCase(unittest.TestCase):
    """A fake pool, snmptrapd with the plugin, and what to ask of them.
    Each test gets its own 20 ports from base_port on."""

    base_port = 30000
    offset = 0

    def setUp(self):
        PoolCase.offset += 20
        self.base = self.base_port + PoolCase.offset
        self.port = self.base + 19
        self.work = Workdir()
        self.fakes = []
        self.trapd = None

    def tearDown(self):
        if self.trapd:
            try:
                self.trapd.stop()
            except Exception:
                pass
        for f in self.fakes:
            f.stop()
        self.work.remove()

    def fake(self, pool):
        f = Fake(self.work if not self.fakes else self.subdir(), pool)
        self.fakes.append(f)
        return f

    def subdir(self):
        w = Workdir()
        self.addCleanup(w.remove)
        return w

    def start(self, fake_pool=None, hosts=None, ups_map=None, **extra):
        self.f = self.fake(fake_pool or pool3(self.base))
        self.policy = policy(self.work, self.base, hosts or hosts3(),
                             ups_map or UPS3, **extra)
        self.trapd = Trapd(self.work, self.port, self.policy)
        wait_for(lambda: any(c["method"] == "VM.get_all_records"
                             for c in self.f.calls()), what="first facts")

    def count(self, method, host, fake=None):
        ref = (fake or self.f).ref(host)
        return sum(1 for c in (fake or self.f).calls()
                   if c["method"] == method and ref in c["args"] and
                   c["status"] == "Success")

    def calls_of(self, method, host, fake=None):
        ref = (fake or self.f).ref(host)
        return [c for c in (fake or self.f).calls()
                if c["method"] == method and ref in c["args"]]

    def assert_no_crash(self, fake=None):
        self.assertEqual((fake or self.f).state()["crashed"], [])
