#!/usr/bin/env python3
"""Side-by-side throughput of ferrodis-server and redis-server, measured in one run.

Starts both servers on free loopback ports, runs the same redis-benchmark loads on
each (50 clients, without and with pipelining), alternating server order per round,
and prints every figure and the ratio ferrodis/redis. Each figure is the median of
--rounds runs.

    python3 bench/compare.py                 # builds the release binary first
    python3 bench/compare.py --requests 200000 --rounds 5 --tests set,get

Needs redis-server and redis-benchmark (apt-get install -y redis-server redis-tools).
"""

import argparse
import csv
import io
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, name):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode} before accepting connections")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{name} did not start on port {port}")


def start(cmd, port, name, workdir):
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc, name)
    return proc


def bench(port, tests, requests, clients, pipeline, tool):
    cmd = [tool, "-h", "127.0.0.1", "-p", str(port), "-t", tests, "-n", str(requests),
           "-c", str(clients), "-P", str(pipeline), "--csv"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for row in csv.reader(io.StringIO(out)):
        if row and row[0] != "test":
            rows[row[0]] = float(row[1])
    return rows


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_cpu(port, pid, tests, requests, clients, pipeline, tool):
    """Like bench(), plus where the CPU went: the server's CPU microseconds per
    request and the share of one core redis-benchmark itself used. A client near
    100% means the run measured the client's speed rather than the server's."""
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(pid)
    began = time.time()
    rows = bench(port, tests, requests, clients, pipeline, tool)
    wall = time.time() - began
    server = cpu_seconds(pid) - server_before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - client_before.ru_utime) + (after.ru_stime - client_before.ru_stime)
    return rows, server * 1e6 / requests, client / wall


def info_field(port, field):
    """One INFO field, reading exactly the bulk string the server sends."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"INFO\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        header, _, body = data.partition(b"\r\n")
        size = int(header[1:])
        while len(body) < size:
            body += s.recv(65536)
    for line in body.decode(errors="replace").split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return "?"


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", default="set,get,incr,lpush,rpush,lpop,rpop")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ferrodis", default=os.path.join(ROOT, "target/release/ferrodis-server"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    redis_server = shutil.which("redis-server")
    tool = shutil.which("redis-benchmark")
    if not redis_server or not tool:
        sys.exit("needs redis-server and redis-benchmark: apt-get install -y redis-server redis-tools")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ferrodis-server"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferrodis-bench-")
    fport, rport = free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]
    servers = {
        "ferrodis": start([args.ferrodis, "--port", str(fport), "--dir", work, *common], fport, "ferrodis", work),
        "redis": start([redis_server, "--port", str(rport), "--dir", work, "--daemonize", "no", *common], rport, "redis-server", work),
    }
    ports = {"ferrodis": fport, "redis": rport}
    try:
        print(f"redis-benchmark -c {args.clients} -n {args.requests}, median of {args.rounds} rounds, "
              f"{os.cpu_count()} cores")
        print(f"{'test':<10} {'pipeline':>8} {'ferrodis ops/s':>15} {'redis ops/s':>13} {'ratio':>7}")
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            results = {"ferrodis": {}, "redis": {}}
            for r in range(args.rounds):
                order = ["ferrodis", "redis"] if r % 2 == 0 else ["redis", "ferrodis"]
                for name in order:
                    for test, rps in bench(ports[name], args.tests, args.requests, args.clients, pipeline, tool).items():
                        results[name].setdefault(test, []).append(rps)
            for test in results["redis"]:
                f = statistics.median(results["ferrodis"].get(test, [0]))
                r = statistics.median(results["redis"][test])
                print(f"{test:<10} {pipeline:>8} {f:>15,.0f} {r:>13,.0f} {f / r:>7.2f}")
        print()
        for name in ("ferrodis", "redis"):
            print(f"{name:<9} used_memory={info_field(ports[name], 'used_memory')} "
                  f"rss={rss(servers[name].pid)}")
    finally:
        for p in servers.values():
            p.terminate()
            p.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
