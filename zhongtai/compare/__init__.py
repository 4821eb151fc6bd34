"""Parity checks and reviewer reports.

Data parity (``data``, ``run``): center tables against their legacy sources, through the
migration mappings — ``segments`` (key ranges, checksums), ``rowhash`` / ``sqlhash`` (one
canonical row text, hashed in Python or in the database), ``units`` (what is compared),
``legacy_side`` / ``platform_side`` (the two I/O edges) and ``diff`` (the pure engine).
``invariants`` checks domain rules on the migrated data, ``traffic`` reads the strangler's
shadow records, ``model`` holds the results, ``history`` records runs in the state database,
and ``report`` with its renderers writes what reviewers read.
"""
