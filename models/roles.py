"""The roles and the one permission matrix every view and page consults (no Flask imports here)."""

ROLES = {
    "admin": "Администратор системы",
    "director": "Директор",
    "deputy": "Заместитель директора по УВР",
    "secretary": "Секретарь учебной части",
    "officer": "Ответственный за аттестаты",
    "class_teacher": "Классный руководитель",
}

ACTIONS = {"view": "v", "create": "c", "edit": "e", "delete": "d", "export": "x"}

# target -> role -> letters of ACTIONS. A missing role or letter means «forbidden».
MATRIX = {
    "home": {r: "v" for r in ROLES},
    # Every user changes their own password (views/auth.py).
    "own_password": {r: "ve" for r in ROLES},
    "school": {"admin": "ve", "director": "ve", "deputy": "v", "secretary": "v", "officer": "v"},
    "academic_years": {"admin": "vce", "director": "v", "deputy": "vce", "secretary": "vce", "officer": "v",
                       "class_teacher": "v"},
    "terms": {"admin": "vce", "director": "v", "deputy": "vce", "secretary": "vce", "officer": "v",
              "class_teacher": "v"},
    "levels": {"admin": "ve", "director": "v", "deputy": "v", "secretary": "v", "officer": "v",
               "class_teacher": "v"},
    "subjects": {"admin": "vced", "director": "v", "deputy": "vce", "secretary": "vce", "officer": "v",
                 "class_teacher": "v"},
    "classes": {"admin": "v", "director": "vx", "deputy": "vx", "secretary": "vcedx", "officer": "v",
                "class_teacher": "v"},
    "students": {"director": "vx", "deputy": "vx", "secretary": "vcedx", "officer": "v", "class_teacher": "v"},
    "guardians": {"director": "vx", "deputy": "vx", "secretary": "vcedx", "officer": "v", "class_teacher": "v"},
    "orders": {"director": "vcex", "deputy": "vx", "secretary": "vcex", "officer": "vce"},
    # The texts new orders start from, one per kind: kept by those who draft the orders; none is added or deleted.
    "order_templates": {"director": "ve", "secretary": "ve", "deputy": "v", "officer": "v"},
    "users": {"admin": "vce", "director": "v"},
    "audit_log": {"admin": "vx", "director": "vx", "deputy": "vx"},
    "marks_import": {"deputy": "vc", "director": "v", "class_teacher": "vc"},
    "analysis": {"deputy": "vx", "director": "vx", "class_teacher": "v"},
    "progress_report": {"director": "vc", "deputy": "vc", "secretary": "vc", "class_teacher": "vc"},
    # Releases outside the panel are entered by hand by those who answer requests (003 §7.5.4).
    "pd_disclosure": {"admin": "vx", "director": "vcx", "deputy": "vcx", "secretary": "vc"},
    # Carrier registers (issue 3): DOMAIN.md «Roles» — the deputy reads and filters everything.
    "carrier_kinds": {"admin": "vcex", "director": "vx", "deputy": "vx", "secretary": "v", "officer": "v"},
    "personal_files": {"director": "vx", "deputy": "vx", "secretary": "vcedx", "officer": "v",
                       "class_teacher": "ve"},
    "exam_protocols": {"director": "vx", "deputy": "vcedx", "secretary": "vce"},
    "stored_certificates": {"director": "vx", "deputy": "vx", "officer": "vcex", "secretary": "v"},
    "register_books": {"director": "vx", "deputy": "vx", "officer": "vcex", "secretary": "vce"},
    "paper_journals": {"director": "vx", "deputy": "vcedx", "secretary": "vced"},
    "class_records": {"director": "vx", "deputy": "vcedx", "secretary": "vce"},
    "ejournal_copies": {"admin": "vcedx", "director": "vx", "deputy": "vx"},
    "portfolios": {"director": "vx", "deputy": "vx", "secretary": "vce", "class_teacher": "vce"},
    "portfolio_items": {"director": "vx", "deputy": "vx", "secretary": "vced", "class_teacher": "vced"},
    "people_import": {"secretary": "vc"},
    "custody": {"admin": "v", "director": "vx", "deputy": "vx", "secretary": "v", "officer": "vx"},
    # Certificate issuance (issue 4): the officer issues; the director and the deputy read.
    "issuance": {"officer": "vcex", "director": "v", "deputy": "v", "secretary": "v"},
    # Справки об обучении: the secretary keeps their book (004 §1.13), the officer issues them too.
    "study_certificates": {"secretary": "vc", "officer": "vc", "director": "v", "deputy": "v"},
    "blanks": {"officer": "vce", "director": "v", "deputy": "v"},
    "certificate_entries": {"officer": "vx", "director": "vx", "deputy": "vx"},
    "curriculum": {"deputy": "vced", "director": "v", "officer": "v", "secretary": "v"},
    "gia_minimums": {"deputy": "vced", "director": "v", "officer": "v"},
    "award_criteria": {"deputy": "ve", "director": "v", "officer": "v"},
    "medal_entries": {"officer": "vx", "director": "vx", "deputy": "vx"},
    "backups": {"admin": "vc"},
    # Retention review (issue 6): the deputy drafts destruction acts; approving is the director's alone,
    # setting a hold (запрет на уничтожение) is for both.
    "retention_review": {"deputy": "vce", "director": "v"},
    "destruction_approval": {"director": "ve"},
    "retention_hold": {"deputy": "ve", "director": "ve"},
    "destruction_acts": {"deputy": "vx", "director": "vx"},
    # Who is told on the home page that carriers await the retention review.
    "retention_notices": {"deputy": "v", "director": "v"},
    "leaving": {"director": "vce", "deputy": "v", "secretary": "vce", "officer": "vce"},
    # Reversing a leaving made by mistake is the director's alone, hence a row of its own.
    "leaving_reversal": {"director": "vc"},
    "handover_acts": {"director": "vx", "deputy": "vx", "secretary": "vx", "officer": "vx"},
    # Year end (issue 7): the class teacher fills and certifies the own class's year marks in personal files.
    "year_end_marks": {"class_teacher": "vce", "secretary": "vce", "deputy": "v", "director": "v"},
    # An empty or mistaken certification is withdrawn by the deputy alone, with a reason.
    "year_end_withdrawal": {"deputy": "vc"},
    # Academic debt (273-ФЗ ст. 58): the deputy organises the retakes and records them; nothing is deleted.
    "academic_debts": {"deputy": "vcex", "director": "vx", "secretary": "ve", "class_teacher": "v"},
    # E-journal archive control (issue 25): the administrator archives, the deputy and the director control;
    # the secretary prints the class documents too. Gaps go on the administrator's and the deputy's home page.
    "ejournal_archive": {"admin": "v", "director": "v", "deputy": "v", "secretary": "v"},
    "class_prints": {"admin": "vc", "director": "vc", "deputy": "vc", "secretary": "vc"},
    "archive_notices": {"admin": "v", "deputy": "v"},
    "personal_cards": {"secretary": "vc", "class_teacher": "vc", "deputy": "vc", "director": "vc"},
    # Every printed document, checked publicly by its code; a print is annulled, never deleted.
    "issued_documents": {"admin": "vx", "director": "vex", "deputy": "vx", "secretary": "vx", "officer": "vex"},
    # The alphabetical book (issue «archive backbone»): lines come from admissions and leavings, never typed;
    # the secretary corrects a line with a reason. The nomenclature of files is the deputy's and secretary's.
    "admission_book": {"secretary": "vex", "director": "vx", "deputy": "vx", "officer": "v"},
    "nomenclature": {"secretary": "vcedx", "deputy": "vcedx", "director": "vx", "admin": "vx", "officer": "v"},
}

# Roles that see a register only for their own class, unless another role of theirs sees all of it.
OWN_CLASS_ROLES = {"class_teacher"}


def role_can(role, target, action):
    letters = MATRIX.get(target, {}).get(role, "")
    return ACTIONS[action] in letters


def can(user, target, action):
    """May this user (anything with .roles and .is_active) do the action on the target?"""
    if user is None or not getattr(user, "is_active", False):
        return False
    return any(role_can(role, target, action) for role in getattr(user, "roles", ()))


def own_class_only(user, target):
    """True when the user's only right to view the target is the class teacher's."""
    roles = getattr(user, "roles", ())
    broad = [r for r in roles if r not in OWN_CLASS_ROLES and role_can(r, target, "view")]
    narrow = [r for r in roles if r in OWN_CLASS_ROLES and role_can(r, target, "view")]
    return bool(narrow) and not broad
