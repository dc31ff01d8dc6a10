"""Benchmark: import 100,000 marks from one flat XLSX into a fresh SQLite database (target: under 20 s)."""
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models import SchoolClass, Student, Subject, db  # noqa: E402
from models.marks_import import apply_import  # noqa: E402
from models.people import current_year  # noqa: E402
from models.seed import ensure_reference_data  # noqa: E402


def main(total=100_000):
    from flask_migrate import upgrade
    from openpyxl import Workbook

    root = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(root),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.sqlite'}"})
    with app.app_context():
        upgrade()
        ensure_reference_data(db.session)
        year = current_year(db.session)
        classes = [SchoolClass(academic_year=year, grade=g, letter=l) for g in range(5, 12) for l in "АБВ"]
        subjects = [Subject(name=f"Предмет {i}", position=i) for i in range(10)]
        db.session.add_all(classes + subjects)
        db.session.flush()
        students = [Student(last_name=f"Фамилия{c.id}_{i}", first_name="Имя", birth_date=date(2010, 1, 1),
                            sex="male", school_class=c) for c in classes for i in range(25)]
        db.session.add_all(students)
        db.session.commit()
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Отметки")
        sheet.append(["Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид"])
        day, n = year.starts_on, 0
        while n < total:
            for student in students:
                for subject in subjects[:2]:
                    sheet.append([f"{student.last_name} Имя", student.school_class.name, subject.name,
                                  day.strftime("%d.%m.%Y"), str(n % 4 + 2), "текущая"])
                    n += 1
            day += timedelta(days=1)
        path = root / "marks.xlsx"
        book.save(path)
        data = path.read_bytes()
        started = time.perf_counter()
        batch = apply_import(db.session, data, original_name="marks.xlsx", stored_name="bench.xlsx", year=year)
        db.session.commit()
        elapsed = time.perf_counter() - started
        print(f"Импортировано {batch.added_count} отметок за {elapsed:.1f} с")
        return 0 if elapsed < 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
