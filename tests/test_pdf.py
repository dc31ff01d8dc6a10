"""The shared PDF renderer embeds a Cyrillic font: the text reads back as Cyrillic."""
import io

from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader

from views.pdf import render_pdf

PROBE = ("{% extends 'pdf/base.html' %}{% block content %}<h1>Справка об обучении</h1>"
         "<p>Обучающийся: Ёлкина Анастасия Сергеевна</p>{% endblock %}")


def test_cyrillic_text_is_real_text(app):
    app.jinja_env.loader = ChoiceLoader([DictLoader({"pdf/_probe.html": PROBE}), app.jinja_env.loader])
    with app.test_request_context():
        data = render_pdf("pdf/_probe.html", school=None)
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Справка об обучении" in text
    assert "Ёлкина Анастасия Сергеевна" in text
    assert b"DejaVu" in data
