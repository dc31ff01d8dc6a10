"""Russian words in prints: names in the case a sentence needs, verbs by sex, numbers in words."""
import pytest

from models.words import by_sex, name_in_case, number_to_words


@pytest.mark.parametrize("parts, sex, case, expected", [
    (("Антонов", "Николай", "Антонович"), "male", "dative", "Антонову Николаю Антоновичу"),
    (("Киселёв", "Лев", None), "male", "dative", "Киселёву Льву"),
    (("Киселёва", "Анна", "Петровна"), "female", "dative", "Киселёвой Анне Петровне"),
    (("Ёлкина", "Анастасия", "Сергеевна"), "female", "genitive", "Ёлкиной Анастасии Сергеевны"),
    (("Иванова-Петрова", "Мария", "Игоревна"), "female", "dative", "Ивановой-Петровой Марии Игоревне"),
    (("Черных", "Игорь", "Петрович"), "male", "dative", "Черных Игорю Петровичу"),
    (("Шевченко", "Олег", None), "male", "dative", "Шевченко Олегу"),
    (("Смирнов", "Илья", "Ильич"), None, "dative", "Смирнову Илье Ильичу"),  # sex read from the patronymic
])
def test_names_in_case(parts, sex, case, expected):
    assert name_in_case(*parts, sex, case) == expected


def test_unknown_sex_without_patronymic_keeps_the_name():
    assert name_in_case("Ким", "Саша", None, None, "dative") == "Ким Саша"


def test_verbs_by_sex():
    assert by_sex("male", "обучался", "обучалась") == "обучался"
    assert by_sex("female", "обучался", "обучалась") == "обучалась"
    assert by_sex(None, "обучался", "обучалась") == "обучался (обучалась)"


def test_number_to_words():
    assert number_to_words(0) == "ноль"
    assert number_to_words(21, "n") == "двадцать одно"
    assert number_to_words(2, "f") == "две"
    assert number_to_words(2345, "n") == "две тысячи триста сорок пять"
    assert number_to_words(1_000_001) == "один миллион один"
