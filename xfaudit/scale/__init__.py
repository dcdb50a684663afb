"""Audits past one machine: the same pipeline in bounded-memory chunks or on Spark.

One process with pandas (``--engine pandas``, :func:`xfaudit.audit.audit`) serves up to a few
million rows. Past that the same audit runs

- in chunks (``--engine chunked``, :mod:`xfaudit.scale.chunked`): the whole-table facts first
  (duplicate ids and exact copies, from a pass over each row's id and content hash), then each
  chunk of rows is derived, validated by GX and turned into findings on its own, and the
  findings are merged in the one-pass order;
- on Spark (``--engine spark``, :mod:`xfaudit.scale.spark`): the facts as Spark aggregations,
  the same pandas derivation per Arrow batch, the same suites through GX's Spark datasource.

Every engine reads the canonical extract, either loaded in one piece (:mod:`xfaudit.load`) or
as the canonical parquet dataset (:mod:`xfaudit.scale.dataset`: what ``xfaudit load …
--to-parquet DIR`` writes, from a file in chunks or from a SQL database,
:mod:`xfaudit.scale.sql`), and every engine writes the same findings.csv, byte for byte.
"""

#: The engines ``xfaudit check --engine`` offers.
ENGINES = ("pandas", "chunked", "spark")

#: Rows per chunk of ``--engine chunked`` (and per part file of a dataset) unless told.
DEFAULT_CHUNK_ROWS = 500_000
