"""Start and stop a real SAML 2.0 identity provider for tests: Debian's SimpleSAMLphp (1.19) under PHP's built-in web
server, on 127.0.0.1 only, with its configuration, signing key and certificate written per run under a temporary
folder (SIMPLESAMLPHP_CONFIG_DIR); nothing in /etc/simplesamlphp is read or changed.

    idp = SamlIdp(users={"alice": {"password": "pw", "uid": "alice", "mail": ..., "displayName": ...,
                                   "groups": ["staff"]}})
    idp.start()                       # a free port; waits until its metadata answers; idp.base_url etc. are set
    idp.add_sp(entity_id, acs_url)    # the service provider it signs assertions for (any time)
    idp.set_users({...})              # rewrites the users; read again at the next login (not by a live IdP session)
    idp.stop()

Users log in at SimpleSAMLphp's own form (exampleauth:UserPass); every key but `password` is released as a SAML
attribute (a list of strings). Responses and assertions are signed (RSA-SHA256). Missing php, its dom and mbstring
extensions or simplesamlphp (Debian: `apt-get install simplesamlphp php-cli php-xml php-mbstring`; the
simplesamlphp package does not depend on php-xml) skips locally and fails under CI=true (tests.conftest).
PHP's opcache is turned off: it would serve a rewritten users file stale for a few seconds.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import require_service

SIMPLESAMLPHP = Path(os.environ.get("SIMPLESAMLPHP_DIR", "/usr/share/simplesamlphp"))
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
AUTH_SOURCE = "test-users"


def _php(value: Any) -> str:
    """A PHP literal for a JSON-like value (single-quoted strings: nothing in them is interpolated)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    raise TypeError(f"no PHP literal for {type(value).__name__}")


