import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("leadloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_reachable(timeout: float = 2.0) -> bool:
    """Does the broker take a connection now (one try, at most ``timeout`` seconds)? For /healthz:
    with it down, labels are saved but nothing learns from them."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)
    except Exception:
        return False
    return True
