"""Workload: deterministic legacy seed data (``seed``) and live traffic of every client kind."""
