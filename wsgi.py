"""Entry point for a WSGI server: `gunicorn --workers 1 --threads 8 -b 127.0.0.1:8000 wsgi:app`
(README, "In production")."""
import gc

from aiplan import create_app

app = create_app()
# Everything built so far (modules, templates, the app) lives as long as the process: moved out
# of the collector's sight, it is no longer walked by every full collection during requests.
gc.freeze()
