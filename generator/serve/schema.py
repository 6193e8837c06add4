"""The database's schema as numbered migrations, one list per dialect (SQLite, PostgreSQL)."""
from __future__ import annotations

# Each migration runs once, in order, inside one transaction; meta.schema records the last one applied.
# Never edit a migration that has shipped: add the next one.
SQLITE: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE students (id TEXT PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,"
        " number INTEGER NOT NULL)",
        "CREATE TABLE attempts (seq INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT NOT NULL,"
        " exercise TEXT NOT NULL, attempt INTEGER NOT NULL, answer TEXT NOT NULL, reading TEXT NOT NULL,"
        " graded INTEGER NOT NULL, correct INTEGER, mistake TEXT, feedback TEXT NOT NULL, score REAL,"
        " created TEXT NOT NULL, UNIQUE (student, exercise, attempt))",
    ),
    (
        "CREATE INDEX attempts_by_exercise ON attempts (exercise, seq)",
        # Append-only: what a student submitted is never changed or removed, whoever asks.
        "CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts"
        " BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END",
        "CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts"
        " BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END",
    ),
)

POSTGRES: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE students (id TEXT PRIMARY KEY, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,"
        " number INTEGER NOT NULL)",
        "CREATE TABLE attempts (seq BIGSERIAL PRIMARY KEY, student TEXT NOT NULL,"
        " exercise TEXT NOT NULL, attempt INTEGER NOT NULL, answer TEXT NOT NULL, reading TEXT NOT NULL,"
        " graded INTEGER NOT NULL, correct INTEGER, mistake TEXT, feedback TEXT NOT NULL,"
        " score DOUBLE PRECISION, created TEXT NOT NULL, UNIQUE (student, exercise, attempt))",
    ),
    (
        "CREATE INDEX attempts_by_exercise ON attempts (exercise, seq)",
        "CREATE FUNCTION attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'attempts are append-only'; END $$",
        "CREATE TRIGGER attempts_no_change BEFORE UPDATE OR DELETE ON attempts"
        " FOR EACH ROW EXECUTE FUNCTION attempts_append_only()",
    ),
)
