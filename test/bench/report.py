"""Writes the results of test/bench/run.sh into BENCHMARKS.md, between
the "results" markers, leaving the method text around them alone.

  python3 report.py RESULTS.jsonl OUTPUT.txt BENCHMARKS.md"""

import json
import re
import sys

BEGIN = "<!-- results: written by test/bench/run.sh -->"
END = "<!-- end of results -->"


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            r.update(json.loads(line))
    return r


def table(r, machine):
    i, s = r["intake"], r["scale"]
    a = i["a"] or 1
    cpu = r.get("intake_cpu_us", {})
    many, one = s["many"], s["one"]
    bare = s["bare_rss_kib"]
    rows = [
        ("1 intake, no-op C handler (a)", "%d traps/s" % i["a"], "ceiling",
         "1.00"),
        ("1 intake, upsxen, unknown source (b)", "%d traps/s" % i["b"],
         ">= 0.9 x (a)", "%.2f" % (i["b"] / a)),
        ("1 intake, upsxen, 1,000 UPSes flapping (c)",
         "%d traps/s" % i["c"], ">= 0.9 x (a)", "%.2f" % (i["c"] / a)),
        ("1 intake, traphandle /bin/true (d)", "%d traps/s" % i["d"], "-",
         "%.3f" % (i["d"] / a)),
    ]
    if "a" in cpu and "b" in cpu and "c" in cpu:
        rows.append(("1 CPU per trap, snmptrapd's thread: a / b / c",
                     "%.1f / %.1f / %.1f us" % (cpu["a"][1], cpu["b"][1],
                                                cpu["c"][1]),
                     "-", "%.2f / %.2f" % (cpu["a"][1] / cpu["b"][1],
                                           cpu["a"][1] / cpu["c"][1])))
    lat, storm, t = r["latency"], r["latency_storm"], r["timer"]
    rows += [
        ("2 trap -> first XenAPI request, alone",
         "p50 %.2f ms, p99 %.2f ms" % (lat["p50"], lat["p99"]),
         "p99 < 5 ms", "-"),
        ("2 the same, storm of %d traps/s" % storm["rate"],
         "p50 %.2f ms, p99 %.2f ms" % (storm["p50"], storm["p99"]),
         "p99 < 20 ms", "-"),
        ("3 timer error, maintenance_after 2 s (%d)" % t["n"],
         "p50 %.2f ms, p99 %.2f ms" % (t["p50"], t["p99"]), "p99 < 20 ms",
         "-"),
        ("4 first trap -> last evacuation, 1 pool x 25",
         "%.2f s" % one["last_evacuation_s"], "-", "-"),
        ("4 the same, %d pools x 25" % many["pools"],
         "%.2f s" % many["last_evacuation_s"], "ratio < 1.5",
         "%.2f" % s["ratio"]),
        ("4 RSS over bare snmptrapd (%.1f MiB), 5,000 hosts" % (bare / 1024),
         "+%.1f MiB idle, +%.1f MiB peak" % (
             (many["rss_idle_kib"] - bare) / 1024,
             (many["rss_peak_kib"] - bare) / 1024), "< 32 MiB", "-"),
        ("5 XenAPI calls per host, maintenance + shutdown",
         "%.1f" % many["calls_per_host"], "-", "-"),
        ("5 logins per pool per outage",
         "%d" % many["logins_per_pool_max"], "1", "-"),
    ]
    out = ["Measured on: " + machine, "",
           "| measure | result | goal | ratio |", "|---|---|---|---|"]
    out += ["| %s | %s | %s | %s |" % row for row in rows]
    return "\n".join(out)


def main():
    results = load(sys.argv[1])
    with open(sys.argv[2]) as f:
        output = f.read()
    m = re.search(r"^machine: (.*)$", output, re.M)
    body = "\n".join([BEGIN, "", table(results, m.group(1) if m else "?"),
                      "", "Everything the benchmarks printed:", "",
                      "```", output.rstrip(), "```", "", END])
    with open(sys.argv[3]) as f:
        doc = f.read()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + body + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip() + "\n\n" + body + "\n"
    with open(sys.argv[3], "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
