"""The models and the migrations describe the same schema, so `flask db upgrade` (run by `setup`)
builds exactly the database the code expects, on SQLite and on PostgreSQL alike."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text

from aiplan import create_app
from aiplan.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def head_revisions(app) -> list[str]:
    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS))
        return ScriptDirectory.from_config(config).get_heads()


def recorded_revision(app) -> list[str]:
    with app.app_context(), db.engine.connect() as connection:
        return list(connection.scalars(text("SELECT version_num FROM alembic_version")))


def test_the_migrated_database_matches_the_models(app):
    # Nothing is ignored: types, nullability, indexes (the partial unique index on ward items
    # included), unique constraints and foreign keys must all agree.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_migrations_have_one_head_and_the_database_is_at_it(app, runner):
    heads = head_revisions(app)
    assert len(heads) == 1, f"the migrations have branched: {heads}"

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert recorded_revision(app) == heads


def test_the_migrations_build_and_take_down_the_whole_schema(tmp_path):
    # A scratch SQLite database, so that downgrading does not disturb the shared test database.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrations.sqlite3'}",
        }
    )
    runner = app.test_cli_runner()
    model_tables = set(db.metadata.tables)

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) == model_tables | {"alembic_version"}

    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert recorded_revision(app) == head_revisions(app)
    with app.app_context():
        db.engine.dispose()
