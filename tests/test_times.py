"""One time convention: every time is stored in UTC and shown in the school's zone (TIMEZONE), labelled so."""
from datetime import datetime

import factories

from models import AuditLog, PdDisclosure, db
from models.carriers import CustodyMovement


def test_registers_show_the_schools_time_and_say_so(app, login_as):
    app.config["TIMEZONE"] = "Asia/Yekaterinburg"  # UTC+5 all year
    try:
        director = login_as("director")
        with app.app_context():
            records = factories.seed_everything(teacher=None)
            records[PdDisclosure].at = datetime(2026, 3, 2, 7, 15)  # 12:15 in Yekaterinburg
            records[CustodyMovement].moved_at = datetime(2026, 3, 2, 20, 30)  # 01:30 of the next day there
            db.session.add(AuditLog(at=datetime(2026, 3, 2, 23, 5), user_login="test", action="update",
                                    table_name="student", record_id="1", record_repr="проверка времени",
                                    changes="{}"))
            db.session.commit()
        disclosures = director.get("/admin/pd_disclosure/").get_data(as_text=True)
        assert "Когда (время школы)" in disclosures and "(UTC)" not in disclosures
        assert "02.03.2026 12:15" in disclosures and "02.03.2026 07:15" not in disclosures
        log = director.get("/admin/audit_log/?search=проверка").get_data(as_text=True)
        assert "Когда (время школы)" in log and "03.03.2026 04:05" in log
        custody = director.get("/admin/custody/").get_data(as_text=True)
        assert "Когда (время школы)" in custody and "03.03.2026 01:30" in custody
    finally:
        app.config["TIMEZONE"] = "Europe/Moscow"
