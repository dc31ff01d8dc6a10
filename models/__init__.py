"""All models, imported together so the metadata (and Alembic) sees every table."""
from .db import db  # noqa: F401
from . import people, users, audit  # noqa: F401
from .people import (AcademicYear, Guardian, Level, Order, School, SchoolClass, Student,  # noqa: F401
                     Subject, Term)
from .users import LoginFailure, User  # noqa: F401
from .audit import AuditLog  # noqa: F401
