"""What the store tests share across backends: the drivers' constraint errors, told apart by kind."""

from __future__ import annotations

import sqlite3

import asyncpg

ConstraintError = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
"""What either driver raises when the schema itself refuses a row."""

CHECK = "CHECK|check constraint"
FOREIGN_KEY = "FOREIGN KEY|foreign key"
UNIQUE = "UNIQUE|unique constraint"
"""``pytest.raises(ConstraintError, match=...)`` patterns matching SQLite's and PostgreSQL's wording."""
