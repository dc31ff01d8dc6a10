"""The certificate book's page numbers: a page's number is its place in the whole book, whatever is printed.

The book is laced and numbered once; each run of one class's consecutive entries starts a new page and ends with
its certification block. A class whose entries are interleaved with another class's (a pupil registered after a
retake, when the next class was already in the book) prints each of its runs with that run's numbers in the book.
"""
import io
import re
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import select

import issuance_seed as seed
from models import Student, db
from models.disclosure import PdDisclosure
from models.issuance import BlankReceipt, SchoolClass, register_class

TODAY = date.today()
ORDER = {"order_number": "45-в", "order_date": TODAY - timedelta(days=2), "issued_on": TODAY}
FOUR = {"Русский язык": "4", "Математика": "4", "История": "5", "Биология": "4"}


def _pages(data):
    """{book page number: page text} of a print, by the number in each page's footer."""
    pages = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        text = " ".join(page.extract_text().split())
        found = re.search(r"стр\. (\d+)", text)
        assert found, text[-200:]
        pages[int(found.group(1))] = text
    return pages


def _where(pages, name):
    return [number for number, text in pages.items() if name in text]


def _interleaved_book(app):
    """Class 9А: Ёлкина registered first; then 9Б's 30 pupils (more than a page); then 9А's other two."""
    with app.app_context():
        ids = seed.everything()
        many = [(f"Выпускник{n:02d}", "Иван", "Иванович", date(2010, 1, 1), FOUR, FOUR, "5") for n in range(30)]
        klass_b, pupils_b = seed.graduating_class(letter="Б", pupils=many, file_prefix="b")
        db.session.add_all([BlankReceipt(blank_kind=k, level="basic", series="", number_from=f"{p}100000000",
                                         number_to=f"{p}100000099", received_on=date(2024, 5, 1),
                                         received_from="РУО") for k, p in (("certificate", "03224"),
                                                                           ("appendix", "03225"))])
        klass_a = db.session.get(SchoolClass, ids["class"])
        pupils_a = [db.session.get(Student, i) for i in ids["students"]]
        register_class(db.session, book_id=ids["book"], class_id=klass_a.id,
                       graduates_data=seed.rows(klass_a, pupils_a[:1]), **ORDER)
        rows_b = seed.rows(klass_b, pupils_b)
        for n, row in enumerate(rows_b):
            row.update(blank_number=f"03224100000{n:03d}", appendix_number=f"03225100000{n:03d}")
        register_class(db.session, book_id=ids["book"], class_id=klass_b.id, graduates_data=rows_b, **ORDER)
        register_class(db.session, book_id=ids["book"], class_id=klass_a.id,
                       graduates_data=seed.rows(klass_a, pupils_a[1:], start=2), **ORDER)
        db.session.commit()
        return dict(ids, class_b=klass_b.id)


def test_interleaved_classes_print_their_pages_with_the_numbers_they_have_in_the_whole_book(app, login_as):
    ids = _interleaved_book(app)
    officer = login_as("officer")
    book = _pages(officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}").data)
    # The whole book: pages 1..N without a gap; 9А's first run, 9Б over two pages, 9А's second run.
    assert sorted(book) == list(range(1, len(book) + 1)) and len(book) >= 4
    first_b, last_b = min(_where(book, "Выпускник00")), max(_where(book, "Выпускник29"))
    assert _where(book, "Ёлкина Анастасия") == [1] and first_b == 2 and last_b > first_b
    assert _where(book, "Иванов Пётр") == [last_b + 1] == _where(book, "Щукин Данияр")

    class_a = _pages(officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={ids['class']}").data)
    class_b = _pages(officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={ids['class_b']}").data)
    # 9А's print: its two runs, each on the page it has in the book (1, then after 9Б), each closed by its block.
    assert sorted(class_a) == [1, last_b + 1]
    assert "Записи № 1 (класс 9А, всего 1) внесены верно." in class_a[1]
    assert "Записи № 32–33 (класс 9А, всего 2) внесены верно." in class_a[last_b + 1]
    assert sorted(class_b) == list(range(first_b, last_b + 1))
    # Every entry stands on the same numbered page in any print.
    for name in ["Ёлкина Анастасия", "Иванов Пётр", "Щукин Данияр"]:
        assert _where(class_a, name) == _where(book, name)
    for n in range(30):
        assert _where(class_b, f"Выпускник{n:02d}") == _where(book, f"Выпускник{n:02d}")


def test_a_print_of_the_book_is_one_line_of_the_disclosure_register_naming_its_entries(app, login_as):
    ids = _interleaved_book(app)
    officer = login_as("officer")
    with app.app_context():
        before = db.session.scalar(select(PdDisclosure.id).order_by(PdDisclosure.id.desc()).limit(1)) or 0
    assert officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={ids['class']}").status_code == 200
    assert officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}").status_code == 200
    with app.app_context():
        lines = list(db.session.scalars(select(PdDisclosure).where(PdDisclosure.id > before)
                                        .order_by(PdDisclosure.id)))
        assert len(lines) == 2
        assert "3 чел., рег. № 1, 32–33; Ёлкина Анастасия Сергеевна, Иванов Пётр Сергеевич, Щукин Данияр" \
            in lines[0].description
        whole = lines[1].description
        assert "33 чел., рег. № 1–33" in whole and len(whole) <= 500
        # As many names as the line holds, then how many more: nobody in the print goes unaccounted.
        named = whole.split("; ", 1)[1]
        shown = len(named.split(" и ещё ")[0].split(", "))
        rest = int(named.split(" и ещё ")[1]) if " и ещё " in named else 0
        assert shown + rest == 33


def test_a_continued_page_shows_the_grey_header_row_and_the_grid_within_the_page(app, login_as):
    from pdf_pages import page_image, rightmost_ink

    ids = _interleaved_book(app)
    data = login_as("officer").get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={ids['class_b']}").data
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    image = page_image(data, page=1, dpi=60)  # 9Б's second page: no heading, the header row repeated on top
    width, height = image.size
    top = image.crop((0, 0, width, height // 5)).convert("L")
    grey = sum(top.histogram()[225:246])
    assert grey > width * 5, grey  # the header's grey band is drawn, not just its words
    assert width * 0.5 < rightmost_ink(image) < width * 0.98
