"""Gunicorn's settings for Leadloop, read from ./gunicorn.conf.py when gunicorn starts here.

Gunicorn believes X-Forwarded-Proto from 127.0.0.1 by default, so a client on the machine could pass
plain HTTP for HTTPS. Proxy headers are believed only when PROXIES_IN_FRONT says a proxy stands in
front (the same setting Django reads), and then only from FORWARDED_ALLOW_IPS (default: loopback).
Gunicorn is what tells Django a request came over HTTPS (Django itself does not read the header).
"""

import os

if int(os.environ.get("PROXIES_IN_FRONT") or 0) > 0:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
    secure_scheme_headers: dict[str, str] = {}