def _write_php(path: Path, body: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("<?php\n" + body + "\n")
    os.replace(tmp, path)  # atomic: PHP never reads a half-written file


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _key_and_certificate() -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate for the IdP's signatures (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Interview Track test SAML IdP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


class SamlIdpError(RuntimeError):
    """The identity provider did not start (the message carries PHP's output and SimpleSAMLphp's log)."""


class SamlIdp:
    """A real SAML 2.0 IdP (SimpleSAMLphp under `php -S`), listening on 127.0.0.1 only."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.port: int | None = None
        self.base_url: str | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="test-samlidp-"))
        for sub in ("config", "config/metadata", "cert", "log", "data", "tmp", "sessions"):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)
        self.key_pem, self.certificate_pem = _key_and_certificate()
        (self._dir / "cert" / "idp.key").write_text(self.key_pem)
        (self._dir / "cert" / "idp.crt").write_text(self.certificate_pem)
        self._sps: dict[str, dict[str, Any]] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None
        self.set_users(users or {})
        self._write_sps()

    # -- configuration --------------------------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        return self._dir / "config"

    def set_users(self, users: dict[str, dict[str, Any]]) -> None:
        """Replace the users ({username: {password, attribute: value or [values], ...}}); read at every login."""
        source: dict[str, Any] = {}
        for username, user in users.items():
            if ":" in username or "password" not in user:
                raise ValueError(f"user {username!r}: a username without ':' and a password are required")
            attributes = {k: [str(x) for x in (v if isinstance(v, list | tuple) else [v])]
                          for k, v in user.items() if k != "password"}
            source[f"{username}:{user['password']}"] = attributes
        _write_php(self.config_dir / "authsources.php",
                   f"$config = ['admin' => ['core:AdminPassword'], {_php(AUTH_SOURCE)} => "
                   f"array_merge(['exampleauth:UserPass'], {_php(source)})];")

    def add_sp(self, entity_id: str, acs_url: str, *, slo_url: str | None = None) -> None:
        """Trust a service provider: signed responses and assertions go to its ACS URL (HTTP-POST binding)."""
        self._sps[entity_id] = {
            "AssertionConsumerService": [{"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                                          "Location": acs_url, "index": 0}],
            **({"SingleLogoutService": [{"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                                         "Location": slo_url}]} if slo_url else {}),
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            "saml20.sign.response": True,
            "saml20.sign.assertion": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        }
        self._write_sps()

    def _write_sps(self) -> None:
        body = "\n".join(f"$metadata[{_php(eid)}] = {_php(sp)};" for eid, sp in self._sps.items())
        _write_php(self.config_dir / "metadata" / "saml20-sp-remote.php", "$metadata = [];\n" + body)

    def _write_config(self, port: int) -> None:
        base = f"http://{HOST}:{port}/"
        d = self._dir
        config = {
            "baseurlpath": base,
            "certdir": f"{d}/cert/",
            "loggingdir": f"{d}/log/",
            "datadir": f"{d}/data/",
            "tempdir": f"{d}/tmp",
            "metadatadir": f"{d}/config/metadata/",
            "metadata.sources": [{"type": "flatfile"}],
            "secretsalt": secrets.token_hex(32),
            "auth.adminpassword": secrets.token_urlsafe(24),
            "admin.checkforupdates": False,
            "technicalcontact_name": "Interview Track tests",
            "technicalcontact_email": "idp@example.test",
            "timezone": "UTC",
            "enable.saml20-idp": True,
            "enable.shib13-idp": False,
            "enable.adfs-idp": False,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            "store.type": "phpsession",
            "session.phpsession.savepath": f"{d}/sessions",
            "session.cookie.secure": False,
            "session.cookie.samesite": None,
            "language.cookie.secure": False,
            "language.cookie.samesite": None,
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "logging.level": 7,  # SimpleSAML\Logger::DEBUG
            "showerrors": True,
            "errorreporting": False,
            "debug": {"saml": False, "backtraces": True, "validatexml": False},
            "production": True,
            "trusted.url.domains": [],
            "assertion.allowed_clock_skew": 180,
        }
        _write_php(self.config_dir / "config.php", f"$config = {_php(config)};")
        entity_id = base + "saml2/idp/metadata.php"
        hosted = {"host": "__DEFAULT__", "privatekey": "idp.key", "certificate": "idp.crt", "auth": AUTH_SOURCE,
                  "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                  "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}
        _write_php(self.config_dir / "metadata" / "saml20-idp-hosted.php",
                   f"$metadata = [{_php(entity_id)} => {_php(hosted)}];")

    # -- addresses ------------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if self.base_url is None:
            raise RuntimeError("the identity provider is not started")
        return self.base_url + path.lstrip("/")

    @property
    def entity_id(self) -> str:
        return self.url("saml2/idp/metadata.php")

    @property
    def metadata_url(self) -> str:
        return self.url("saml2/idp/metadata.php")

    @property
    def sso_url(self) -> str:
        return self.url("saml2/idp/SSOService.php")

    @property
    def slo_url(self) -> str:
        return self.url("saml2/idp/SingleLogoutService.php")

    # -- lifecycle ------------------------------------------------------------------------------------------

    @property
    def output(self) -> str:
        """What PHP printed (one line a request) and SimpleSAMLphp's log."""
        log = self._dir / "log" / "simplesamlphp.log"
        return "".join(self._lines) + (f"\n--- simplesamlphp.log\n{log.read_text()}" if log.is_file() else "")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> SamlIdp:
        if self._proc is not None:
            raise RuntimeError("already started")
        php = shutil.which("php")
        require_service("php", php is not None, "`php` is not on PATH (Debian: apt-get install php-cli)")
        require_service("SimpleSAMLphp", (SIMPLESAMLPHP / "www" / "saml2" / "idp" / "SSOService.php").is_file(),
                        f"{SIMPLESAMLPHP} is missing (Debian: apt-get install simplesamlphp)")
        assert php is not None
        probe = subprocess.run([php, "-r", 'exit(extension_loaded("dom") && extension_loaded("mbstring") ? 0 : 1);'],
                               capture_output=True, text=True, timeout=30)
        require_service("PHP dom and mbstring", probe.returncode == 0,
                        "SimpleSAMLphp needs them and its Debian package does not pull them in "
                        "(Debian: apt-get install php-xml php-mbstring)")
        for attempt in range(3):  # a free port can be taken between probing and listening: try another one
            port = _free_port()
            if self._spawn(php, port):
                return self
            busy = "Address already in use" in self.output
            exited = self._proc.poll() if self._proc is not None else None
            self._reap()
            if not busy or attempt == 2:
                how = (f"exited with status {exited}" if exited is not None
                       else f"served no metadata within {START_TIMEOUT_S:.0f} s")
                raise SamlIdpError(f"the test SAML IdP (php -S {HOST}:{port}, {SIMPLESAMLPHP}) {how}; its output:\n"
                                   f"{self.output or '(nothing)'}")
        raise AssertionError("unreachable")

    def _spawn(self, php: str, port: int) -> bool:
        self._write_config(port)
        env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(self.config_dir)}
        self._lines = []
        # opcache is on under `php -S` (Debian's php.ini) and would serve a rewritten users file stale for seconds.
        self._proc = subprocess.Popen(
            [php, "-d", "opcache.enable=0", "-d", "display_errors=stderr", "-S", f"{HOST}:{port}",
             "-t", str(SIMPLESAMLPHP / "www")],
            cwd=self._dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, args=(self._proc,), daemon=True,
                                        name=f"samlidp-output-{port}")
        self._reader.start()
        self.port, self.base_url = port, f"http://{HOST}:{port}/"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._reader.join(2)
                break
            with contextlib.suppress(OSError), urllib.request.urlopen(self.metadata_url, timeout=5) as response:
                if response.status == 200 and b"IDPSSODescriptor" in response.read():
                    return True
            time.sleep(0.1)
        self.port = self.base_url = None
        return False

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # drain until exit, so PHP never blocks on a full pipe
            self._lines.append(line)

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(2)
        if proc.stdout is not None:
            proc.stdout.close()

    def stop(self) -> None:
        self._reap()
        self.port = self.base_url = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SamlIdp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # a forgotten stop() (or a start() that failed) leaves no PHP and no files
        with contextlib.suppress(Exception):
            self._reap()
            shutil.rmtree(self._dir, ignore_errors=True)
