"""pgbackup: the command-line client of the PostgreSQL backup & restore API."""

__version__ = "1.0.0"
