"""The SQLAlchemy handle shared by every model, and the column helpers they reuse."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, MetaData, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

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


# Indexes only some databases get (made by a migration, not declared on a model): schema comparisons skip them.
# ix_student_search_name_trgm: a trigram index of the folded ФИО on PostgreSQL with pg_trgm, which answers
# «LIKE '%соколова%'» from the index instead of reading 100,000 names.
DATABASE_ONLY_INDEXES = frozenset({"ix_student_search_name_trgm"})


def include_in_schema_comparison(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
