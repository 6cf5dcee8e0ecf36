"""Database access: one lazy connection per container, numbered migrations, repositories."""
from .connection import Database, get_db, reset_db

__all__ = ["Database", "get_db", "reset_db"]
