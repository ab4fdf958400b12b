#!/usr/bin/env python3
"""The schema in a real editor setup: yaml-language-server (from npm) checks
specs that name docs/raylaunch.schema.json in a `# yaml-language-server:
$schema=` line, as VS Code or Neovim would.

    yaml_ls_check.py SERVER SCHEMA ROOT

Every example must get no diagnostic; a spec with an unknown key, a wrong type
and a bad enum must get one for each.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def send(proc, message):
    body = json.dumps(message).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def receive(proc):
    length = 0
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("yaml-language-server exited")
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(proc.stdout.read(length))


def diagnostics_for(proc, uris, timeout=60):
    """Waits for the server's diagnostics of every uri; answers its requests."""
    found = {}
    deadline = time.time() + timeout
    while len(found) < len(uris) and time.time() < deadline:
        message = receive(proc)
        if "id" in message and "method" in message:  # a request from the server
            result = [None] * len(message.get("params", {}).get("items", []))
            send(proc, {"jsonrpc": "2.0", "id": message["id"], "result": result})
        elif message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            if params["uri"] in uris:
                found[params["uri"]] = params["diagnostics"]
    return found


def main():
    server, schema, root = sys.argv[1:4]
    work = tempfile.mkdtemp()
    specs = {}
    for name in sorted(os.listdir(os.path.join(root, "examples"))):
        if name.endswith(".yml"):
            with open(os.path.join(root, "examples", name), encoding="utf-8") as f:
                specs[name] = (f.read(), 0)
    specs["bad.yml"] = ("name: demo\nimage: rayproject/ray:2.52.1\nreplics: 3\n"
                        "network: {mode: overlay}\nworkers:\n  - group: cpu\n    replicas: many\n", 3)
    proc = subprocess.Popen([server, "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": os.getpid(), "rootUri": "file://" + work,
                           "capabilities": {}}})
    while receive(proc).get("id") != 1:
        pass
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send(proc, {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
                "params": {"settings": {"yaml": {"validate": True, "schemaStore": {"enable": False}}}}})
    uris = {}
    for name, (text, _) in specs.items():
        path = os.path.join(work, name)
        text = f"# yaml-language-server: $schema={os.path.abspath(schema)}\n" + text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        uri = "file://" + path
        uris[uri] = name
        send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen",
                    "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                "text": text}}})
    found = diagnostics_for(proc, set(uris))
    proc.kill()
    failures = 0
    for uri, name in uris.items():
        want = specs[name][1]
        got = found.get(uri)
        if got is None or len(got) != want:
            failures += 1
            print(f"FAIL {name}: want {want} diagnostics, got "
                  f"{None if got is None else [d['message'] for d in got]}", file=sys.stderr)
    print(f"yaml-language-server: {len(uris) - failures} of {len(uris)} specs as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
