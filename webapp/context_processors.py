from functools import lru_cache

from django.conf import settings

from sandboxes import resolve_backend


@lru_cache(maxsize=1)
def _sandbox_choice():
    # Resolved once per process: pinging the engine on every page would cost a round trip each.
    return resolve_backend(settings.SANDBOX_BACKEND, timeout=1.0)


def platform(request):
    return {"sandbox": _sandbox_choice()}
