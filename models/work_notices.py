"""What waits for whom on the home page: acts to approve or rework, blanks running out."""
from sqlalchemy import select

from .issuance import LEVELS, BlankReceipt, _spoiled_numbers, _used_numbers
from .retention import DestructionAct

BLANKS_LEFT = {"certificate": "бланков аттестатов", "appendix": "бланков приложений к аттестатам"}


def blanks_left(session):
    """{(blank kind, level): blanks neither used nor spoiled}, counted per receipt without walking its numbers
    (remaining_blanks lists free ranges, which for a wide receipt is too slow for every home page)."""
    left, taken = {}, {}
    for receipt in session.scalars(select(BlankReceipt)):
        low, high = int(receipt.number_from), int(receipt.number_to)
        key = (receipt.blank_kind, receipt.series)
        if key not in taken:
            taken[key] = {int(n) for n in _used_numbers(session, *key) | _spoiled_numbers(session, *key)
                          if str(n).isdigit()}
        count = high - low + 1 - sum(1 for n in taken[key] if low <= n <= high)
        group = (receipt.blank_kind, receipt.level)
        left[group] = left.get(group, 0) + count
    return left


def _act_name(act):
    return f"Акт об уничтожении № {act.number} от {act.act_date:%d.%m.%Y}"


def work_notices(session, roles):
    """[(text, count or None, (endpoint, kwargs))] for the user's roles; endpoint kwargs build the link."""
    roles = set(roles)
    notices = []
    if "director" in roles:
        for act in session.scalars(select(DestructionAct).where(DestructionAct.status == "sent")
                                   .order_by(DestructionAct.id)):
            notices.append((f"{_act_name(act)} ждёт вашего утверждения", None,
                            ("retention_review.act", {"act_id": act.id})))
    if "deputy" in roles:
        for act in session.scalars(select(DestructionAct).where(DestructionAct.status == "returned")
                                   .order_by(DestructionAct.id)):
            why = f": {act.return_comment}" if act.return_comment else ""
            notices.append((f"{_act_name(act)} возвращён директором на доработку{why}", None,
                            ("retention_review.act", {"act_id": act.id})))
    if "officer" in roles:
        left = blanks_left(session)
        if not left:
            notices.append(("Бланки аттестатов не поступали: запишите их поступление на странице выдачи", None,
                            ("issuance.index", {})))
        for (kind, level), count in sorted(left.items()):
            name = BLANKS_LEFT.get(kind, kind)
            notices.append((f"Осталось {name} ({LEVELS.get(level, level)})", count, ("issuance.index", {})))
    return notices
