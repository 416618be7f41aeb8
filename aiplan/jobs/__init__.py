"""Background jobs for heavy work (issue 16): the ward's and the Sở's DOCX, the rollup's XLSX and CSV
of a large ward, a school's evidence ZIP. Huey carries the jobs (aiplan/jobs/queue.py), the worker
runs them (`flask --app aiplan worker`), the Job row records them (aiplan/models/job.py)."""

from .routes import bp

__all__ = ["bp"]
