"""What the client tests share: a real `rekindle serve` on a free port with a fresh data dir and
a write key, REST reads as the admin, and checks that are counted and reported."""

import contextlib
import json
import subprocess
import tempfile
import urllib.request

ADMIN = "clients-e2e-admin"


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(("ok     " if ok else "FAILED ") + what + (f": {detail}" if detail and not ok else ""))

    def exit_code(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def api(base, path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


@contextlib.contextmanager
def rekindle(binary, key_name):
    """Yield (base URL, write key) of a server that is killed when the block ends."""
    data = tempfile.mkdtemp(prefix=f"rekindle-{key_name}-")
    key = subprocess.run([binary, "--data-dir", data, "keys", "create", key_name],
                         check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([binary, "--data-dir", data, "serve", "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env={"REKINDLE__API__ADMIN_TOKEN": ADMIN, "PATH": "/usr/bin:/bin"})
    try:
        base = None
        for line in server.stdout:
            if line.startswith("Rekindle listening on "):
                base = line.split()[-1]
                break
        yield base, key
    finally:
        server.kill()
        server.wait()
