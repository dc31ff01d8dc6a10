"""Seeder of the district-scale benchmark: students, marks, carriers and custody written by bulk Core inserts."""
import random
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import case, func, insert, select, text

from models import (AcademicYear, Carrier, CarrierKind, ClassRecord, CustodyMovement, EjournalCopy, ExamProtocol,
                    PaperJournal, PersonalFile, Portfolio, RegisterBook, School, SchoolClass,
                    StoredCertificate, Student, Subject, Term, User, db)
from models.carriers import retention_end
from models.marks_import import insert_marks
from models.issuance import CertificateBookEntry, CertificateMark
from models.people import Level, search_name
from models.registers import CopyMedium
from models.seed import ensure_reference_data

# Bump when the seeded data changes: a cached database of another version is seeded again.
SEED_VERSION = 2
MARKER = f"Школа бенчмарка, версия данных {SEED_VERSION}"
BENCH_LOGIN = "bench"
BENCH_PASSWORD = "bench-password-1"

SURNAMES = ("Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов",
            "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев",
            "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин",
            "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
            "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов",
            "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов")
MALE = ("Александр", "Максим", "Иван", "Артём", "Дмитрий", "Никита", "Михаил", "Даниил", "Егор", "Андрей",
        "Кирилл", "Илья", "Алексей", "Роман", "Сергей")
FEMALE = ("Анастасия", "Мария", "Анна", "Виктория", "Полина", "Елизавета", "Екатерина", "Дарья", "Софья",
          "Алиса", "Ксения", "Александра", "Вероника", "Варвара", "Алёна")
PATRONYMICS = ("Александрович", "Сергеевич", "Андреевич", "Дмитриевич", "Иванович", "Михайлович")
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТ"
SUBJECTS = ("Русский язык", "Литература", "Математика", "Алгебра", "Геометрия", "История", "Обществознание",
            "География", "Биология", "Физика", "Химия", "Английский язык")
CHUNK = 20_000


def sizes(students):
    """Everything scales with the number of students: 20 marks and 3 carriers per student."""
    big = students >= 10_000
    return SimpleNamespace(students=students, marks=20 * students, carriers=3 * students,
                           letters_now=4 if big else 1, per_class_now=25 if big else 5,
                           past_years=30 if big else 3)


def _bulk(table, rows):
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start:start + CHUNK])


