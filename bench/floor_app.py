"""The framework's floor: a trivial Flask route, served with the app's own server and options.

`make bench` compares the item status change with this: what is left is the app's own work
(session, CSRF, the database write and its audit record, the partial it renders).
"""

from flask import Flask

from aiplan import serving

app = Flask(__name__)


@app.get("/")
def hello():
    """A few bytes of text: no session, no database, no template."""
    return "ok"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    serving.main(app)
