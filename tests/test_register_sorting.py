"""Every sortable column of every register sorts, both ways, on both databases (a crawler clicks them all)."""
import factories
from flask_admin.contrib.sqla import ModelView

from models.roles import ROLES


def test_every_sortable_column_of_every_register_sorts(app, login_as):
    panel = login_as(list(ROLES), login="everyone")
    with app.app_context():
        factories.seed_everything()
    admin = app.extensions["panel_admin"]
    failures, tried = [], 0
    for view in admin._views:
        if not isinstance(view, ModelView):
            continue
        for index, (name, label) in enumerate(view._list_columns):
            if name not in view._sortable_columns:
                continue
            for desc in ("0", "1"):
                tried += 1
                try:
                    response = panel.get(f"/admin/{view.endpoint}/?sort={index}&desc={desc}")
                except Exception as exc:  # the test app re-raises what a user would see as a 500 page
                    failures.append(f"{view.endpoint} «{label}» ({name}, desc={desc}): {type(exc).__name__}")
                    continue
                page = response.get_data(as_text=True)
                if response.status_code != 200 or "SELECT" in page:
                    failures.append(f"{view.endpoint} «{label}» ({name}, desc={desc}): {response.status_code}")
    assert tried > 100, tried  # the walk reached the registers
    assert not failures, "\n".join(failures)
