"""Russian words: plural forms, numbers in words, names in the case a sentence needs, verbs by sex."""
from functools import lru_cache


def plural(n, forms):
    """forms = (1, 2–4, 5+): plural(21, ("дело", "дела", "дел")) -> «дело»."""
    n = abs(n) % 100
    if 11 <= n <= 19:
        return forms[2]
    n %= 10
    return forms[0] if n == 1 else forms[1] if 2 <= n <= 4 else forms[2]


def years(n):
    return f"{n} {plural(n, ('год', 'года', 'лет'))}"


# pytils and petrovich are imported by the first print that needs them, not by every process at start-up.
def number_to_words(n, gender="m"):
    """Russian cardinal in words: number_to_words(21, "n") -> «двадцать одно» (gender m, f or n)."""
    from pytils.numeral import FEMALE, MALE, NEUTER, in_words

    return in_words(n, {"m": MALE, "f": FEMALE, "n": NEUTER}[gender])


CASES = ("genitive", "dative", "accusative", "instrumental", "prepositional")


@lru_cache(maxsize=1)
def _petrovich():
    from petrovich.main import Petrovich

    return Petrovich()


def _guess_sex(middle_name):
    middle = (middle_name or "").lower()
    if middle.endswith(("вна", "чна", "кызы")):
        return "female"
    if middle.endswith(("вич", "ьич", "оглы")):
        return "male"
    return None


def _inflect(kind, word, case, gender):
    # Hyphenated parts are declined one by one («Иванова-Петрова» -> «Ивановой-Петровой»).
    if not word:
        return word
    p = _petrovich()
    out = []
    for part in word.split("-"):
        low = part.lower()
        # Surnames in -ых/-их never change («Черных», «Долгих»); the bundled rules decline the masculine ones.
        if kind == "lastname" and low.endswith(("ых", "их")):
            out.append(part)
            continue
        done = getattr(p, kind)(part, case, gender)
        out.append(done[:1].upper() + done[1:] if part[:1].isupper() else done)
    return "-".join(out)


def name_in_case(last_name, first_name, middle_name, sex, case):
    """«Антонов Николай Антонович» in the dative: «Антонову Николаю Антоновичу».

    sex is «male», «female» or None (then guessed from the patronymic; without one, left as is).
    """
    sex = sex or _guess_sex(middle_name)
    parts = [last_name, first_name, middle_name]
    if sex not in ("male", "female") or case not in CASES:
        return " ".join(p for p in parts if p)
    from petrovich.enums import Case, Gender

    gender = Gender.MALE if sex == "male" else Gender.FEMALE
    c = getattr(Case, case.upper())
    done = [_inflect("lastname", last_name, c, gender), _inflect("firstname", first_name, c, gender),
            _inflect("middlename", middle_name, c, gender)]
    return " ".join(p for p in done if p)


def person_in_case(person, case):
    """A student (or anything with last/first/middle name and sex) named in the given case."""
    return name_in_case(person.last_name, person.first_name, getattr(person, "middle_name", None),
                        getattr(person, "sex", None), case)


def by_sex(sex, male, female, unknown=None):
    """by_sex(student.sex, "обучался", "обучалась"); an unknown sex gets «обучался(-ась)»-style text."""
    if sex == "male":
        return male
    if sex == "female":
        return female
    return unknown if unknown is not None else f"{male} ({female})"
