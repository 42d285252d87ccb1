"""SQLite storage: the database file, its migrations and one store per kind of record."""
