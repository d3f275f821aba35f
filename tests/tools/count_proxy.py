#!/usr/bin/env python3
"""A TCP relay to 127.0.0.1:TARGET_PORT that counts the connections it
accepts, so that a test can see from the endpoint's side how often a
client tried (an upgrade the endpoint refuses never becomes a session).

Usage: count_proxy.py TARGET_PORT COUNT_FILE
Prints its own port on stdout once listening; COUNT_FILE always holds the
number of connections accepted so far (replaced whole, never half
written). Runs until killed.
"""
import os
import socket
import sys
import threading


def write_count(path, n):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{n}\n")
    os.replace(tmp, path)


def pump(src, dst, done):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    # the second direction to finish closes both sockets
    with done["lock"]:
        done["n"] += 1
        if done["n"] == 2:
            src.close()
            dst.close()


def main():
    target, count_file = int(sys.argv[1]), sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    accepted = 0
    write_count(count_file, accepted)
    print(srv.getsockname()[1], flush=True)
    while True:
        client, _ = srv.accept()
        accepted += 1
        write_count(count_file, accepted)
        try:
            upstream = socket.create_connection(("127.0.0.1", target))
        except OSError:
            client.close()
            continue
        done = {"n": 0, "lock": threading.Lock()}
        threading.Thread(target=pump, args=(client, upstream, done), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, done), daemon=True).start()


if __name__ == "__main__":
    main()
