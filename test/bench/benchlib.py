"""What the benchmarks share: the generated policy with its fakexapi
pools, trapblast, process memory, percentiles, and the results file that
run.sh turns into BENCHMARKS.md."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import BUILD  # noqa: E402

ON = "1.3.6.1.4.1.935.0.5"
OFF = "1.3.6.1.4.1.935.0.9"


class Pools:
    """A genpolicy policy whose pools are fakexapi processes, one per
    pool, every member on its own loopback address."""

    def __init__(self, work, pools, hosts, ups, port, maint=None,
                 shut=None, budget=None):
        self.work = work
        self.dir = os.path.join(work.path, "fake-%d" % port)
        os.makedirs(self.dir)
        pw = work.file("pool.password", "secret\n", 0o600)
        self.policy = os.path.join(self.dir, "policy.json")
        args = [os.path.join(BUILD, "genpolicy"), "-p", str(pools), "-n",
                str(hosts), "-u", str(ups), "-w", pw, "-d",
                os.path.join(self.dir, "state"), "-x", str(port), "-X",
                self.dir]
        if maint is not None:
            args += ["-m", str(maint), "-s", str(shut)]
        if budget is not None:
            args += ["-B", str(budget)]
        with open(self.policy, "w") as f:
            subprocess.run(args, stdout=f, check=True)
        self.logs = [os.path.join(self.dir, "calls%d.jsonl" % p)
                     for p in range(pools)]
        self.procs = []
        try:
            for p in range(pools):
                # The pools stand for other machines: on this one they
                # must not take the CPU from snmptrapd.
                self.procs.append(subprocess.Popen(
                    ["nice", "-n", "19", os.path.join(BUILD, "fakexapi"),
                     os.path.join(self.dir, "pool%d.json" % p), "--log",
                     self.logs[p]], stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True))
            for proc in self.procs:
                line = proc.stdout.readline()
                if not line.startswith("fakexapi: ready"):
                    raise RuntimeError("fakexapi did not start: " + line)
        except BaseException:
            self.stop()
            raise

    def calls(self):
        """Every pool's call log, as lists per pool."""
        out = []
        for path in self.logs:
            pool = []
            try:
                with open(path) as f:
                    # The last line may still be being written.
                    lines = f.read().split("\n")[:-1]
                pool = [json.loads(line) for line in lines if line]
            except FileNotFoundError:
                pass
            out.append(pool)
        return out

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            proc.wait(5)
            proc.stdout.close()


class Tail:
    """New lines of a JSON-lines call log since the last look: reading
    the whole log at every poll would make the benchmark the machine's
    busiest process."""

    def __init__(self, path):
        self.path, self.off, self.buf = path, 0, ""

    def new(self):
        try:
            with open(self.path) as f:
                f.seek(self.off)
                data = f.read()
                self.off = f.tell()
        except FileNotFoundError:
            return []
        self.buf += data
        *lines, self.buf = self.buf.split("\n")
        return [json.loads(line) for line in lines if line]


def blast(port, rate, n=None, seconds=None, ups=0, oids=(ON,),
          source="127.0.0.2", wait=True):
    """trapblast: n traps (or for seconds) at rate from an unknown source,
    or from the first `ups` UPS addresses in turn."""
    args = [os.path.join(BUILD, "trapblast"), "-p", str(port), "-r",
            str(rate)]
    args += ["-n", str(n)] if n is not None else ["-t", str(seconds)]
    args += ["-g", str(ups)] if ups else ["-s", source]
    for o in oids:
        args += ["-o", o]
    if not wait:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL)
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return None


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def settle_quiet(pred_size, quiet=0.5, limit=60):
    """Wait until pred_size() stops changing for `quiet` seconds."""
    end = time.monotonic() + limit
    last, since = pred_size(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = pred_size()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    return last


def record(key, value):
    """Append one result for run.sh's report (UPSXEN_BENCH_JSON)."""
    out = os.environ.get("UPSXEN_BENCH_JSON")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps({key: value}) + "\n")
