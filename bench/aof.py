#!/usr/bin/env python3
"""AOF costs of ferrodis-server next to redis-server, measured in one run.

1. redis-benchmark SET throughput with `appendonly yes` and `appendfsync everysec`,
   then `always`, on both servers (50 clients, alternating order, median of
   --rounds), with the ratio ferrodis/redis, each server's CPU time per SET and
   the CPU share redis-benchmark itself used. Without pipelining the single-threaded
   client saturates its core against either server, so that ratio mostly measures
   the client and swings a few percent either way between runs: "rounds won"
   counts the rounds where ferrodis was at least as fast as redis-server.
2. BGREWRITEAOF time on the bench/gen_dataset.py dataset, loaded into both.
3. AOF load time at start-up: each server restarted on its own directory, and
   ferrodis also on redis-server's directory (the same files for both).

    python3 bench/aof.py                      # builds the release binary first
    python3 bench/aof.py --strings 200000 --aggregates 20000 --requests 100000

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

from compare import bench_cpu, free_port, info_field, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


class Server:
    def __init__(self, name, binary, workdir, extra):
        self.name, self.binary, self.dir, self.extra = name, binary, workdir, extra
        self.proc = None
        self.port = None

    def start(self):
        """Starts the server and returns the seconds until it answers PING."""
        self.port = free_port()
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
               "--save", "", "--protected-mode", "no", "--daemonize", "no",
               "--logfile", os.path.join(self.dir, "log"), *self.extra]
        began = time.time()
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_ready(self.port, self.proc, self.name)
        return time.time() - began

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    def stop(self):
        self.cli("SHUTDOWN", "NOSAVE")
        self.proc.wait(60)


def rewrite_idle(server):
    return (info_field(server.port, "aof_rewrite_in_progress") == "0"
            and info_field(server.port, "aof_rewrite_scheduled") == "0")


def rewrite_seconds(server):
    # An automatic rewrite (the AOF doubled while the dataset loaded) may be
    # running: BGREWRITEAOF would only be refused, so let it finish first.
    while not rewrite_idle(server):
        time.sleep(0.05)
    before = int(info_field(server.port, "aof_rewrites"))
    began = time.time()
    reply = server.cli("BGREWRITEAOF")
    assert "rewriting" in reply.lower(), reply
    while True:
        if (info_field(server.port, "aof_rewrite_in_progress") == "0"
                and info_field(server.port, "aof_rewrite_scheduled") == "0"
                and int(info_field(server.port, "aof_rewrites")) > before):
            return time.time() - began
        time.sleep(0.005)


def aof_size(workdir):
    d = os.path.join(workdir, "appendonlydir")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--strings", type=int, default=500_000)
    ap.add_argument("--aggregates", type=int, default=50_000)
    ap.add_argument("--ferrodis", default=os.path.join(TARGET, "release/ferrodis-server"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true", help="only the rewrite and load parts")
    args = ap.parse_args()

    redis_server = shutil.which("redis-server")
    tool = shutil.which("redis-benchmark")
    if not redis_server or not tool or not shutil.which("redis-cli"):
        sys.exit("needs redis-server, redis-cli and redis-benchmark: apt-get install -y redis-server redis-tools")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ferrodis-server"], cwd=ROOT, check=True)
    binaries = {"ferrodis": args.ferrodis, "redis": redis_server}

    work = tempfile.mkdtemp(prefix="ferrodis-aof-bench-")
    try:
        print(f"redis-benchmark SET -c {args.clients} -n {args.requests}, median of {args.rounds} rounds, "
              f"{os.cpu_count()} cores")
        print("(server us/op: the server's CPU time per SET; client CPU: the share of one core "
              "redis-benchmark used, near 100% when the client is the bottleneck)")
        print(f"{'appendfsync':<12} {'pipeline':>8} {'ferrodis ops/s':>15} {'redis ops/s':>13} {'ratio':>7}"
              f" {'server us/op f/r':>17} {'client CPU f/r':>15} {'rounds won':>11}")
        for fsync in () if args.skip_throughput else ("everysec", "always"):
            for pipeline in (1, 16):
                results = {"ferrodis": [], "redis": []}
                server_us = {"ferrodis": [], "redis": []}
                client_cpu = {"ferrodis": [], "redis": []}
                for r in range(args.rounds):
                    order = ["ferrodis", "redis"] if r % 2 == 0 else ["redis", "ferrodis"]
                    for name in order:
                        d = tempfile.mkdtemp(dir=work)
                        s = Server(name, binaries[name], d, ["--appendonly", "yes", "--appendfsync", fsync])
                        s.start()
                        rows, us, client = bench_cpu(s.port, s.proc.pid, "set", args.requests,
                                                     args.clients, pipeline, tool)
                        results[name].append(rows["SET"])
                        server_us[name].append(us)
                        client_cpu[name].append(client)
                        s.stop()
                        shutil.rmtree(d, ignore_errors=True)
                f, r = statistics.median(results["ferrodis"]), statistics.median(results["redis"])
                us = "/".join(f"{statistics.median(server_us[n]):.2f}" for n in ("ferrodis", "redis"))
                cpu = "/".join(f"{statistics.median(client_cpu[n]):.0%}" for n in ("ferrodis", "redis"))
                # Rounds where ferrodis was at least as fast as redis-server run next to it.
                won = sum(a >= b for a, b in zip(results["ferrodis"], results["redis"]))
                print(f"{fsync:<12} {pipeline:>8} {f:>15,.0f} {r:>13,.0f} {f / r:>7.2f} {us:>17} {cpu:>15}"
                      f" {won:>6}/{args.rounds}")

        data = os.path.join(work, "data.resp")
        with open(data, "wb") as out:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_dataset.py"),
                            str(args.strings), str(args.aggregates)], stdout=out, check=True)
        print(f"\ndataset: {args.strings} strings, {args.aggregates} x (hash, list, set, zset)")
        servers = {}
        for name in ("ferrodis", "redis"):
            d = os.path.join(work, name)
            os.mkdir(d)
            s = Server(name, binaries[name], d, ["--appendonly", "yes", "--appendfsync", "everysec"])
            s.start()
            with open(data, "rb") as f:
                subprocess.run(["redis-cli", "-p", str(s.port), "--pipe"], stdin=f, check=True,
                               capture_output=True)
            servers[name] = s
        rewrite = {name: rewrite_seconds(s) for name, s in servers.items()}
        keys = {name: s.cli("DBSIZE") for name, s in servers.items()}
        print(f"{'BGREWRITEAOF':<28} ferrodis {rewrite['ferrodis']:.3f} s   redis {rewrite['redis']:.3f} s"
              f"   ratio {rewrite['ferrodis'] / rewrite['redis']:.2f}   (keys {keys['ferrodis']} / {keys['redis']})")
        for s in servers.values():
            s.stop()
        sizes = {name: aof_size(s.dir) for name, s in servers.items()}
        load = {}
        for name, s in servers.items():
            times = []
            for _ in range(args.rounds):
                times.append(s.start())
                assert s.cli("DBSIZE") == keys[name], f"{name} lost keys"
                s.stop()
            load[name] = statistics.median(times)
        print(f"{'AOF load at start-up':<28} ferrodis {load['ferrodis']:.3f} s   redis {load['redis']:.3f} s"
              f"   ratio {load['ferrodis'] / load['redis']:.2f}   (median of {args.rounds}; files {sizes['ferrodis']:,} / {sizes['redis']:,} bytes)")
        # The same files for both: redis-server's directory (an RDB base).
        theirs = Server("ferrodis", args.ferrodis, servers["redis"].dir, ["--appendonly", "yes"])
        times = []
        for _ in range(args.rounds):
            times.append(theirs.start())
            assert theirs.cli("DBSIZE") == keys["redis"], "ferrodis lost keys of redis's AOF"
            theirs.stop()
        same = statistics.median(times)
        print(f"{'redis AOF load (same files)':<28} ferrodis {same:.3f} s   redis {load['redis']:.3f} s"
              f"   ratio {same / load['redis']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
