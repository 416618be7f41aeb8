"""Reports the ward and its schools hand to the levels above.

They are laid out as Vietnamese administrative documents (Nghị định 30/2020/NĐ-CP) by
`documents.admin_doc`; see docs/documents.md.
"""

from .routes import bp

__all__ = ["bp"]
