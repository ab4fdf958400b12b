#!/usr/bin/env python3
"""Host ports for the tests that no other process holds, asked of the kernel.

    ports.py free N              N distinct ports, one line, space-separated
    ports.py block N             the first of N consecutive ports, all free now
    ports.py refused             one port held bound and never listening

`free` lets the kernel pick (bind 127.0.0.1:0): its ephemeral range (32768 and
up), outside Ray's worker ports 10002-19999 and away from any fixed port a
cluster on this machine uses (the quickstart's 6379, 8265, 10001). Each is
checked on 0.0.0.0 too, as a host-networked node binds there. A kernel that
picks below 32768 (a wider ephemeral range) is not followed: then a random
free port from 32768 up is taken.

`block` is for host networking's pinned ports (network.port_base): a random
start in 20000-32767 (below the ephemeral range, above Ray's worker ports)
whose N ports all bind on 0.0.0.0 now.

`refused` prints a port on 127.0.0.1 that nobody can listen on while it is
held (connections to it are refused), and holds it until its parent exits:
run it as `exec {fd}< <(python3 ports.py refused)` and read the port.
"""
import os
import random
import socket
import sys
import time

# Linux's usual ephemeral range starts here: above Ray's worker ports
# (10002-19999) and the blocks `block` hands out.
FIRST_FREE = 32768


def binds(port, address="0.0.0.0"):
    with socket.socket() as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def free(n):
    for attempt in range(100):
        if attempt < 50:
            held = []
            for _ in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                held.append(s)
            ports = [s.getsockname()[1] for s in held]
            for s in held:
                s.close()
        else:  # a kernel whose ephemeral range starts lower: pick there ourselves
            ports = random.sample(range(FIRST_FREE, 61000), n)
        if all(port >= FIRST_FREE and binds(port, "127.0.0.1") and binds(port)
               for port in ports):
            return ports
    raise SystemExit(f"ports.py: no {n} free ports after 100 tries")


def block(n, first=20000, last=FIRST_FREE - 1):
    starts = list(range(first, last + 2 - n))
    random.shuffle(starts)
    for start in starts[:500]:
        if all(binds(port) for port in range(start, start + n)):
            return start
    raise SystemExit(f"ports.py: no {n} consecutive free ports in {first}-{last}")


def refused():
    parent = os.getppid()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1], flush=True)
    while os.getppid() == parent:
        time.sleep(0.2)


def main():
    command = sys.argv[1]
    if command == "free":
        print(*free(int(sys.argv[2])))
    elif command == "block":
        print(block(int(sys.argv[2])))
    elif command == "refused":
        refused()
    else:
        raise SystemExit(f"ports.py: unknown command {command}")


if __name__ == "__main__":
    main()
