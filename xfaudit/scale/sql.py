"""A ledger kept in a database, as a source: a table or query read in chunks by the loader's
own steps into the canonical dataset (``pip install 'xfaudit[sql]'`` and the database's
driver).

Provinces keep petitions in Oracle, 达梦 (DM) or PostgreSQL. ``xfaudit check --sql-url URL
--table 台账`` (or ``--query "SELECT …"``) reads the rows with :func:`pandas.read_sql` in chunks
of ``rows`` records, so memory stays bounded at any size, and treats them exactly as the rows
of a spreadsheet export: the column names are the header row (row 1), found and mapped by the
same ``find_header`` and ``assign_columns`` as a file's (a mapping file applies), and each
chunk is converted by the loader's ``Body``/``build`` — the same rejected rows, unreadable
cells, date window and ingest report. Row *n* of the result is ``source_row`` *n* + 1, as in
a CSV export of the same query with its header on line 1; give a query with ``ORDER BY`` for a
numbering that does not depend on the database's storage order.

The rows' key (``source_file``) and the report's file name are ``<database>#<table>`` (or
``#query``; there is no sheet); the password never appears (SQLAlchemy's ``hide_password``). The report's
``sha256`` fingerprints the rows read (their pandas hashes), not a file.

What is not done here: the audit itself on the database (GX's SQL datasource). The rows are
copied into the canonical parquet dataset and audited by ``--engine chunked`` or ``spark``
(docs/scale.md says why).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.errors import DependencyError, ExtractError
from xfaudit.loadchunks import ExtractChunks, _Accumulated, _StreamBody
from xfaudit.model import Extract


class SqlSourceError(ExtractError):
    """The database cannot be reached or the table/query read (message in Chinese)."""


def _sqlalchemy():
    try:
        import sqlalchemy
    except ImportError:
        raise DependencyError("sqlalchemy", "未安装",
                              "xfaudit[sql]（pip install 'xfaudit[sql]'，另需数据库驱动）") from None
    return sqlalchemy


def source_name(url: str, table: str | None) -> str:
    """``<database>#<table>`` (or ``#query``): the rows' ``source_file`` and the report's
    file name."""
    sa = _sqlalchemy()
    parsed = sa.engine.make_url(url)
    database = Path(parsed.database or parsed.host or parsed.drivername).name
    return f"{database}#{table or 'query'}"


def shown_url(url: str) -> str:
    """The URL as it may be printed and recorded (the password hidden)."""
    sa = _sqlalchemy()
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class SqlChunks(ExtractChunks):
    """The chunks of a table or query (iterate once); ``report`` once they are all read.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///台账.db``, ``postgresql+psycopg://user:pw@host/db``,
        ``oracle+oracledb://user:pw@host:1521/?service_name=XE``.
    table : str, optional
        The table (or view) to read, every column; or
    query : str, optional
        A ``SELECT`` whose result is the ledger.
    rows : int
        Records per chunk.
    mapping, date_window
        As for :func:`xfaudit.load.load_extract`.
    """

    def __init__(self, url: str, rows: int, *, table: str | None = None,
                 query: str | None = None, mapping=None, date_window=None):
        if (table is None) == (query is None):
            raise ExtractError(None, "数据库来源需要给出 --table（表名）或 --query（查询语句）之一")
        super().__init__(Path("."), rows, mapping=mapping, date_window=date_window)
        self.url, self.table, self.query = url, table, query
        self.file = source_name(url, table)
        self.fmt = "sql"
        self.path = _Where(f"{shown_url(url)}#{table or 'query'}", self.file)

    # -- reading ---------------------------------------------------------------------------
    def _statement(self):
        sa = _sqlalchemy()
        if self.query is not None:
            return sa.text(self.query)
        return sa.select(sa.text("*")).select_from(sa.table(self.table))

    def _frames(self) -> Iterator[pd.DataFrame]:
        """The result in frames of ``rows`` records, every cell an object (None when NULL)."""
        sa = _sqlalchemy()
        try:
            engine = sa.create_engine(self.url)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise SqlSourceError(self.path, f"无法使用数据库地址（{exc}）",
                                 hint="地址格式如 sqlite:///台账.db、postgresql+psycopg://用户@主机/库；"
                                      "数据库驱动需另行安装。") from None
        try:
            with engine.connect() as connection:
                for frame in pd.read_sql(self._statement(), connection, chunksize=self.rows,
                                         coerce_float=False):
                    yield frame.astype(object).where(frame.notna(), None)
        except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
            what = f"表「{self.table}」" if self.table else "查询"
            cause = exc.__cause__ or exc                  # pandas wraps the driver's error
            cause = getattr(cause, "orig", None) or cause
            raise SqlSourceError(self.path, f"读取{what}失败（{type(cause).__name__}："
                                 f"{str(cause).strip().splitlines()[0]}）",
                                 hint="请确认地址、表名（或查询语句）和访问权限。") from None
        finally:
            engine.dispose()

    def __iter__(self) -> Iterator[Extract]:
        from xfaudit.convert import Body
        from xfaudit.headers import assign_columns, find_header, header_not_found
        from xfaudit.io.grid import Column, Grid, column_letter
        from xfaudit.load import _lookup

        lookup = _lookup(self.spec)
        acc, digest = _Accumulated(), hashlib.sha256()
        names, header, columns, used, at = None, None, None, set(), 0
        for frame in self._frames():
            if header is None:
                names = [str(c) for c in frame.columns]
                grid = Grid(self.table or "query", [names])
                header = find_header(grid, lookup, 1)
                if header is None or not header.is_valid():
                    raise header_not_found(self.path, grid, header, 1)
                user = self.spec.user_headers if self.spec else frozenset()
                # which of two columns of one field is used: the filled one, as the loader
                # decides; a database column counts as filled (its header is enough)
                columns = assign_columns(header, set(range(len(names))), user, column_letter)
                used = set(columns.feeds.values())
            values = frame.to_numpy(dtype=object)
            digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False)
                          .to_numpy().tobytes())
            numbers = np.arange(at + 2, at + 2 + len(frame), dtype=np.int64)
            at += len(frame)
            body = Body.from_columns([Column.of(values[:, c]) for c in range(len(names))],
                                     numbers)
            yield self._chunk(acc, body, len(frame), columns, used, header)
        if header is None:
            raise SqlSourceError(self.path, "查询结果为空（没有任何列）")
        self.report = self._sql_report(header, columns, acc, digest.hexdigest())

    def _sql_report(self, header, columns, acc: _Accumulated, sha256: str):
        from xfaudit.io.grid import column_letter
        from xfaudit.load import _Table

        table = _Table(self.path, None, "sql", None, sha256, 1, header,
                       _StreamBody(acc), columns, None, column_letter)
        return self._report_of(table, columns, acc)


class _Where(str):
    """Where the rows come from, for messages and the report (the URL without its password
    and the table), answering ``.name`` like a file's path (the rows' ``source_file``)."""

    def __new__(cls, text: str, name: str):
        where = super().__new__(cls, text)
        where.name = name
        return where

    def __reduce__(self):
        return str, (str(self),)            # errors carrying it stay picklable


def read_sql_chunks(url: str, rows: int, *, table: str | None = None, query: str | None = None,
                    mapping=None, date_window=None) -> SqlChunks:
    """A table or query in chunks of ``rows`` records (see the module docstring)."""
    return SqlChunks(url, rows, table=table, query=query, mapping=mapping,
                     date_window=date_window)


def sql_dataset(url: str, folder, *, table: str | None = None, query: str | None = None,
                rows: int, mapping=None, date_window=None) -> Path:
    """Write the canonical dataset (:mod:`xfaudit.scale.dataset`) of a table or query."""
    from xfaudit.scale.dataset import write_dataset

    chunks = read_sql_chunks(url, rows, table=table, query=query, mapping=mapping,
                             date_window=date_window)
    return write_dataset(chunks, folder, rows_per_file=rows, window=date_window)


@dataclass(frozen=True)
class SqlSource:
    """A ledger in a database: what ``--sql-url`` with ``--table`` or ``--query`` names.
    Accepted wherever an extract path is (:func:`xfaudit.run.run_check`,
    :func:`xfaudit.scale.dataset.convert`)."""

    url: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self):
        if (self.table is None) == (self.query is None):
            raise ExtractError(None, "数据库来源需要给出 --table（表名）或 --query（查询语句）之一")

    @property
    def name(self) -> str:
        """``<database>#<table>``: the rows' ``source_file``."""
        return source_name(self.url, self.table)

    def __str__(self) -> str:
        return f"{shown_url(self.url)}#{self.table or 'query'}"
