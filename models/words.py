"""Russian words for numbers: the plural form that agrees with a count."""


def plural(n, forms):
    """forms = (1, 2–4, 5+): plural(21, ("дело", "дела", "дел")) -> «дело»."""
    n = abs(n) % 100
    if 11 <= n <= 19:
        return forms[2]
    n %= 10
    return forms[0] if n == 1 else forms[1] if 2 <= n <= 4 else forms[2]


def years(n):
    return f"{n} {plural(n, ('год', 'года', 'лет'))}"
