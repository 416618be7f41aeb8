"""The app for a WSGI server, and how `make run` and production serve it:
`python wsgi.py --host 127.0.0.1 --port 8000` (waitress; see aiplan/serving.py and the README), or
behind nginx with a process per core and several app servers, `gunicorn -c gunicorn.conf.py wsgi:app`
(docs/deployment.md)."""

import gc

from aiplan import create_app, serving

app = create_app()
# Everything built so far (modules, templates, the app) lives as long as the process: moved out
# of the collector's sight, it is no longer walked by every full collection during requests.
gc.freeze()

if __name__ == "__main__":
    serving.main(app)
