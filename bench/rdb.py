#!/usr/bin/env python3
"""RDB persistence of ferrodis-server and redis-server on the same dataset, in one run.

Loads the bench/gen_dataset.py dataset into both servers (`redis-cli --pipe`), then:
  - SAVE: seconds each server takes to write its dump.rdb (synchronous SAVE);
  - start-up load: each server restarted on its own file, seconds until PING
    answers and INFO says loading:0 with every key back (a ferrodis without
    start-up loading is measured with DEBUG RELOAD NOSAVE instead, and says so);
  - `ferrodis-rdb dump FILE > /dev/null` throughput in MB/s of the file;
  - BGSAVE under a redis-benchmark write load: ferrodis's extra RSS (peak during
    the save minus the peak under the same load just before) against the dataset
    (used_memory after loading); target < 20%. For Redis, the child's
    copy-on-write as it reports it (rdb_last_cow_size).

    python3 bench/rdb.py                         # 1M strings, 100k of each aggregate
    python3 bench/rdb.py --strings 200000 --aggregates 20000

Needs redis-server, redis-cli, redis-benchmark (apt-get install -y redis-server redis-tools).
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, free_port, info_field, rss  # noqa: E402
from memory import load  # noqa: E402


def command(port, *args, timeout=600):
    """One command, its reply's first line (enough for status, integers, errors)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        s.sendall(b"".join(parts))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0].decode()


def start(cmd, port, workdir):
    """Starts a server and returns (process, seconds until it answers PING with loading:0)."""
    t = time.time()
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{cmd[0]} exited with {proc.returncode}")
        try:
            if command(port, "PING", timeout=5) == "+PONG" and info_field(port, "loading") == "0":
                return proc, time.time() - t
        except OSError:
            pass
        time.sleep(0.005)
    sys.exit(f"{cmd[0]} never became ready")


def stop(proc):
    proc.terminate()
    proc.wait(60)


def keys(port):
    """db0's key count (avg_ttl moves with time)."""
    return info_field(port, "db0").split(",")[0]


