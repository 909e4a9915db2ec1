"""A corpus of nasty files, each with the exact accepted/rejected counts a planner should get."""

import json

import numpy as np
import pytest

from desktop_planner.io.account_import import AccountImportError, read_accounts

HEADER = "id,name,lat,lon,potential,zip\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def counts(result):
    return result.read, result.accepted, result.rejected


def test_empty_file(tmp_path):
    with pytest.raises(AccountImportError, match="empty"):
        read_accounts(write(tmp_path, "e.csv", ""))


def test_header_only(tmp_path):
    assert counts(read_accounts(write(tmp_path, "h.csv", HEADER))) == (0, 0, 0)


def test_bom_semicolons_and_decimal_commas(tmp_path):
    text = "\ufeffid;name;lat;lon;potential;zip\nA1;Acme;40,5;-74,25;1.234,50;\nA2;Beta;41;-73;7;\n"
    r = read_accounts(write(tmp_path, "b.csv", text))
    assert r.info.delimiter == ";" and r.info.encoding == "utf-8-sig"
    assert counts(r) == (2, 2, 0)
    assert r.columns["external_id"].tolist() == ["A1", "A2"]  # the BOM is not part of the first column name
    assert r.columns["lat"][0] == 40.5 and r.columns["potential"][0] == 1234.5


def test_tabs_and_quoted_newlines(tmp_path):
    text = 'id\tname\tlat\tlon\n1\t"Multi\nline Inc"\t40\t-74\n2\tPlain\t41\t-75\n'
    r = read_accounts(write(tmp_path, "t.tsv", text))
    assert r.info.delimiter == "\t"
    assert counts(r) == (2, 2, 0)
    assert r.columns["name"][0] == "Multi\nline Inc"


def test_duplicate_ids_keep_the_first(tmp_path):
    r = read_accounts(write(tmp_path, "d.csv", HEADER + "A,x,40,-74,1,\nA,y,41,-74,1,\nB,z,42,-74,1,\n"))
    assert counts(r) == (3, 2, 1)
    assert r.issues[0].row_number == 3 and "duplicate account id 'A' (first on row 2)" in r.issues[0].problem


def test_bad_numbers_and_ranges(tmp_path):
    rows = [
        "1,text in number,40,-74,lots,",  # potential not a number
        "2,huge,40,-74,1e308,",  # out of range
        "3,nan,40,-74,NaN,",  # NaN is not a number
        "4,lat 91,91,-74,1,",
        "5,lon -181,40,-181,1,",
        "6,ok with currency,40,-74,\"$1,200.50\",",
        "7,null island,0,0,1,",
        "8,negative,40,-74,-5,",
    ]
    r = read_accounts(write(tmp_path, "n.csv", HEADER + "\n".join(rows) + "\n"))
    assert counts(r) == (8, 1, 7)
    assert r.columns["potential"].tolist() == [1200.5]
    problems = {i.row_number: i.problem for i in r.issues}
    assert "not a number" in problems[2] and "outside" in problems[3] and "not a number" in problems[4]
    assert "latitude 91" in problems[5] and "longitude -181" in problems[6] and "0, 0" in problems[8]


def test_formula_cells_are_kept_as_text(tmp_path):
    r = read_accounts(write(tmp_path, "f.csv", HEADER + '1,"=HYPERLINK(""http://evil"",""x"")",40,-74,1,\n'))
    assert counts(r) == (1, 1, 0)
    assert r.columns["name"][0].startswith("=HYPERLINK")


def test_very_long_field_is_rejected_as_a_broken_quote(tmp_path):
    r = read_accounts(write(tmp_path, "l.csv", HEADER + f"1,{'x' * 20000},40,-74,1,\n2,ok,41,-74,1,\n"))
    assert counts(r) == (2, 1, 1)
    assert "20,000 characters" in r.issues[0].problem


