"""The ``flask odr …`` command group; each room adds its commands to it."""

from flask.cli import AppGroup

odr_cli = AppGroup("odr", help="ODR operations (see API.md: Operations).")
