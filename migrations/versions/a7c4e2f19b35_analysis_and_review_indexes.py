"""the whole-school analysis and the retention review at district scale: current marks totalled per subject and
day by triggers; indexes read alone

Revision ID: a7c4e2f19b35
Revises: a4c6e8f0b2d5
Create Date: 2026-12-01 01:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c4e2f19b35'
down_revision = 'a4c6e8f0b2d5'
branch_labels = None
depends_on = None

OLD_KIND_STATUS_END = ["kind_id", "status", "retention_end"]
OLD_CLASS_KIND_TERM = ["school_class_id", "kind", "term_id"]
CLASS_KIND_TERM = OLD_CLASS_KIND_TERM + ["student_id", "value"]
KIND_STATUS_END = OLD_KIND_STATUS_END + ["annulled", "on_hold", "student_id", "created_on", "event_on", "closed_on",
                                             "id"]

COUNTED = "kind = 'current' AND value IS NOT NULL"
TOTALS = "subject_id, marked_on, count(*), sum(weight), sum(value * weight)"

# SQLite: a trigger per row. The row of a (subject, day) left without marks goes, so no sum drifts around zero.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER mark_day_total_insert AFTER INSERT ON mark
    WHEN NEW.kind = 'current' AND NEW.value IS NOT NULL BEGIN
      INSERT INTO mark_day_total (subject_id, marked_on, marks, weight_sum, weighted_sum)
      VALUES (NEW.subject_id, NEW.marked_on, 1, NEW.weight, NEW.value * NEW.weight)
      ON CONFLICT (subject_id, marked_on) DO UPDATE SET marks = marks + 1,
        weight_sum = weight_sum + excluded.weight_sum, weighted_sum = weighted_sum + excluded.weighted_sum;
    END""",
    """CREATE TRIGGER mark_day_total_delete AFTER DELETE ON mark
    WHEN OLD.kind = 'current' AND OLD.value IS NOT NULL BEGIN
      UPDATE mark_day_total SET marks = marks - 1, weight_sum = weight_sum - OLD.weight,
        weighted_sum = weighted_sum - OLD.value * OLD.weight
        WHERE subject_id = OLD.subject_id AND marked_on = OLD.marked_on;
      DELETE FROM mark_day_total WHERE subject_id = OLD.subject_id AND marked_on = OLD.marked_on AND marks <= 0;
    END""",
    """CREATE TRIGGER mark_day_total_update AFTER UPDATE OF kind, value, weight, subject_id, marked_on ON mark
    BEGIN
      UPDATE mark_day_total SET marks = marks - 1, weight_sum = weight_sum - OLD.weight,
        weighted_sum = weighted_sum - OLD.value * OLD.weight
        WHERE subject_id = OLD.subject_id AND marked_on = OLD.marked_on
          AND OLD.kind = 'current' AND OLD.value IS NOT NULL;
      DELETE FROM mark_day_total WHERE subject_id = OLD.subject_id AND marked_on = OLD.marked_on AND marks <= 0;
      INSERT INTO mark_day_total (subject_id, marked_on, marks, weight_sum, weighted_sum)
      SELECT NEW.subject_id, NEW.marked_on, 1, NEW.weight, NEW.value * NEW.weight
        WHERE NEW.kind = 'current' AND NEW.value IS NOT NULL
      ON CONFLICT (subject_id, marked_on) DO UPDATE SET marks = marks + 1,
        weight_sum = weight_sum + excluded.weight_sum, weighted_sum = weighted_sum + excluded.weighted_sum;
    END""",
]

# PostgreSQL: once per statement over its transition tables, so the import's COPY of 10,000 marks adds a few
# grouped rows rather than 10,000 upserts.
PG_FUNCTION = f"""CREATE FUNCTION mark_day_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE mark_day_total AS t SET marks = t.marks - o.marks, weight_sum = t.weight_sum - o.weight_sum,
        weighted_sum = t.weighted_sum - o.weighted_sum
      FROM (SELECT subject_id, marked_on, count(*) AS marks, sum(weight) AS weight_sum,
                   sum(value * weight) AS weighted_sum
              FROM old_rows WHERE {COUNTED} GROUP BY subject_id, marked_on) AS o
      WHERE t.subject_id = o.subject_id AND t.marked_on = o.marked_on;
    DELETE FROM mark_day_total AS t USING (SELECT DISTINCT subject_id, marked_on FROM old_rows) AS o
      WHERE t.subject_id = o.subject_id AND t.marked_on = o.marked_on AND t.marks <= 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO mark_day_total (subject_id, marked_on, marks, weight_sum, weighted_sum)
      SELECT {TOTALS} FROM new_rows WHERE {COUNTED} GROUP BY subject_id, marked_on
      ON CONFLICT (subject_id, marked_on) DO UPDATE SET marks = mark_day_total.marks + excluded.marks,
        weight_sum = mark_day_total.weight_sum + excluded.weight_sum,
        weighted_sum = mark_day_total.weighted_sum + excluded.weighted_sum;
  END IF;
  RETURN NULL;
END $$"""
PG_TRIGGERS = [
    "CREATE TRIGGER mark_day_total_insert AFTER INSERT ON mark REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION mark_day_total_apply()",
    "CREATE TRIGGER mark_day_total_delete AFTER DELETE ON mark REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION mark_day_total_apply()",
    "CREATE TRIGGER mark_day_total_update AFTER UPDATE ON mark REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_day_total_apply()",
]
TRIGGER_NAMES = ("mark_day_total_insert", "mark_day_total_delete", "mark_day_total_update")


def upgrade():
    op.create_table(
        "mark_day_total",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("marked_on", sa.Date(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.Column("weight_sum", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("weighted_sum", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_mark_day_total_subject_id_subject")),
        sa.PrimaryKeyConstraint("subject_id", "marked_on", name=op.f("pk_mark_day_total")),
    )
    op.create_index(op.f("ix_mark_day_total_marked_on"), "mark_day_total", ["marked_on"], unique=False)
    op.execute(f"INSERT INTO mark_day_total (subject_id, marked_on, marks, weight_sum, weighted_sum) "
               f"SELECT {TOTALS} FROM mark WHERE {COUNTED} GROUP BY subject_id, marked_on")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # The classes' term marks per pupil (the class summary): from the index alone, in the pupils' order.
    op.drop_index("ix_mark_class_kind_term", table_name="mark")
    op.create_index("ix_mark_class_kind_term", "mark", CLASS_KIND_TERM)
    # The review's groups of expired carriers, read from the index alone; the list of carriers on hold.
    op.drop_index("ix_carrier_kind_status_end", table_name="carrier")
    op.create_index("ix_carrier_kind_status_end", "carrier", KIND_STATUS_END)
    op.create_index("ix_carrier_on_hold_id", "carrier", ["on_hold", "id"])


def downgrade():
    op.drop_index("ix_carrier_on_hold_id", table_name="carrier")
    op.drop_index("ix_carrier_kind_status_end", table_name="carrier")
    op.create_index("ix_carrier_kind_status_end", "carrier", OLD_KIND_STATUS_END)
    op.drop_index("ix_mark_class_kind_term", table_name="mark")
    op.create_index("ix_mark_class_kind_term", "mark", OLD_CLASS_KIND_TERM)
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON mark" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS mark_day_total_apply()")
    op.drop_index(op.f("ix_mark_day_total_marked_on"), table_name="mark_day_total")
    op.drop_table("mark_day_total")
