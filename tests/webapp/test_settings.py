"""Configuration errors are one clear line, not a traceback; defaults run with no services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_check(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    env.update({"INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "webapp.settings"})
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_missing_secret_key_with_debug_off_is_a_clear_error(tmp_path):
    result = _run_check({}, tmp_path)
    assert result.returncode != 0
    assert "Configuration error: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_sandbox_backend_is_a_clear_error(tmp_path):
    result = _run_check({"DJANGO_DEBUG": "true", "SANDBOX_BACKEND": "chroot"}, tmp_path)
    assert result.returncode != 0
    assert "SANDBOX_BACKEND must be auto, docker or local (got 'chroot')" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_defaults_use_sqlite_and_a_filesystem_broker(tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='webapp.settings'; django.setup();"
            "from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.SANDBOX_BACKEND)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    env.update({"DJANGO_DEBUG": "true", "INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var")})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["django.db.backends.sqlite3", "filesystem://localhost/", "auto"], out.stderr
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


def test_production_settings_come_from_the_environment(tmp_path):
    code = ("import django, os; django.setup(); from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL,"
            " s.DEBUG, s.ALLOWED_HOSTS)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    env.update({"DJANGO_SETTINGS_MODULE": "webapp.settings", "DJANGO_SECRET_KEY": "x" * 50,
                "DATABASE_URL": "postgres://u:p@db.internal:5432/it", "CELERY_BROKER_URL": "redis://cache:6379/0",
                "DJANGO_ALLOWED_HOSTS": "interviews.example.com", "INTERVIEW_TRACK_VAR_DIR": str(tmp_path)})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == ("django.db.backends.postgresql it redis://cache:6379/0 False "
                                  "['interviews.example.com']"), out.stderr


PRODUCTION = {"DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-0123456789",
              "DJANGO_ALLOWED_HOSTS": "interviews.example.com", "DJANGO_BEHIND_TLS_PROXY": "true",
              "DJANGO_SSL_REDIRECT": "true", "DJANGO_HSTS_SECONDS": "31536000",
              "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_HSTS_PRELOAD": "true"}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    env.update({"INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "webapp.settings",
                **PRODUCTION})
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "no issues" in result.stdout, result.stdout + result.stderr


def test_bad_trusted_proxies_are_a_clear_error(tmp_path):
    result = _run_check({"DJANGO_DEBUG": "true", "TRUSTED_PROXIES": "10.0.0.0/8,not-an-address"}, tmp_path)
    assert result.returncode != 0 and "Configuration error: TRUSTED_PROXIES" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_gpu_device_list_is_a_clear_error(tmp_path):
    result = _run_check({"DJANGO_DEBUG": "true", "SANDBOX_GPU_DEVICES": "0,1,all"}, tmp_path)
    assert result.returncode != 0 and "Configuration error: SANDBOX_GPU_DEVICES: 'all'" in result.stderr
    assert "Traceback" not in result.stderr
    good = _run_check({"DJANGO_DEBUG": "true", "SANDBOX_GPU_DEVICES": "0,1"}, tmp_path)
    assert good.returncode == 0, good.stderr
    mode = _run_check({"DJANGO_DEBUG": "true", "SANDBOX_GPU": "maybe"}, tmp_path)
    assert mode.returncode != 0 and "Configuration error: SANDBOX_GPU must be one of auto, require, off" in mode.stderr
