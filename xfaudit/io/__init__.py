"""Readers: a file's bytes in, raw grids (or factorised columns) out.

Nothing here knows what a petition ledger is. :mod:`~xfaudit.io.sniff` tells the container
format and text encoding from the bytes; :mod:`~xfaudit.io.workbook` reads xlsx/xls sheets
(python-calamine, openpyxl or xlrd where calamine cannot); :mod:`~xfaudit.io.csvread` reads
CSV text (the ``csv`` module for the top rows, pyarrow or pandas for the body);
:mod:`~xfaudit.io.html` reads the HTML tables web systems save as ``.xls``. They all hand
:class:`~xfaudit.io.grid.Grid` objects (or :class:`~xfaudit.io.grid.Column` arrays) to the
header search in :mod:`xfaudit.headers`.
"""
