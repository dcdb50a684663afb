"""xfaudit: audit how petition items (信访事项) were handled.

The public API, one function per job: :func:`load_extract`, :func:`audit`, :func:`synth`,
:func:`run_monthly_audit`.
"""

__version__ = "0.1.0"