def wait_bgsave(port):
    while info_field(port, "rdb_bgsave_in_progress") != "0":
        time.sleep(0.005)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strings", type=int, default=1_000_000)
    ap.add_argument("--aggregates", type=int, default=100_000)
    ap.add_argument("--ferrodis", default=os.path.join(ROOT, "target/release/ferrodis-server"))
    ap.add_argument("--rdb-tool", default=os.path.join(ROOT, "target/release/ferrodis-rdb"))
    ap.add_argument("--bench-keys", type=int, default=100_000, help="keyspace of the write load")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="start-up loads per server (median)")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-cli", "redis-benchmark"):
        if not shutil.which(tool):
            sys.exit(f"needs {tool}: apt-get install -y redis-server redis-tools")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ferrodis-server", "-p", "ferrodis-rdb"],
                       cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferrodis-rdb-")
    data = os.path.join(work, "data.resp")
    with open(data, "wb") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_dataset.py"),
                        str(args.strings), str(args.aggregates)], stdout=f, check=True)
    dirs = {name: os.path.join(work, name) for name in ("ferrodis", "redis")}
    for d in dirs.values():
        os.makedirs(d)
    ports = {"ferrodis": free_port(), "redis": free_port()}

    def cmdline(name):
        common = ["--port", str(ports[name]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", dirs[name], "--enable-debug-command", "yes"]
        if name == "ferrodis":
            return [args.ferrodis, *common]
        return ["redis-server", "--daemonize", "no", *common]

    results = {name: {} for name in ports}
    procs = {}
    try:
        for name, port in ports.items():
            procs[name], _ = start(cmdline(name), port, dirs[name])
            load(port, data)
            r = results[name]
            r["keys"] = keys(port)
            r["used_memory"] = int(info_field(port, "used_memory"))
            t = time.time()
            reply = command(port, "SAVE")
            r["save_s"] = time.time() - t
            assert reply == "+OK", reply
            r["file_bytes"] = os.path.getsize(os.path.join(dirs[name], "dump.rdb"))
            stop(procs.pop(name))

            # Start-up load of the file just written.
            procs[name], r["load_s"] = start(cmdline(name), port, dirs[name])
            r["load_how"] = "start-up"
            if keys(port) != r["keys"]:
                t = time.time()
                reply = command(port, "DEBUG", "RELOAD", "NOSAVE")
                assert reply == "+OK", reply
                r["load_s"] = time.time() - t
                r["load_how"] = "DEBUG RELOAD NOSAVE (no start-up loading in this build)"
            assert keys(port) == r["keys"], (name, keys(port))
            if r["load_how"] == "start-up":
                times = [r["load_s"]]
                for _ in range(args.rounds - 1):
                    stop(procs.pop(name))
                    procs[name], seconds = start(cmdline(name), port, dirs[name])
                    times.append(seconds)
                r["load_s"] = statistics.median(times)

            # BGSAVE under a write load on keys that exist already.
            bench = ["redis-benchmark", "-p", str(port), "-t", "set", "-r", str(args.bench_keys),
                     "-d", "100", "-c", "50", "-q"]
            subprocess.run([*bench, "-n", str(4 * args.bench_keys)], check=True, capture_output=True)
            loader = subprocess.Popen([*bench, "-n", "100000000", "-l"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            peak_before = 0
            t_end = time.time() + 2.0
            while time.time() < t_end:
                peak_before = max(peak_before, rss(procs[name].pid))
                time.sleep(0.01)
            peak_during = 0
            t = time.time()
            reply = command(port, "BGSAVE")
            assert reply.startswith("+Background saving started"), reply
            sampling = [True]

            def sample():
                nonlocal peak_during
                while sampling[0]:
                    peak_during = max(peak_during, rss(procs[name].pid))
                    time.sleep(0.005)
            sampler = threading.Thread(target=sample)
            sampler.start()
            wait_bgsave(port)
            r["bgsave_s"] = time.time() - t
            sampling[0] = False
            sampler.join()
            loader.terminate()
            loader.wait()
            r["rss_before"] = peak_before
            r["rss_during"] = peak_during
            r["cow"] = int(info_field(port, "rdb_last_cow_size"))
            r["bgsave_status"] = info_field(port, "rdb_last_bgsave_status")
            stop(procs.pop(name))

        # ferrodis on redis-server's file: the same bytes for both (the BGSAVE
        # above wrote it, so it also holds the write load's keys).
        theirs = [a if a != dirs["ferrodis"] else dirs["redis"] for a in cmdline("ferrodis")]
        times = []
        for _ in range(args.rounds):
            proc, seconds = start(theirs, ports["ferrodis"], dirs["redis"])
            same_keys = keys(ports["ferrodis"])
            stop(proc)
            times.append(seconds)
        same_file = statistics.median(times)

        # The dump tool on ferrodis's file.
        path = os.path.join(dirs["ferrodis"], "dump.rdb")
        t = time.time()
        with open(os.devnull, "wb") as null:
            subprocess.run([args.rdb_tool, "dump", path], stdout=null, check=True)
        dump_s = time.time() - t

        print(f"dataset: {args.strings} strings + {args.aggregates} each of hash/list/set/zset")
        for name, r in results.items():
            print(f"{name:<9} {r['keys']}  used_memory={r['used_memory'] / 2**20:.1f} MiB  "
                  f"file={r['file_bytes'] / 2**20:.1f} MiB  SAVE={r['save_s']:.2f}s  "
                  f"load={r['load_s']:.2f}s ({r['load_how']})")
        f, rd = results["ferrodis"], results["redis"]
        print(f"ratio ferrodis/redis: SAVE {f['save_s'] / rd['save_s']:.2f}  load {f['load_s'] / rd['load_s']:.2f}"
              f"  (loads: median of {args.rounds})")
        print(f"ferrodis loading redis-server's file ({same_keys}): {same_file:.2f}s, "
              f"ratio {same_file / rd['load_s']:.2f} to redis loading its own")
        print(f"ferrodis-rdb dump: {f['file_bytes'] / 2**20 / dump_s:.1f} MB/s "
              f"({f['file_bytes'] / 2**20:.1f} MiB in {dump_s:.2f}s)")
        extra = f["rss_during"] - f["rss_before"]
        print(f"BGSAVE under redis-benchmark writes: ferrodis extra RSS {max(extra, 0) / 2**20:.1f} MiB "
              f"= {100 * max(extra, 0) / f['used_memory']:.1f}% of the dataset "
              f"(peak {f['rss_during'] / 2**20:.1f} vs {f['rss_before'] / 2**20:.1f} MiB before; "
              f"save took {f['bgsave_s']:.2f}s, status {f['bgsave_status']}); target < 20%")
        print(f"                                     redis copy-on-write {rd['cow'] / 2**20:.1f} MiB "
              f"= {100 * rd['cow'] / rd['used_memory']:.1f}% of the dataset (save took {rd['bgsave_s']:.2f}s)")
    finally:
        for proc in procs.values():
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
