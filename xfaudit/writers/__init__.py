"""Report writers: each module writes one output format from the findings (never recomputes).

Every writer has the same small interface: ``write(result, path, **options) -> Path``, where
``result`` is an :class:`xfaudit.audit.AuditResult`.
"""
