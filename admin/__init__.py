"""Flask-Admin wiring: init_admin builds the Admin object and its registers inside the factory.

Custom pages (views/) are mounted into this Admin by views.register_views; admin/ imports nothing of views/."""
from flask import request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from models import (AcademicYear, AuditLog, CarrierKind, ClassRecord, CustodyMovement, EjournalCopy, ExamProtocol,
                    Guardian, Level, Order, PaperJournal, PersonalFile, Portfolio, PortfolioItem, RegisterBook, School,
                    SchoolClass, StoredCertificate, Student, Subject, Term, User)

from .home import HomeView
from .fields import render_form
from .listing import list_header, list_rows
from .menu import inline_row_template, main_menu
from .carriers import (CarrierKindView, ClassRecordView, CustodyMovementView, EjournalCopyView,
                       EssayProtocolView, ExamProtocolView, PaperJournalView, PersonalFileView, PortfolioItemView,
                       PortfolioView, RegisterBookView, StoredCertificateView)
from .people import GuardianView, OrderTemplateView, OrderView, PupilOrderView, SchoolClassView, StudentView
from .school import AcademicYearView, LevelView, SchoolView, SubjectView, TermView
from .system import AuditLogView, UserView
from .leaving import HandoverActView
from models.leaving import HandoverAct
from .disclosure import PdDisclosureView
from .issuance import BlankReceiptView, CertificateEntryView
from .attestation import AwardCriterionView, CurriculumSubjectView, GiaMinimumView, MedalEntryView
from models.attestation import AwardCriterion, CurriculumSubject, GiaMinimum, MedalEntry
from models.issuance import BlankReceipt, CertificateBookEntry
from .retention import DestructionActView
from models.disclosure import PdDisclosure
from models.retention import DestructionAct
from .debts import AcademicDebtView
from models.year_end import AcademicDebt
from models.verification import IssuedDocument
from .verification import IssuedDocumentView
from .archive_book import AdmissionBookView, NomenclatureItemView
from models.admission_book import AdmissionBookEntry
from models.nomenclature import NomenclatureItem
from models.orders import OrderTemplate

STUDENTS = "Обучающиеся"
CARRIERS = "Носители"
ISSUANCE = "Выдача"
ARCHIVE = "Архив"
REPORTS = "Отчёты"
ADMINISTRATION = "Администрирование"


