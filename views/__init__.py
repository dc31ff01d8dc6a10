"""Custom pages of the panel (log-in, workflows, reports), mounted by the application factory after the registers.

Every custom page is a PanelPage (admin/page.py) added to the Admin object here, the public verification page
included (a PublicPage); only the log-in page, outside the panel, is a blueprint."""
from admin import ADMINISTRATION, ARCHIVE, ISSUANCE, REPORTS, STUDENTS


def register_views(app):
    from models.words import by_sex, name_in_case, person_in_case

    # Prints name people in the case the sentence needs and pick verbs by sex.
    app.jinja_env.globals.update(in_case=person_in_case, name_in_case=name_in_case, by_sex=by_sex)

    from .static_cache import init_static_cache

    init_static_cache(app)

    from .auth import bp as auth_bp
    from .backups import BackupsPage
    from .issuance import IssuancePage
    from .leaving import LeavingPage
    from .marks import AnalysisPage, MarksImportPage, ProgressReportPage
    from .people_import import PeopleImportPage
    from .retention import RetentionReviewPage
    from .year_end import YearEndMarksPage
    from .archive import EjournalArchivePage, PersonalCardsPage
    from .verify import init_verification

    app.register_blueprint(auth_bp)
    # Prints that registers of admin/ offer (admin/ imports nothing of views/: it finds them here).
    from .pdf import print_document, render_pdf

    app.extensions["panel_prints"] = {"admission_book": _admission_book_pdf, "nomenclature": _nomenclature_pdf,
                                      "render": render_pdf, "print": print_document}
    admin = app.extensions["panel_admin"]
    init_verification(app, admin)
    admin.add_view(LeavingPage(name="Выбытие обучающегося", category=STUDENTS, endpoint="leaving"))
    admin.add_view(PeopleImportPage(name="Импорт обучающихся", category=STUDENTS, endpoint="people_import"))
    admin.add_view(BackupsPage(name="Резервные копии", category=ADMINISTRATION, endpoint="backups", url="/backups"))
    # The marks pages keep their addresses under /marks; the import page keeps the endpoint «marks».
    admin.add_view(MarksImportPage(name="Импорт отметок", category=REPORTS, endpoint="marks", url="/marks"))
    admin.add_view(AnalysisPage(name="Анализ успеваемости", category=REPORTS, endpoint="analysis", url="/marks"))
    admin.add_view(ProgressReportPage(name="Справка об успеваемости", endpoint="progress_report", url="/marks"))
    admin.add_view(RetentionReviewPage(name="Экспертиза сроков хранения", category=ARCHIVE,
                                       endpoint="retention_review"))
    admin.add_view(IssuancePage(name="Выдача аттестатов", category=ISSUANCE, endpoint="issuance"))
    admin.add_view(YearEndMarksPage(name="Годовые отметки в личные дела", category=REPORTS,
                                    endpoint="year_end_marks"))
    admin.add_view(EjournalArchivePage(name="Контроль архива электронного журнала", category=ARCHIVE,
                                       endpoint="ejournal_archive"))
    admin.add_view(PersonalCardsPage(name="Личные карты (печать)", category=REPORTS, endpoint="personal_cards"))


# The reportlab prints are imported by their first use, not at start-up (issue 22: the served process's memory).
def _admission_book_pdf(*args, **kwargs):
    from .admission_book_pdf import render_admission_book

    return render_admission_book(*args, **kwargs)


def _nomenclature_pdf(*args, **kwargs):
    from .admission_book_pdf import render_nomenclature

    return render_nomenclature(*args, **kwargs)
