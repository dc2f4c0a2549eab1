"""Text encodings: what US tax programs export is read; what cannot be told is refused."""

from __future__ import annotations

from taxportal.models import TaxReturn
from tests.csv_import.conftest import YEAR, page_error, upload

HEADER = "tax_year,last_name,first_name,ssn\r\n"
ACCEPTED = ("UTF-8", "UTF-16 with BOM", "Windows-1252", "Latin-1")


def names_file(names: list[tuple[str, str]]) -> str:
    rows = [f"{YEAR},{last},{first},400-12-{1000 + n}" for n, (last, first) in enumerate(names)]
    return HEADER + "\r\n".join(rows) + "\r\n"


async def test_a_shift_jis_file_is_refused_naming_the_encodings_read(staff_client):
    family = ("山田", "鈴木", "佐藤", "高橋", "田中", "伊藤", "渡辺")
    given = ("太郎", "花子", "健", "一郎", "美咲")
    names = [(family[n % 7], given[n % 5]) for n in range(30)]  # a short office's file
    content = names_file(names).encode("shift_jis")
    status, page = await upload(staff_client, content)
    message = page_error(page)
    assert status == 400, message
    assert "encoding cannot be read" in message and "save it as CSV UTF-8" in message
    assert all(name in message for name in ACCEPTED), message
    assert message.endswith("nothing was imported")
    assert await TaxReturn.all().count() == 0


async def test_other_non_latin_encodings_are_refused_not_imported_as_mojibake(staff_client):
    samples = {
        "cp1251": [("Иванов", "Иван"), ("Смирнова", "Ольга")],
        "gb18030": [("张", "伟"), ("王", "芳")],
        "euc_kr": [("김", "민준"), ("이", "서연")],
        "euc_jp": [("山田", "太郎"), ("高橋", "一郎")],
    }
    for encoding, names in samples.items():
        status, page = await upload(staff_client, names_file(names).encode(encoding))
        message = page_error(page)
        assert status == 400, (encoding, message)
        assert "encoding cannot be read" in message and "Windows-1252" in message, message
    assert await TaxReturn.all().count() == 0


async def test_windows_1252_and_latin_1_names_arrive_intact(staff_client):
    names = [("García", "Ángel"), ("Núñez", "Sofía"), ("O’Brien", "Zoë"), ("PEÑA", "JOSÉ")]
    status, page = await upload(staff_client, names_file(names).encode("cp1252"))
    assert status == 200 and "4 created" in page, page_error(page)
    latin1 = names_file([("Ibáñez", "Inés"), ("Müller", "François")]).replace(
        "400-12-1", "400-13-1"
    )
    status, page = await upload(staff_client, latin1.encode("latin-1"))
    assert status == 200 and "2 created" in page, page_error(page)
    stored = set(await TaxReturn.all().values_list("last_name", "first_name"))
    assert stored == {*names, ("Ibáñez", "Inés"), ("Müller", "François")}


async def test_a_utf8_file_with_one_line_in_another_encoding_names_the_line(staff_client):
    good = names_file([("Muñoz", "José"), ("Evans", "Ana")]).encode()
    bad = f"{YEAR},García,Ana,400-12-2000\r\n".encode("cp1252")
    status, page = await upload(staff_client, good + bad)
    message = page_error(page)
    assert status == 400
    assert "line 4 is not UTF-8 but the lines before it are" in message, message
    assert await TaxReturn.all().count() == 0
