"""All models, imported together so the metadata (and Alembic) sees every table."""
from .db import db  # noqa: F401
from . import people, users, audit, carriers, registers, references  # noqa: F401
from .people import (AcademicYear, Guardian, Level, Order, School, SchoolClass, Student,  # noqa: F401
                     Subject, Term)
from .users import LoginFailure, User  # noqa: F401
from .audit import AuditLog  # noqa: F401
from .carriers import Carrier, CarrierKind, CustodyMovement  # noqa: F401
from .registers import (AnnualCertification, AnnualMark, AnnualMarkCorrection, ClassRecord, CopyCheck, CopyMedium, EjournalCopy,  # noqa: F401
                        ExamProtocol, ExamResult, PaperJournal, PersonalFile, Portfolio, PortfolioItem,
                        RegisterBook, StoredCertificate)
from .marks import Mark, MarkDayTotal, MarkImport  # noqa: F401
from .disclosure import PdDisclosure  # noqa: F401
from .leaving import HandoverAct, HandoverActItem  # noqa: F401
from .retention import DestructionAct, DestructionActLine  # noqa: F401
from .issuance import BlankReceipt, CertificateBookEntry, CertificateMark, SpoiledBlank  # noqa: F401
from .year_end import AcademicDebt  # noqa: F401
from .attestation import AwardCriterion, CurriculumSubject, GiaMinimum, MedalEntry  # noqa: F401
from .verification import IssuedDocument, RateLimitHit  # noqa: F401
from .class_prints import PersonalCardPrint  # noqa: F401
from .nomenclature import NomenclatureItem  # noqa: F401
from .admission_book import AdmissionBookCounter, AdmissionBookEntry  # noqa: F401
from .orders import OrderTemplate  # noqa: F401