def test_mixed_encodings_line_by_line(tmp_path):
    data = (HEADER + "1,Café Zürich,40,-74,1,\n").encode("utf-8") + "2,Crème Brûlée,41,-74,1,\n".encode("cp1252")
    r = read_accounts(write(tmp_path, "m.csv", data))
    assert counts(r) == (2, 2, 0)
    assert r.columns["name"].tolist() == ["Café Zürich", "Crème Brûlée"]
    assert r.info.fallback_characters == 3 and r.info.encoding == "utf-8+cp1252"
    assert "3 characters were not UTF-8" in r.report()


def test_cp1252_file(tmp_path):
    r = read_accounts(write(tmp_path, "c.csv", HEADER + "1,Société Générale,40,-74,1,\n", encoding="cp1252"))
    assert r.columns["name"][0] == "Société Générale"


def test_postcode_geocoding_and_missing_places(tmp_path):
    rows = ["1,zip only,,,1,02139", "2,zip+4,,,1,10001-1234", "3,lost leading zero,,,1,2139",
            "4,unknown zip,,,1,00000", "5,nothing,,,1,", "6,half,40,,1,"]
    r = read_accounts(write(tmp_path, "z.csv", HEADER + "\n".join(rows) + "\n"))
    assert counts(r) == (6, 3, 3)
    assert r.geocoded == 3
    assert json.loads(r.columns["attrs"][0]) == {"location": "postcode"}
    assert r.columns["postcode"].tolist() == ["02139", "10001", "02139"]
    assert abs(r.columns["lat"][0] - 42.36) < 0.1


def test_ragged_rows_and_blank_lines(tmp_path):
    r = read_accounts(write(tmp_path, "r.csv", HEADER + "1,a,40,-74,1,\n\n2,b,40\n3,c,40,-74,1,,extra\n"))
    assert counts(r) == (3, 1, 2)
    assert r.blank_lines == 1


def test_unmapped_columns_go_to_attrs(tmp_path):
    r = read_accounts(write(tmp_path, "a.csv", "id,lat,lon,Owner,Tier\n1,40,-74,Ann,Gold\n"))
    assert r.mapping["segment"] == "Tier"  # "tier" is a known spelling of the segment
    assert json.loads(r.columns["attrs"][0]) == {"Owner": "Ann"}


def test_mapping_overrides_and_errors(tmp_path):
    # Headers no CRM uses (German ones such as Kundennummer, Breite, Laenge are recognised: tests/io/test_crm_import)
    path = write(tmp_path, "o.csv", "Kennung,Nord,Ost\nK1,50,8\n")
    with pytest.raises(AccountImportError, match="no column for the account id"):
        read_accounts(path)
    r = read_accounts(path, {"external_id": "Kennung", "lat": "Nord", "lon": "Ost"})
    assert counts(r) == (1, 1, 0)


def test_xlsx(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Account ID", "Company", "Latitude", "Longitude", "ARR"])
    sheet.append(["X1", "Acme", 40.5, -74.0, 1000])
    sheet.append(["X2", "Bad", "north", -74.0, 5])
    book.save(tmp_path / "a.xlsx")
    r = read_accounts(tmp_path / "a.xlsx")
    assert counts(r) == (2, 1, 1)
    assert r.columns["potential"].tolist() == [1000.0]


def test_cancel(tmp_path):
    from desktop_planner.io.account_import import ImportCancelled
    rows = "".join(f"{i},n,40,-74,1,\n" for i in range(50000))
    with pytest.raises(ImportCancelled):
        read_accounts(write(tmp_path, "big.csv", HEADER + rows), progress=lambda f, m: False)


def test_accepted_values_are_arrays_of_the_right_type(tmp_path):
    r = read_accounts(write(tmp_path, "ok.csv", HEADER + "1,a,40,-74,,\n"))
    assert r.columns["potential"].dtype == np.float64 and r.columns["potential"][0] == 0.0


def test_a_guessed_field_can_be_left_out(tmp_path):
    r = read_accounts(write(tmp_path, "g.csv", "id,lat,lon,segment\n1,40,-74,Gold\n"), {"segment": None})
    assert "segment" not in r.mapping and r.columns["segment"].tolist() == [None]
    assert json.loads(r.columns["attrs"][0]) == {"segment": "Gold"}  # kept as an extra attribute instead
    assert r.fields == ("attrs", "lat", "lon")
