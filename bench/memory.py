#!/usr/bin/env python3
"""Memory of the same dataset in ferrodis-server and redis-server, measured in one run.

Generates the mixed dataset with bench/gen_dataset.py (a copy of the team's shared
generator: N strings of 100 bytes plus M each of hashes, lists, sets and sorted sets
of 10 members), loads it into both servers with `redis-cli --pipe`, and prints
used_memory, RSS and their ratios.

    python3 bench/memory.py                       # 1M strings, 100k of each aggregate
    python3 bench/memory.py --strings 100000 --aggregates 10000

Needs redis-server and redis-cli (apt-get install -y redis-server redis-tools).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, free_port, info_field, rss, start  # noqa: E402


def load(port, data):
    with open(data, "rb") as f:
        out = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f,
                             capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.stdout else out.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strings", type=int, default=1_000_000)
    ap.add_argument("--aggregates", type=int, default=100_000)
    ap.add_argument("--ferrodis", default=os.path.join(ROOT, "target/release/ferrodis-server"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        sys.exit("needs redis-server and redis-cli: apt-get install -y redis-server redis-tools")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ferrodis-server"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferrodis-mem-")
    data = os.path.join(work, "data.resp")
    with open(data, "wb") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_dataset.py"),
                        str(args.strings), str(args.aggregates)], stdout=f, check=True)
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", work]
    fport, rport = free_port(), free_port()
    servers = {
        "ferrodis": (start([args.ferrodis, "--port", str(fport), *common], fport, "ferrodis", work), fport),
        "redis": (start(["redis-server", "--port", str(rport), "--daemonize", "no", *common], rport, "redis-server", work), rport),
    }
    try:
        results = {}
        for name, (proc, port) in servers.items():
            before = rss(proc.pid)
            t = time.time()
            summary = load(port, data)
            took = time.time() - t
            time.sleep(0.5)
            results[name] = {
                "keys": info_field(port, "db0"),
                "used_memory": int(info_field(port, "used_memory")),
                "rss": rss(proc.pid),
                "rss_before": before,
                "load_s": took,
                "pipe": summary,
            }
        print(f"dataset: {args.strings} strings + {args.aggregates} each of hash/list/set/zset")
        for name, r in results.items():
            print(f"{name:<9} {r['keys']}  used_memory={r['used_memory'] / 2**20:.1f} MiB  "
                  f"rss={r['rss'] / 2**20:.1f} MiB (empty: {r['rss_before'] / 2**20:.1f})  "
                  f"load={r['load_s']:.1f}s  [{r['pipe']}]")
        f, r = results["ferrodis"], results["redis"]
        print(f"ratio ferrodis/redis: rss {f['rss'] / r['rss']:.2f}  used_memory {f['used_memory'] / r['used_memory']:.2f}")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
