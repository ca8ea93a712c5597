import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("leadloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_reachable(timeout: float = 2.0) -> bool:
    """Does the broker take a connection now (one try, at most ``timeout`` seconds)? For /healthz:
    with it down, labels are saved but nothing learns from them."""
    # The timeout goes to the socket itself: ensure_connection's bounds only its retries (none here),
    # and a broker that accepts and never answers would otherwise hold the probe for the transport's 5 s.
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        with app.connection_for_write(connect_timeout=timeout, transport_options=options) as connection:
            connection.ensure_connection(max_retries=0)
    except Exception:
        return False
    return True
