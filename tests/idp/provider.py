"""Start and stop the test identity provider (tests/idp/server.mjs: oidc-provider under node) on 127.0.0.1.

    idp = OidcProvider(users={"alice": {"email": ..., "groups": ["staff"], "password": "pw"}})
    idp.add_client("interview-track", "secret", ["http://127.0.0.1:8000/accounts/oidc/idp/login/callback/"])
    idp.start()            # waits for `IDP READY <issuer>`; idp.issuer, idp.port are set
    idp.set_users({...})   # rewrites the users file; the IdP reads it again at the next login or claims lookup
    idp.stop()

Clients are passed to node in its environment, so add them before start(). Node and tests/idp/node_modules are
required: ensure_node_modules() runs `npm ci` when node_modules is missing or older than package-lock.json.
Missing node or a failed install skips locally and fails under CI=true (tests.conftest.require_service).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import require_service

IDP_DIR = Path(__file__).resolve().parent
SERVER = IDP_DIR / "server.mjs"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
NPM_TIMEOUT_S = 600


def _node_modules_stale() -> bool:
    lock = IDP_DIR / "package-lock.json"
    installed = IDP_DIR / "node_modules" / ".package-lock.json"  # npm writes it at the end of every install
    if not (IDP_DIR / "node_modules" / "oidc-provider" / "package.json").is_file() or not installed.is_file():
        return True
    return installed.stat().st_mtime < lock.stat().st_mtime


def ensure_node_modules() -> None:
    """`npm ci` in tests/idp when node_modules is missing or older than package-lock.json (a clean clone works)."""
    require_service("node", shutil.which("node") is not None, "`node` (Node.js >= 20.19) is not on PATH")
    if not _node_modules_stale():
        return
    npm = shutil.which("npm")
    require_service("npm", npm is not None, "`npm` is not on PATH; it installs tests/idp/node_modules")
    # One installer at a time (parallel test processes): npm ci deletes node_modules before it installs.
    with open(Path(tempfile.gettempdir()) / f"interview-track-idp-npm-{os.getuid()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _node_modules_stale():
                return
            try:
                done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, capture_output=True,
                                      text=True, timeout=NPM_TIMEOUT_S)
                ok, why = done.returncode == 0, f"exit {done.returncode}\n{(done.stdout + done.stderr)[-4000:]}"
            except (OSError, subprocess.TimeoutExpired) as exc:
                ok, why = False, repr(exc)
            require_service("tests/idp node_modules", ok, f"`npm ci --no-audit --no-fund` in {IDP_DIR} failed: {why}")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class OidcProviderError(RuntimeError):
    """The identity provider did not start (the message carries node's output)."""


class OidcProvider:
    """A real OpenID Connect provider (oidc-provider) in a node child process, listening on 127.0.0.1 only."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None, *, require_pkce: bool = False) -> None:
        self.require_pkce = require_pkce
        self.clients: list[dict[str, Any]] = []
        self.port: int | None = None
        self.issuer: str | None = None
        self.returncode: int | None = None  # node's exit status after stop() (0: it exited cleanly on SIGTERM)
        self._dir = Path(tempfile.mkdtemp(prefix="test-idp-"))
        self.users_file = self._dir / "users.json"
        self._users: dict[str, dict[str, Any]] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self.set_users(users or {})

    # -- configuration --------------------------------------------------------------------------------------

    def add_client(self, client_id: str, secret: str, redirect_uris: list[str], **metadata: Any) -> None:
        """Register a confidential web client (client_secret_basic or _post both work). Before start() only.

        `metadata` is passed to oidc-provider as client metadata, e.g. post_logout_redirect_uris=[...].
        """
        if self._proc is not None:
            raise RuntimeError("add_client() must be called before start(): clients reach node in its environment")
        self.clients.append({"client_id": client_id, "client_secret": secret,
                             "redirect_uris": list(redirect_uris), **metadata})

    def set_users(self, users: dict[str, dict[str, Any]]) -> None:
        """Replace the users file ({sub: {email, groups, password, ...}}); it is read again at every login."""
        self._users = json.loads(json.dumps(users))  # a copy, and proof that it is JSON
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._users, indent=2))
        os.replace(tmp, self.users_file)  # atomic: node never reads a half-written file

    # -- lifecycle ------------------------------------------------------------------------------------------

    @property
    def output(self) -> str:
        """Everything node printed so far (stdout and stderr)."""
        return "".join(self._lines)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def url(self, path: str) -> str:
        if self.issuer is None:
            raise RuntimeError("the identity provider is not started")
        return self.issuer.rstrip("/") + "/" + path.lstrip("/")

    @property
    def discovery_url(self) -> str:
        return self.url("/.well-known/openid-configuration")

    def start(self) -> OidcProvider:
        if self._proc is not None:
            raise RuntimeError("already started")
        ensure_node_modules()
        self.set_users(self._users)  # (again: stop() removed the file)
        node = shutil.which("node")
        require_service("node", node is not None, "`node` (Node.js >= 20.19) is not on PATH")
        for attempt in range(3):  # a free port can be taken between probing and listening: try another one
            port = _free_port()
            if self._spawn(node, port):
                return self
            busy = "EADDRINUSE" in self.output
            exited = self._proc.poll() if self._proc is not None else None
            self._reap()
            if not busy or attempt == 2:
                how = (f"exited with status {exited}" if exited is not None
                       else f"printed no `IDP READY` line within {START_TIMEOUT_S:.0f} s")
                raise OidcProviderError(f"the test identity provider (node {SERVER}) {how}; its output:\n"
                                        f"{self.output or '(nothing)'}")
        raise AssertionError("unreachable")

    def _spawn(self, node: str, port: int) -> bool:
        issuer = f"http://{HOST}:{port}"
        env = {**os.environ, "IDP_PORT": str(port), "IDP_ISSUER": issuer, "IDP_CLIENTS": json.dumps(self.clients),
               "IDP_USERS_FILE": str(self.users_file), "IDP_REQUIRE_PKCE": "true" if self.require_pkce else "false",
               "NODE_NO_WARNINGS": "1"}
        self._lines, self._ready = [], threading.Event()
        self._proc = subprocess.Popen([node, str(SERVER)], cwd=IDP_DIR, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, args=(self._proc, f"IDP READY {issuer}"), daemon=True,
                                        name=f"idp-output-{port}")
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._ready.wait(0.05):
                self.port, self.issuer = port, issuer
                return True
            if self._proc.poll() is not None:
                self._reader.join(2)  # collect what it printed before it died
                return False
        return False

    def _read(self, proc: subprocess.Popen[str], ready_line: str) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # drain until exit, so a chatty node never blocks on a full pipe
            self._lines.append(line)
            if line.strip() == ready_line:
                self._ready.set()

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: server.mjs closes its listener and exits 0
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.returncode = proc.returncode
        if self._reader is not None:
            self._reader.join(2)
        if proc.stdout is not None:
            proc.stdout.close()

    def stop(self) -> None:
        self._reap()
        self.port = self.issuer = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # a forgotten stop() (or a start() that failed) leaves no node and no files
        with contextlib.suppress(Exception):
            self._reap()
            shutil.rmtree(self._dir, ignore_errors=True)
