"""aiplan: the ward's intranet app for its AI education plan."""

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment (or `test_config`), extensions, blueprints."""
    # Imported here, not at the top: importing any module of the package (the models, for a
    # migration or a script) runs this file first, and must not load every feature with it.
    from flask_babel import lazy_gettext

    from . import access, cli, config, database, i18n, mailing, web  # noqa: F401  (access, database: user loader, SQLite policy)
    from .activities import bp as activities_bp
    from .admin import bp as admin_bp
    from .aitools import bp as aitools_bp
    from .auditlog import bp as auditlog_bp
    from .auditlog import cli as auditlog_cli
    from .auth import bp as auth_bp
    from .backups import cli as backups_cli
    from .checklists import bp as checklists_bp
    from .city import bp as city_bp
    from .core import bp as core_bp
    from .demo import cli as demo_cli
    from .duties import bp as duties_bp
    from .equipment import bp as equipment_bp
    from .evidence import bp as evidence_bp
    from .extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate
    from .guide import bp as guide_bp
    from .inspections import bp as inspections_bp
    from .jobs import bp as jobs_bp
    from .jobs import cli as jobs_cli
    from .jobs import queue as jobs_queue
    from .notifications import bp as notifications_bp
    from .notifications import cli as notifications_cli
    from .partners import bp as partners_bp
    from .pilot import bp as pilot_bp
    from .plans import bp as plans_bp
    from .problems import bp as problems_bp
    from .reports import bp as reports_bp
    from .resources import bp as resources_bp
    from .rollup import bp as rollup_bp
    from .schools import bp as schools_bp
    from .training import bp as training_bp
    from .years import bp as years_bp

    app = Flask(
        __name__,
        instance_path=os.environ.get("AIPLAN_INSTANCE") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.DEFAULTS)
    if test_config is None:
        app.config.from_mapping(config.from_environment(app.instance_path))
    else:
        app.config.from_mapping(config.from_environment(app.instance_path) | test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # Before any blueprint adds its routes, so that every <int:…> is bounded.
    app.url_map.converters["int"] = web.BoundedIntConverter

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    htmx.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    web.init_app(app)

    for blueprint in (
        core_bp,
        auth_bp,
        schools_bp,
        checklists_bp,
        plans_bp,
        activities_bp,
        evidence_bp,
        inspections_bp,
        rollup_bp,
        city_bp,
        reports_bp,
        admin_bp,
        auditlog_bp,
        years_bp,
        notifications_bp,
        duties_bp,
        problems_bp,
        equipment_bp,
        resources_bp,
        partners_bp,
        aitools_bp,
        jobs_bp,
        training_bp,
        pilot_bp,
        guide_bp,
    ):
        app.register_blueprint(blueprint)

    mailing.init_app(app)
    cli.init_app(app)
    auditlog_cli.init_app(app)
    backups_cli.init_app(app)
    demo_cli.init_app(app)
    notifications_cli.init_app(app)
    jobs_queue.init_app(app)
    jobs_cli.init_app(app)
    return app
