"""`mcgen serve`: students answer a sheet online, graded at once; an instructor's dashboard; SQLite or PostgreSQL."""
