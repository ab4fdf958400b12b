#!/usr/bin/env python3
"""A Docker endpoint that gets stuck, for the multi-host tests (a test fixture).

Usage: stuck_endpoint.py SOCKET hang
         Listens on the unix socket SOCKET, accepts every connection and
         never reads from it nor answers: an engine that hangs.
       stuck_endpoint.py SOCKET stall TARGET BYTES MARK
         Forwards each connection to the unix socket TARGET (a real engine)
         both ways, until BYTES bytes have gone from the client to the engine
         on one connection; then it stops reading that client, so the upload
         stalls with the link open: a link that stalls. MARK is created when
         it stalls.

It prints "ready" on stdout once it listens, and runs until killed. Only
unix sockets under a folder the test made: no network traffic at all.
"""
import os
import socket
import sys
import threading

held = []  # connections kept open (and never read)


def serve_hang(server):
    while True:
        conn, _ = server.accept()
        held.append(conn)


def pump(source, sink, limit, mark):
    passed = 0
    try:
        while True:
            if limit is not None and passed >= limit:
                open(mark, "w").close()
                held.append(source)
                held.append(sink)
                return  # stop reading: the client's writes fill the buffers
            want = 65536 if limit is None else min(65536, limit - passed)
            data = source.recv(want)
            if not data:
                sink.shutdown(socket.SHUT_WR)
                return
            sink.sendall(data)
            passed += len(data)
    except OSError:
        return


def serve_stall(server, target, limit, mark):
    while True:
        client, _ = server.accept()
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        engine.connect(target)
        threading.Thread(target=pump, args=(client, engine, limit, mark), daemon=True).start()
        threading.Thread(target=pump, args=(engine, client, None, mark), daemon=True).start()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    if mode == "hang":
        serve_hang(server)
    elif mode == "stall":
        serve_stall(server, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
