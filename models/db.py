"""The SQLAlchemy handle shared by every model, and the column helpers they reuse."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, MetaData, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# The values an Integer column holds on PostgreSQL; a number outside is an SQL error there, so input is checked first.
INT_RANGE = range(-2 ** 31, 2 ** 31)

# Named constraints keep Alembic migrations reproducible on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


class Versioned:
    """Optimistic locking: an UPDATE only succeeds against the version the editor loaded."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


def refresh_query_statistics(session):
    """On SQLite, let the planner know the tables' sizes (PostgreSQL's autovacuum does this by itself).

    Without statistics SQLite guesses, and on a large register it may walk the wrong index. The sampling
    limit keeps this to a fraction of a second even on a district's database."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit=1000"))
        session.execute(text("ANALYZE"))


# Trigram indexes of the folded ФИО that answer «LIKE '%соколова%'» without reading 100,000 names, made by
# migrations only where the database has them, not declared on a model: schema comparisons skip them.
# PostgreSQL: the index ix_student_search_name_trgm (pg_trgm); SQLite: the FTS5 table student_name_fts with its
# shadow tables, kept by triggers on `student`. PostgreSQL also gets ix_student_search_name_id (the name order
# with the ids, which SQLite's name index holds anyway as its rowids).
DATABASE_ONLY_INDEXES = frozenset({"ix_student_search_name_trgm", "ix_student_search_name_id"})
NAME_SEARCH_TABLE = "student_name_fts"


def include_in_schema_comparison(obj, name, type_, reflected, compare_to):
    if type_ == "index":
        return name not in DATABASE_ONLY_INDEXES
    if type_ == "table":
        return not (name or "").startswith(NAME_SEARCH_TABLE)
    return True