def init_admin(app):
    admin = Admin(app, name="Архив школы", url="/admin",
                  index_view=HomeView(name="Главная", url="/admin"),
                  # Flask-Admin's own inline scripts carry the nonce the Content-Security-Policy allows (app.py).
                  csp_nonce_generator=lambda: getattr(request, "csp_nonce", ""),
                  theme=Bootstrap4Theme(base_template="admin/panel.html", fluid=True))
    views = [
        StudentView(Student, name="Обучающиеся", category=STUDENTS, endpoint="student"),
        GuardianView(Guardian, name="Законные представители", category=STUDENTS, endpoint="guardian"),
        SchoolClassView(SchoolClass, name="Классы", category=STUDENTS, endpoint="school_class"),
        OrderView(Order, name="Приказы", category=STUDENTS, endpoint="order"),
        PupilOrderView(Order, name="Книга приказов по контингенту", category=STUDENTS, endpoint="pupil_order"),
        OrderTemplateView(OrderTemplate, name="Шаблоны приказов", category=STUDENTS, endpoint="order_template"),
        PersonalFileView(PersonalFile, name="Личные дела", category=CARRIERS, endpoint="personal_file"),
        StoredCertificateView(StoredCertificate, name="Аттестаты ООО на хранении", category=CARRIERS,
                              endpoint="stored_certificate"),
        RegisterBookView(RegisterBook, name="Книги регистрации", category=CARRIERS, endpoint="register_book"),
        ExamProtocolView(ExamProtocol, name="Протоколы ГИА", category=CARRIERS, endpoint="gia_protocol"),
        EssayProtocolView(ExamProtocol, name="Протоколы сочинения и собеседования", category=CARRIERS,
                          endpoint="essay_protocol"),
        PaperJournalView(PaperJournal, name="Бумажные журналы", category=CARRIERS, endpoint="paper_journal"),
        ClassRecordView(ClassRecord, name="Сводные ведомости и распечатки", category=CARRIERS,
                        endpoint="class_record"),
        EjournalCopyView(EjournalCopy, name="Копии электронного журнала", category=ARCHIVE,
                         endpoint="ejournal_copy"),
        PortfolioView(Portfolio, name="Портфолио", category=CARRIERS, endpoint="portfolio"),
        PortfolioItemView(PortfolioItem, name="Достижения (портфолио)", category=CARRIERS,
                          endpoint="portfolio_item"),
        CustodyMovementView(CustodyMovement, name="Движение носителей", category=ARCHIVE, endpoint="custody"),
        CarrierKindView(CarrierKind, name="Виды носителей и сроки хранения", category=ADMINISTRATION,
                        endpoint="carrier_kind"),
        SchoolView(School, name="Школа", category=ADMINISTRATION, endpoint="school"),
        AcademicYearView(AcademicYear, name="Учебные годы", category=ADMINISTRATION, endpoint="academic_year"),
        TermView(Term, name="Учебные периоды", category=ADMINISTRATION, endpoint="term"),
        LevelView(Level, name="Уровни образования", category=ADMINISTRATION, endpoint="level"),
        SubjectView(Subject, name="Предметы", category=ADMINISTRATION, endpoint="subject"),
        UserView(User, name="Пользователи", category=ADMINISTRATION, endpoint="user"),
        AuditLogView(AuditLog, name="Журнал аудита", category=ADMINISTRATION, endpoint="audit_log"),
        PdDisclosureView(PdDisclosure, name="Журнал передачи персональных данных", category=ADMINISTRATION,
                         endpoint="pd_disclosure"),
        BlankReceiptView(BlankReceipt, name="Бланки аттестатов — поступление", category=ISSUANCE,
                         endpoint="blank_receipt"),
        CertificateEntryView(CertificateBookEntry, name="Книга выдачи аттестатов — записи", category=ISSUANCE,
                             endpoint="certificate_entry"),
        CurriculumSubjectView(CurriculumSubject, name="Учебный план (предметы аттестата)", category=ISSUANCE,
                              endpoint="curriculum_subject"),
        GiaMinimumView(GiaMinimum, name="Минимальные результаты ГИА", category=ISSUANCE, endpoint="gia_minimum"),
        AwardCriterionView(AwardCriterion, name="Условия отличия и медалей", category=ISSUANCE,
                           endpoint="award_criterion"),
        MedalEntryView(MedalEntry, name="Книга учёта выдачи медалей — записи", category=ISSUANCE,
                       endpoint="medal_entry"),
        DestructionActView(DestructionAct, name="Акты о выделении к уничтожению", category=ARCHIVE,
                           endpoint="destruction_act"),
        HandoverActView(HandoverAct, name="Акты приёма-передачи", category=STUDENTS, endpoint="handover_act"),
        AcademicDebtView(AcademicDebt, name="Академические задолженности", category=STUDENTS,
                         endpoint="academic_debt"),
        IssuedDocumentView(IssuedDocument, name="Напечатанные документы (коды проверки)", category=ARCHIVE,
                           endpoint="issued_document"),
        AdmissionBookView(AdmissionBookEntry, name="Алфавитная книга записи обучающихся", category=STUDENTS,
                          endpoint="admission_book"),
        NomenclatureItemView(NomenclatureItem, name="Номенклатура дел", category=ARCHIVE, endpoint="nomenclature"),
    ]
    for view in views:
        admin.add_view(view)
    # templates/admin/panel.html, templates/admin/model/inline_list_base.html, templates/admin/record_*.html
    app.jinja_env.globals.update(panel_main_menu=main_menu, panel_inline_row=inline_row_template,
                                 panel_form=render_form, panel_list_rows=list_rows,
                                 panel_list_header=list_header)
    app.extensions["panel_admin"] = admin
    return admin