def _name(rng, i, shift=0):
    male = i % 2 == 0
    surname = SURNAMES[(i * 7 + shift) % len(SURNAMES)]
    first = (MALE if male else FEMALE)[(i // 2) % 15]
    middle = PATRONYMICS[(i + shift) % len(PATRONYMICS)]
    if not male:
        surname += "а"
        middle = middle[:-2] + "на"
    return surname, first, middle, "male" if male else "female"


def seed(students=100_000, today=None):
    """Fill an empty, migrated database. Returns a dict of the ids the timing code needs."""
    rng = random.Random(20261123)
    today = today or date.today()
    size = sizes(students)
    session = db.session
    ensure_reference_data(session, today)
    school = session.scalar(select(School))
    school.short_name = MARKER
    school.full_name = "Муниципальное бюджетное общеобразовательное учреждение «Школа бенчмарка»"
    user = User(login=BENCH_LOGIN, full_name="Замдиректора Бенчмарков", active=True)
    user.roles = ["deputy", "secretary", "officer"]
    user.set_password(BENCH_PASSWORD)
    keepers = [User(login=f"keeper{i}", full_name=f"Хранитель {SURNAMES[i]}", active=True, roles_text="secretary")
               for i in range(12)]
    session.add_all([user] + keepers)
    for position, name in enumerate(SUBJECTS):
        session.add(Subject(name=name, position=position))
    session.flush()
    keeper_ids = [k.id for k in keepers]
    subject_ids = list(session.scalars(select(Subject.id).order_by(Subject.position)))
    levels = {lv.code: lv.id for lv in session.scalars(select(Level))}
    kinds = {k.code: k for k in session.scalars(select(CarrierKind))}

    # --- years and terms: the current one and `past_years` before it ----------------------------------
    current = session.scalar(select(AcademicYear).where(AcademicYear.is_current.is_(True)))
    years = [current]
    for back in range(1, size.past_years + 1):
        start = current.starts_on.replace(year=current.starts_on.year - back)
        years.append(AcademicYear(name=f"{start.year}/{start.year + 1}", starts_on=start,
                                  ends_on=date(start.year + 1, 8, 31), is_current=False))
    session.add_all(years[1:])
    session.flush()
    terms = {}
    for year in years:
        y = year.starts_on.year
        bounds = [(date(y, 9, 1), date(y, 10, 26)), (date(y, 11, 3), date(y, 12, 28)),
                  (date(y + 1, 1, 9), date(y + 1, 3, 20)), (date(y + 1, 3, 30), date(y + 1, 5, 26))]
        terms[year.id] = [Term(academic_year_id=year.id, kind="quarter", number=n + 1, starts_on=s, ends_on=e)
                          for n, (s, e) in enumerate(bounds)]
        session.add_all(terms[year.id])
    session.flush()

    # --- classes and students -------------------------------------------------------------------
    now_count = 11 * size.letters_now * size.per_class_now
    per_year = max((students - now_count) // size.past_years, 11)
    letters_past = max(1, -(-per_year // (11 * 30)))
    class_rows, plan = [], []  # plan: (class key, year, grade, how many students)
    for position, year in enumerate(years):
        letters = size.letters_now if year is current else letters_past
        total = now_count if year is current else per_year
        if position == len(years) - 1:  # the oldest year takes what the division left over
            total = students - now_count - per_year * (size.past_years - 1)
        per_class = -(-total // (11 * letters))
        left = total
        for grade in range(1, 12):
            for letter in LETTERS[:letters]:
                n = min(per_class, left)
                left -= n
                level = "НОО" if grade <= 4 else "ООО" if grade <= 9 else "СОО"
                class_rows.append(dict(academic_year_id=year.id, grade=grade, letter=letter, name=f"{grade}{letter}",
                                       level_id=levels[level], class_teacher_id=rng.choice(keeper_ids)))
                plan.append((year, grade, n))
    _bulk(SchoolClass.__table__, class_rows)
    class_ids = dict(((r["academic_year_id"], r["name"]), cid) for r, cid in zip(class_rows, session.execute(
        select(SchoolClass.id).order_by(SchoolClass.id)).scalars()))
    student_rows = []
    made = 0
    for (year, grade, n), row in zip(plan, class_rows):
        cid = class_ids[(year.id, row["name"])]
        for i in range(n):
            if made >= students:
                break
            last, first, middle, sex = _name(rng, i, shift=cid)
            born = date(year.starts_on.year - 6 - grade, 1 + i % 12, 1 + i % 28)
            if year is current:
                status, left_on, reason = "studying", None, None
            else:
                status = "graduated" if grade in (9, 11) else "left"
                left_on = year.ends_on - timedelta(days=rng.randint(60, 90))
                reason = "graduated" if status == "graduated" else "transfer"
            student_rows.append(dict(last_name=last, first_name=first, middle_name=middle,
                                     search_name=search_name(last, first, middle), birth_date=born, sex=sex,
                                     school_class_id=cid, status=status,
                                     enrolled_on=date(year.starts_on.year - grade + 1, 9, 1), left_on=left_on,
                                     leaving_reason=reason))
            made += 1
    _bulk(Student.__table__, student_rows)
    ids = list(session.scalars(select(Student.id).order_by(Student.id)))
    for row, sid in zip(student_rows, ids):
        row["id"] = sid
    years_by_id = {y.id: y for y in years}
    class_year = {cid: year_id for (year_id, _), cid in class_ids.items()}

    # --- marks: the current year in full, then past years' final classes until 20 per student ---------
    mark_rows = []
    now_students = [s for s in student_rows if s["status"] == "studying"]
    q1, q2 = terms[current.id][0], terms[current.id][1]
    q2_days = max(1, min((today - q2.starts_on).days, (q2.ends_on - q2.starts_on).days))
    for s in now_students:
        for sub in subject_ids:
            mark_rows.append(dict(student_id=s["id"], subject_id=sub, school_class_id=s["school_class_id"],
                                  kind="term", marked_on=q1.ends_on, slot=0, term_id=q1.id,
                                  value=rng.choice((3, 4, 4, 5, 5)), code=None, weight=1))
            for k in range(24):
                first_half = k < 14
                day = q1.starts_on + timedelta(days=k * 3) if first_half else \
                    q2.starts_on + timedelta(days=(k - 14) % q2_days)
                slot = 0 if first_half else (k - 14) // q2_days
                absent = rng.random() < 0.05
                mark_rows.append(dict(student_id=s["id"], subject_id=sub, school_class_id=s["school_class_id"],
                                      kind="current", marked_on=day, slot=slot, term_id=None,
                                      value=None if absent else rng.choice((2, 3, 4, 4, 5, 5)),
                                      code="н" if absent else None, weight=1))
    past = [s for s in student_rows if s["status"] != "studying"]
    past.sort(key=lambda s: -s["school_class_id"])  # most recent years first
    for s in past:
        if len(mark_rows) >= size.marks:
            break
        year_terms = terms[class_year[s["school_class_id"]]]
        for sub in subject_ids:
            for term in year_terms:
                mark_rows.append(dict(student_id=s["id"], subject_id=sub, school_class_id=s["school_class_id"],
                                      kind="term", marked_on=term.ends_on, slot=0, term_id=term.id,
                                      value=rng.choice((3, 4, 4, 5, 5)), code=None, weight=1))
            mark_rows.append(dict(student_id=s["id"], subject_id=sub, school_class_id=s["school_class_id"],
                                  kind="year", marked_on=year_terms[-1].ends_on, slot=0, term_id=None,
                                  value=rng.choice((3, 4, 4, 5, 5)), code=None, weight=1))
    del mark_rows[size.marks:]
    for start in range(0, len(mark_rows), CHUNK):  # COPY on PostgreSQL: the mark totals' triggers once per chunk
        insert_marks(db.session, mark_rows[start:start + CHUNK])
    del mark_rows

    # --- carriers: a personal file per student, the rest spread over the other registers ------------
    carrier_rows, sub_rows, movement_rows = [], {}, []
    next_id = (session.scalar(select(func.max(Carrier.id))) or 0) + 1

    def add_carrier(model, kind_code, extra=None, **values):
        nonlocal next_id
        kind = kinds[kind_code]
        row = dict(id=next_id, type=model.__mapper__.polymorphic_identity, kind_id=kind.id, number=None, title=None,
                   student_id=None, school_class_id=None, academic_year_id=None, created_on=None, closed_on=None,
                   event_on=None, status="kept", location=f"Архив, шкаф {next_id % 40 + 1}",
                   custodian_id=keeper_ids[next_id % len(keeper_ids)], on_hold=False, hold_reason=None,
                   destroyed_on=None, annulled=False, version=1)
        row.update(values)
        left_on = values.pop("_left_on", None)
        row.pop("_left_on", None)
        year = years_by_id.get(row["academic_year_id"])
        row["retention_end"] = retention_end(kind, SimpleNamespace(**row), left_on, year.ends_on if year else None,
                                             has_student=row["student_id"] is not None)
        if row["retention_end"] and row["retention_end"] < date(today.year - 12, 1, 1) and next_id % 3 == 0:
            row.update(status="destroyed", destroyed_on=row["retention_end"] + timedelta(days=200))
        carrier_rows.append(row)
        sub_rows.setdefault(model, []).append(dict(id=next_id, **(extra or {})))
        created = datetime.combine(row["created_on"] or date(2000, 1, 1), datetime.min.time())
        movement_rows.append(dict(carrier_id=next_id, moved_at=created, from_location=None,
                                  to_location=row["location"], from_holder=None, to_holder="Хранитель",
                                  moved_by="bench", reason="Заведено"))
        if next_id % 3 == 0:
            movement_rows.append(dict(carrier_id=next_id, moved_at=created + timedelta(days=30),
                                      from_location="Приёмная", to_location=row["location"], from_holder="Секретарь",
                                      to_holder="Хранитель", moved_by="bench", reason="Передано в архив"))
        next_id += 1

    for s in student_rows:
        cid = s["school_class_id"]
        add_carrier(PersonalFile, "personal_file", dict(has_application=True, has_birth_certificate_copy=True,
                                                        has_medical_policy_copy=s["id"] % 4 != 0),
                    number=f"{s['last_name'][0]}-{s['id']}", student_id=s["id"], school_class_id=cid,
                    academic_year_id=class_year[cid], created_on=s["enrolled_on"], closed_on=s["left_on"],
                    status="kept" if s["status"] != "left" or s["id"] % 5 else "handed_over",
                    _left_on=s["left_on"])
    rest = size.carriers - len(student_rows)
    class_list = [(cid, yid) for (yid, _), cid in class_ids.items()]
    shares = ((Portfolio, ("portfolio",), 0.25), (PaperJournal, ("paper_journal",), 0.25),
              (ClassRecord, ("summary_sheet", "final_mark_pages"), 0.2),
              (ExamProtocol, ("gia_protocol", "final_essay_protocol", "oral_interview_protocol"), 0.2),
              (EjournalCopy, ("ejournal_copy",), 0.05), (StoredCertificate, ("stored_certificate",), 0.04),
              (RegisterBook, ("certificate_book",), 0.01))
    for model, codes, share in shares:
        for i in range(max(2, int(rest * share))):
            cid, yid = class_list[(i * 13) % len(class_list)]
            year = years_by_id[yid]
            code = codes[i % len(codes)]
            common = dict(school_class_id=cid, academic_year_id=yid, created_on=year.starts_on,
                          closed_on=year.ends_on if year is not current else None)
            if model is Portfolio:
                s = student_rows[(i * 7) % len(student_rows)]
                add_carrier(model, code, student_id=s["id"], _left_on=s["left_on"],
                            **{**common, "school_class_id": s["school_class_id"]})
            elif model is PaperJournal:
                add_carrier(model, code, dict(journal_kind="elective", group_name=f"Группа {i % 9 + 1}",
                                              teacher=f"{SURNAMES[i % 60]} А. В."),
                            title=f"Журнал факультатива № {i}", **common)
            elif model is ClassRecord:
                add_carrier(model, code, dict(pages=1 + i % 20), number=f"СВ-{i}", title="Сводная ведомость",
                            **common)
            elif model is ExamProtocol:
                add_carrier(model, code, dict(exam="oge", subject_id=subject_ids[i % len(subject_ids)]),
                            number=f"П-{i}", title="Протокол", event_on=date(year.starts_on.year + 1, 5, 25),
                            **common)
            elif model is EjournalCopy:
                add_carrier(model, code, dict(term_id=terms[yid][i % 4].id, file_format="xlsx",
                                              last_verified_at=datetime(year.starts_on.year + 1, 6, 1)), **common)
            elif model is StoredCertificate:
                s = student_rows[(i * 11) % len(student_rows)]
                add_carrier(model, code, dict(series_number=f"{i:014d}", is_original=True),
                            student_id=s["id"], created_on=year.ends_on, academic_year_id=yid)
            else:
                add_carrier(model, code, dict(level="basic"), number=f"КН-{i + 1}", title="Книга выдачи аттестатов",
                            created_on=year.starts_on, closed_on=None if i == 0 else year.ends_on,
                            academic_year_id=yid, location="Сейф директора")
    _bulk(Carrier.__table__, carrier_rows)
    for model, rows in sub_rows.items():
        _bulk(model.__table__, rows)
    _bulk(CustodyMovement.__table__, movement_rows)
    copies = [r["id"] for r in sub_rows[EjournalCopy]]
    _bulk(CopyMedium.__table__, [dict(copy_id=c, medium_type="optical", location=f"Сейф {n}")
                                 for c in copies for n in (1, 2)])

    # --- a certificate book with the current 9А's entries (and earlier years' entries before them) ------
    book_id = sub_rows[RegisterBook][0]["id"]
    nine = class_ids[(current.id, "9А")]
    entries, reg = [], 0
    for s in past[:students // 10] + [s for s in now_students if s["school_class_id"] == nine]:
        reg += 1
        entries.append(dict(book_id=book_id, reg_number=reg, entry_kind="certificate", level="basic",
                            student_id=s["id"], school_class_id=s["school_class_id"],
                            academic_year_id=class_year[s["school_class_id"]], last_name=s["last_name"],
                            first_name=s["first_name"], middle_name=s["middle_name"], birth_date=s["birth_date"],
                            blank_series="", blank_number=f"{reg:014d}", order_number=f"{reg % 90 + 1}-у",
                            order_date=date(2026, 6, 20), issued_on=date(2026, 6, 25), recipient_kind="graduate"))
    _bulk(CertificateBookEntry.__table__, entries)
    nine_entries = session.scalars(select(CertificateBookEntry.id).where(
        CertificateBookEntry.school_class_id == nine)).all()
    _bulk(CertificateMark.__table__, [dict(entry_id=e, subject_id=sub, subject_name=SUBJECTS[p], position=p,
                                           value=str(4 + (e + p) % 2))
                                      for e in nine_entries for p, sub in enumerate(subject_ids)])
    # The alphabetical book: a line per student, the personal files' numbers kept (the hook does not see bulk rows).
    from models.admission_book import fill_book

    fill_book(session)
    _fix_sequences()
    session.commit()
    return {"students": len(student_rows), "carriers": len(carrier_rows), "movements": len(movement_rows)}


def _fix_sequences():
    # Rows were written with explicit ids: PostgreSQL's sequences must move past them for later inserts.
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("carrier", "custody_movement"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def is_seeded(students):
    """True when this database holds this seed version at this size."""
    school = db.session.scalar(select(School).order_by(School.id))
    if school is None or school.short_name != MARKER:
        return False
    # The issuance grid's class «9Я» is added after seeding (issuance_class) and is not part of the size.
    grid_pupils = select(SchoolClass.id).where(SchoolClass.grade == 9, SchoolClass.letter == "Я")
    return db.session.scalar(select(func.count(Student.id)).where(
        Student.school_class_id.is_(None) | Student.school_class_id.not_in(grid_pupils))) == sizes(students).students


def fixtures():
    """Ids the timing code asks for, read back from a seeded database (cached or fresh)."""
    current = db.session.scalar(select(AcademicYear).where(AcademicYear.is_current.is_(True)))
    nine = db.session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == current.id,
                                                       SchoolClass.name == "9А"))
    book = db.session.scalar(select(RegisterBook.id).join(CarrierKind, CarrierKind.id == RegisterBook.kind_id)
                             .where(CarrierKind.code == "certificate_book").order_by(RegisterBook.id))
    middle_file = db.session.scalar(select(PersonalFile.id).order_by(PersonalFile.id)
                                    .offset(db.session.scalar(select(func.count(PersonalFile.id))) // 2).limit(1))
    middle_student = db.session.scalar(select(Student.id).where(Student.status == "studying").order_by(Student.id)
                                       .limit(1))
    gia_protocol = db.session.scalar(select(ExamProtocol.id).join(CarrierKind, CarrierKind.id == ExamProtocol.kind_id)
                                     .where(CarrierKind.code == "gia_protocol").order_by(ExamProtocol.id))
    # A letter of the alphabetical book within a year of admissions, as close to 300 lines as the data has.
    from sqlalchemy import extract

    from models.admission_book import AdmissionBookEntry

    year_of = extract("year", AdmissionBookEntry.admitted_on)
    counts = db.session.execute(select(AdmissionBookEntry.letter, year_of, func.count()).group_by(
        AdmissionBookEntry.letter, year_of)).all()
    letter, admitted, _ = min(counts, key=lambda r: abs(r[2] - 300)) if counts else ("А", current.starts_on.year, 0)
    book_year = db.session.scalar(select(AcademicYear.id).where(AcademicYear.starts_on <= date(int(admitted), 12, 31),
                                                                AcademicYear.ends_on >= date(int(admitted), 9, 1)))
    return dict(year_id=current.id, class_id=nine.id, book_id=book, personal_file_id=middle_file,
                student_id=middle_student, gia_protocol_id=gia_protocol, book_letter=letter, book_year=book_year,
                grid_class_id=issuance_class(db.session, current),
                **{f"book_{size}": book for size, book in certificate_books(db.session).items()})


def issuance_class(session, year, size=30):
    """A 9th class still to be issued («9Я», added once to the seeded district): personal files with every
    curriculum subject's annual mark, the ОГЭ results; the issuance grid computes its final marks."""
    from models.attestation import curriculum_rows, seed_curriculum
    from models.registers import AnnualMark, ExamResult

    found = session.scalar(select(SchoolClass.id).where(SchoolClass.academic_year_id == year.id,
                                                        SchoolClass.grade == 9, SchoolClass.letter == "Я"))
    if found is not None:
        return found
    seed_curriculum(session)
    rng = random.Random(9)
    klass = SchoolClass(academic_year_id=year.id, grade=9, letter="Я")
    session.add(klass)
    session.flush()
    kinds = {k.code: k.id for k in session.scalars(select(CarrierKind))}
    items = curriculum_rows(session, "basic")
    years = {0: year}
    for back in range(1, 5):
        start = year.starts_on.year - back
        years[back] = session.scalar(select(AcademicYear).where(AcademicYear.starts_on == date(start, 9, 1))) or year
    protocols = {}
    for item in items:
        if item.gia_required or item.subject.name in ("Обществознание", "Биология"):
            protocol = ExamProtocol(kind_id=kinds["gia_protocol"], exam="oge", subject_id=item.subject_id,
                                    academic_year_id=year.id, event_on=date(year.ends_on.year, 5, 28),
                                    created_on=date(year.ends_on.year, 5, 28), number=f"ОГЭ-9Я-{item.subject_id}")
            session.add(protocol)
            protocols[item.subject_id] = protocol
    for n in range(size):
        pupil = Student(last_name=f"Выпускной{n:02d}", first_name="Иван", middle_name="Иванович",
                        birth_date=date(year.starts_on.year - 15, 3, 1), sex="male", school_class_id=klass.id,
                        status="studying", search_name=search_name(f"Выпускной{n:02d}", "Иван", "Иванович"))
        session.add(pupil)
        session.flush()
        pfile = PersonalFile(kind_id=kinds["personal_file"], number=f"Я-9{n:03d}", student_id=pupil.id,
                             created_on=year.starts_on)
        session.add(pfile)
        session.flush()
        for item in items:
            if item.result_kind == "mark":
                session.add(AnnualMark(personal_file_id=pfile.id, academic_year_id=years[9 - item.last_grade].id,
                                       subject_id=item.subject_id, grade=item.last_grade,
                                       value=str(rng.choice((3, 4, 4, 5, 5)))))
        for protocol in protocols.values():
            protocol.results.append(ExamResult(student_id=pupil.id, mark=str(rng.choice((3, 4, 4, 5, 5)))))
    session.commit()
    return klass.id


BOOK_SIZES = (50, 200)


def certificate_books(session):
    """Two more certificate books of 50 and 200 entries (added once to the seeded district, like «9Я»): a print
    of a whole book of that size, its earlier pages none. Past 9th classes whose pupils have no certificate yet,
    each entry with its twelve subjects' marks, as the seeded book КН-1 has. Returns {size: book id}."""
    books = {}
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "certificate_book"))
    subjects = list(session.scalars(select(Subject).order_by(Subject.position)))
    for size in BOOK_SIZES:
        number = f"КН-Б{size}"
        found = session.scalar(select(RegisterBook.id).where(RegisterBook.number == number))
        if found is not None:
            books[size] = found
            continue
        taken = select(CertificateBookEntry.student_id)
        pupils = session.execute(
            select(Student, SchoolClass.academic_year_id).join(SchoolClass, SchoolClass.id == Student.school_class_id)
            .where(Student.status != "studying", Student.id.not_in(taken))
            .order_by(case((SchoolClass.grade == 9, 0), else_=1), SchoolClass.id, Student.id).limit(size)).all()
        year_id = pupils[0][1]
        book = RegisterBook(kind_id=kind.id, number=number, title="Книга выдачи аттестатов", level="basic",
                            created_on=date(2000, 9, 1), academic_year_id=year_id, location="Сейф директора")
        session.add(book)
        session.flush()
        entries = []
        for reg, (s, class_year) in enumerate(pupils, start=1):
            entries.append(CertificateBookEntry(
                book_id=book.id, reg_number=reg, entry_kind="certificate", level="basic", student_id=s.id,
                school_class_id=s.school_class_id, academic_year_id=class_year, last_name=s.last_name,
                first_name=s.first_name, middle_name=s.middle_name, birth_date=s.birth_date, blank_series="Б",
                blank_number=f"{size:03d}{reg:011d}", order_number=f"{reg % 90 + 1}-у", order_date=date(2026, 6, 20),
                issued_on=date(2026, 6, 25), recipient_kind="graduate"))
        session.add_all(entries)
        session.flush()
        session.execute(insert(CertificateMark.__table__), [
            dict(entry_id=e.id, subject_id=sub.id, subject_name=sub.name, position=p, value=str(4 + (e.id + p) % 2))
            for e in entries for p, sub in enumerate(subjects)])
        session.commit()
        books[size] = book.id
    return books


LOAD_ROLES = ("secretary", "deputy", "director", "officer", "class_teacher")


def load_users(session):
    """A user of each role for bench/load.py (added once, like «9Я»): login «bench_<role>», the bench password;
    the class teacher leads the current 9А. Returns {role: login}."""
    current = session.scalar(select(AcademicYear).where(AcademicYear.is_current.is_(True)))
    logins = {}
    for role in LOAD_ROLES:
        login = f"bench_{role}"
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            user = User(login=login, full_name=f"Нагрузка {role}", active=True, roles_text=role)
            user.set_password(BENCH_PASSWORD)
            session.add(user)
            session.flush()
        if role == "class_teacher":
            nine = session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == current.id,
                                                            SchoolClass.name == "9А"))
            nine.class_teacher_id = user.id
        logins[role] = login
    session.commit()
    return logins
