"""A live server that can be stopped and started again on the same port, or replaced by one that hangs.

Stopping the server is how the field tests take the network away: Playwright's set_offline
does not stop a service worker's own requests.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from .conftest import PROJECT, _free_port, run_cli


class RestartableServer:
    """`flask run` on a fixed port, on the test's database; stop() and start() keep the browser's origin."""

    def __init__(self, env, log_path):
        self.env, self.log_path, self.port = env, log_path, _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.hanging = None

    def cli(self, *args):
        return run_cli(self.env, *args)

    def start(self):
        self.release()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "workshops", "run", "--port", str(self.port)],
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2)  # noqa: S310 (local test server)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.3)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def hang(self):
        """Listen on the port, accept every connection and never answer (a weak signal)."""
        self.stop()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        listener.settimeout(0.2)
        held, stop = [], threading.Event()

        def accept():
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])
                except TimeoutError:
                    continue
            listener.close()

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        self.hanging = (thread, stop, held)

    def release(self):
        """Stop hanging: the port is closed (no server at all) until start()."""
        if self.hanging is not None:
            thread, stop, held = self.hanging
            stop.set()
            thread.join(timeout=5)
            for connection in held:
                connection.close()
            self.hanging = None


def server_env(database_url, instance):
    return {**os.environ, "DATABASE_URL": database_url, "WORKSHOPS_INSTANCE_PATH": str(instance)}
