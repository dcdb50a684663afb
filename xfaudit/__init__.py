"""xfaudit: audit how petition items (信访事项) were handled.

The public API, one function per job::

    extract = xfaudit.load_extract("台账.xlsx")
    result = xfaudit.audit(extract, as_of="2026-10-31")

``xfaudit.synth`` generates synthetic extracts; the monthly run is ``run_monthly_audit``.
"""

__version__ = "0.1.0"

from xfaudit.audit import AuditResult, audit  # noqa: E402
from xfaudit.errors import XfauditError  # noqa: E402
from xfaudit.load import load_extract  # noqa: E402
from xfaudit.model import Extract  # noqa: E402
from xfaudit.monthly import run_monthly_audit  # noqa: E402

__all__ = ["audit", "AuditResult", "load_extract", "Extract", "run_monthly_audit", "XfauditError", "__version__"]
