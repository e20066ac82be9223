#!/usr/bin/env python3
"""Replication figures of ferrodis-server and redis-server, measured in one run.

1. Full sync: a master loaded with gen_dataset.py's dataset, then a replica of the
   same kind (ferrodis of ferrodis, redis of redis) told REPLICAOF; the time until
   its master_link_status is up and its offset equals the master's.
   Both masters run with repl-diskless-sync-delay 0.
2. Master throughput: redis-benchmark SET/INCR/LPUSH on the master alone, then with
   that replica attached (the stream to one replica on top of every write).

    python3 bench/replication.py                      # builds the release binary
    python3 bench/replication.py --strings 200000 --aggregates 50000 --rounds 3

Needs redis-server, redis-cli and redis-benchmark (apt-get install -y redis-server
redis-tools).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, bench, free_port, info_field, start  # noqa: E402


def cli(tool, port, *args):
    return subprocess.run([tool, "-p", str(port), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def load(cli_tool, port, dataset):
    with open(dataset, "rb") as f:
        subprocess.run([cli_tool, "-p", str(port), "--pipe"], stdin=f, check=True,
                       capture_output=True)


def full_sync_time(cli_tool, master, replica):
    """Seconds from REPLICAOF to a replica up and caught up."""
    t0 = time.perf_counter()
    cli(cli_tool, replica, "REPLICAOF", "127.0.0.1", str(master))
    deadline = t0 + 600
    while time.perf_counter() < deadline:
        if (info_field(replica, "master_link_status") == "up"
                and info_field(replica, "slave_repl_offset")
                == info_field(master, "master_repl_offset")):
            return time.perf_counter() - t0
        time.sleep(0.005)
    sys.exit("full sync did not complete in 600 s")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strings", type=int, default=200000)
    ap.add_argument("--aggregates", type=int, default=50000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--tests", default="set,incr,lpush")
    ap.add_argument("--ferrodis", default=os.path.join(ROOT, "target/release/ferrodis-server"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--sync-only", action="store_true", help="skip the throughput part")
    args = ap.parse_args()

    redis_server = shutil.which("redis-server")
    cli_tool = shutil.which("redis-cli")
    bench_tool = shutil.which("redis-benchmark")
    if not (redis_server and cli_tool and bench_tool):
        sys.exit("needs redis-server, redis-cli, redis-benchmark: apt-get install -y redis-server redis-tools")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ferrodis-server"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferrodis-repl-bench-")
    dataset = os.path.join(work, "data.resp")
    with open(dataset, "wb") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_dataset.py"),
                        str(args.strings), str(args.aggregates)], stdout=f, check=True)
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no",
              "--repl-diskless-sync-delay", "0"]
    binaries = {"ferrodis": [args.ferrodis], "redis": [redis_server, "--daemonize", "no"]}
    procs = []

    def server(kind):
        port = free_port()
        d = tempfile.mkdtemp(dir=work)
        procs.append(start([*binaries[kind], "--port", str(port), "--dir", d, *common], port, kind, d))
        return port

    try:
        print(f"dataset: gen_dataset.py {args.strings} {args.aggregates}; "
              f"median of {args.rounds} rounds; {os.cpu_count()} cores")
        masters = {}
        for kind in ("ferrodis", "redis"):
            masters[kind] = server(kind)
            load(cli_tool, masters[kind], dataset)
        syncs = {"ferrodis": [], "redis": []}
        replicas = {}
        for r in range(args.rounds):
            for kind in (("ferrodis", "redis") if r % 2 == 0 else ("redis", "ferrodis")):
                if kind in replicas:
                    cli(cli_tool, replicas[kind], "REPLICAOF", "NO", "ONE")
                    cli(cli_tool, replicas[kind], "FLUSHALL")
                else:
                    replicas[kind] = server(kind)
                syncs[kind].append(full_sync_time(cli_tool, masters[kind], replicas[kind]))
        f, rd = statistics.median(syncs["ferrodis"]), statistics.median(syncs["redis"])
        keys = info_field(masters["ferrodis"], "db0")
        print(f"full sync ({keys}): ferrodis {f:.3f} s, redis {rd:.3f} s, ratio {f / rd:.2f}")
        if args.sync_only:
            return

        print(f"\nmaster throughput, redis-benchmark -c 50 -n {args.requests} (ops/s)")
        print(f"{'server':<9} {'test':<6} {'alone':>10} {'1 replica':>10} {'ratio':>6}")
        for kind in ("ferrodis", "redis"):
            with_replica = {}
            alone = {}
            for _ in range(args.rounds):
                for t, v in bench(masters[kind], args.tests, args.requests, 50, 1, bench_tool).items():
                    with_replica.setdefault(t, []).append(v)
            cli(cli_tool, replicas[kind], "REPLICAOF", "NO", "ONE")
            time.sleep(0.5)
            for _ in range(args.rounds):
                for t, v in bench(masters[kind], args.tests, args.requests, 50, 1, bench_tool).items():
                    alone.setdefault(t, []).append(v)
            for t in alone:
                a, w = statistics.median(alone[t]), statistics.median(with_replica[t])
                print(f"{kind:<9} {t:<6} {a:>10,.0f} {w:>10,.0f} {w / a:>6.2f}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
