"""WSGI entry point: the only module-level application (gunicorn wsgi:app, flask --app wsgi)."""

from odr import create_app

app = create_app()
