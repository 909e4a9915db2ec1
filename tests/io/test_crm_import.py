"""Issue 14, the CRM round trip: an accounts export from a CRM imports as it comes, with no --map, and its numbers and
places read right (each column's own decimal separator, currencies, 'N/A', ZIP codes checked against the state)."""

import json

import numpy as np
import pytest

from desktop_planner.core.visit_figures import effective_visits_and_minutes
from desktop_planner.io.account_import import read_accounts
from desktop_planner.io.mapping import guess_mapping
from desktop_planner.io.project_import import plan_from_import

# Towns of New England and New York at their real coordinates.
TOWNS = [("Hartford", 41.7658, -72.6734), ("New Haven", 41.3083, -72.9279), ("Stamford", 41.0534, -73.5387),
         ("Boston", 42.3601, -71.0589), ("Worcester", 42.2626, -71.8023), ("Springfield", 42.1015, -72.5898),
         ("Providence", 41.8240, -71.4128), ("Albany", 42.6526, -73.7562), ("Burlington", 44.4759, -73.2121),
         ("Manchester", 42.9956, -71.4548), ("Portland", 43.6591, -70.2568), ("Kent", 41.6229, -73.5164)]
TYPES = ("Enterprise", "Mid-Market", "SMB")


def write(tmp_path, name, lines, encoding="utf-8"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def crm_export(tmp_path):
    """A Salesforce account report as exported: its own header names, revenue with a currency in brackets."""
    lines = ["Account Number,Account Name,Billing Latitude,Billing Longitude,Annual Revenue (USD),Type"]
    for i, (town, lat, lon) in enumerate(TOWNS):
        lines.append(f"ACC-{i:03d},{town} Supply,{lat},{lon},{(i + 1) * 125000},{TYPES[i % 3]}")
    return write(tmp_path, "salesforce.csv", lines)


def test_a_crm_export_imports_without_a_mapping(tmp_path):
    r = read_accounts(crm_export(tmp_path))
    assert (r.read, r.accepted, r.rejected) == (12, 12, 0)
    assert r.mapping == {"external_id": "Account Number", "name": "Account Name", "lat": "Billing Latitude",
                         "lon": "Billing Longitude", "potential": "Annual Revenue (USD)", "segment": "Type"}
    assert r.columns["external_id"][0] == "ACC-000" and r.columns["name"][0] == "Hartford Supply"
    assert r.columns["lat"].tolist() == [t[1] for t in TOWNS] and r.columns["lon"].tolist() == [t[2] for t in TOWNS]
    assert r.columns["potential"].tolist() == [(i + 1) * 125000.0 for i in range(12)]
    assert r.columns["segment"].tolist()[:3] == ["Enterprise", "Mid-Market", "SMB"]
    assert ("columns used: external_id <- 'Account Number', name <- 'Account Name', lat <- 'Billing Latitude', "
            "lon <- 'Billing Longitude', potential <- 'Annual Revenue (USD)', segment <- 'Type'") in r.report()
    assert r.notices == []


def test_mid_market_accounts_get_the_mid_market_visits(tmp_path):
    plan = plan_from_import(read_accounts(crm_export(tmp_path)), name="crm")
    assert plan.settings.segment_visits_per_year["Mid-market"] == 12.0  # the settings spell it so
    visits, minutes = effective_visits_and_minutes(plan.accounts, plan.settings)
    by_type = dict(zip(plan.accounts.segment.tolist(), zip(visits.tolist(), minutes.tolist())))
    assert by_type == {"Enterprise": (24.0, 90.0), "Mid-Market": (12.0, 60.0), "SMB": (6.0, 30.0)}


@pytest.mark.parametrize("header, expected", [
    # Salesforce API names, with both the billing and the shipping address: the billing one places the account.
    ("Id,Name,ShippingLatitude,ShippingLongitude,BillingLatitude,BillingLongitude,BillingPostalCode,BillingState,"
     "AnnualRevenue,Type,OwnerId",
     {"external_id": "Id", "name": "Name", "lat": "BillingLatitude", "lon": "BillingLongitude",
      "postcode": "BillingPostalCode", "state": "BillingState", "potential": "AnnualRevenue", "segment": "Type"}),
    ("Record ID,Company name,Postal Code,State/Region,Country/Region,Annual Revenue,Type,Company owner",  # HubSpot
     {"external_id": "Record ID", "name": "Company name", "postcode": "Postal Code", "state": "State/Region",
      "country": "Country/Region", "potential": "Annual Revenue", "segment": "Type"}),
    ("Account Number,Account Name,Address 1: Latitude,Address 1: Longitude,Address 1: ZIP/Postal Code,"  # Dynamics
     "Address 1: State/Province,Revenue,Relationship Type,Owner",
     {"external_id": "Account Number", "name": "Account Name", "lat": "Address 1: Latitude",
      "lon": "Address 1: Longitude", "postcode": "Address 1: ZIP/Postal Code", "state": "Address 1: State/Province",
      "potential": "Revenue", "segment": "Relationship Type"}),
    ("Numéro client,Raison sociale,Latitude,Longitude,Code postal,Chiffre d'affaires,Secteur d'activité",
     {"external_id": "Numéro client", "name": "Raison sociale", "lat": "Latitude", "lon": "Longitude",
      "postcode": "Code postal", "potential": "Chiffre d'affaires", "industry": "Secteur d'activité"}),
    ("Id cliente,Empresa,Latitud,Longitud,Código postal,Ingresos,Segmento",
     {"external_id": "Id cliente", "name": "Empresa", "lat": "Latitud", "lon": "Longitud",
      "postcode": "Código postal", "potential": "Ingresos", "segment": "Segmento"}),
    ("Klantnummer,Bedrijfsnaam,Breedtegraad,Lengtegraad,Postcode,Omzet,Branche",
     {"external_id": "Klantnummer", "name": "Bedrijfsnaam", "lat": "Breedtegraad", "lon": "Lengtegraad",
      "postcode": "Postcode", "potential": "Omzet", "industry": "Branche"}),
    ("ACCOUNT_NUMBER,account-name,LATITUDE,longitude,ARR", {"external_id": "ACCOUNT_NUMBER", "name": "account-name",
                                                            "lat": "LATITUDE", "lon": "longitude", "potential": "ARR"}),
])
def test_crm_headers_are_recognised(header, expected):
    assert guess_mapping(header.split(",")) == expected


def test_a_german_export(tmp_path):
    path = write(tmp_path, "kunden.csv", [
        "Kundennummer;Firma;Breitengrad;Längengrad;PLZ;Land;Umsatz;Branche",
        "K-1;Müller GmbH;50,1109;8,6821;60311;Deutschland;1.234,50 €;Maschinenbau",
        "K-2;Schulze AG;48,1374;11,5755;80331;Deutschland;987.000;Handel",
        "K-3;Ohne Ort KG;;;10115;Deutschland;5.000;Handel",  # a German PLZ is not a US ZIP: it places nothing
    ], encoding="cp1252")
    r = read_accounts(path)
    assert r.mapping == {"external_id": "Kundennummer", "name": "Firma", "lat": "Breitengrad", "lon": "Längengrad",
                         "potential": "Umsatz", "industry": "Branche", "postcode": "PLZ", "country": "Land"}
    assert (r.accepted, r.rejected) == (2, 1)
    assert r.columns["lat"].tolist() == [50.1109, 48.1374] and r.columns["lon"].tolist() == [8.6821, 11.5755]
    assert r.columns["potential"].tolist() == [1234.5, 987000.0]
    assert r.columns["postcode"].tolist() == ["60311", "80331"]
    assert json.loads(r.columns["attrs"][0]) == {"Land": "Deutschland"}  # the country is kept with the account
    assert "postcode '10115' is in 'Deutschland': only US ZIP codes are placed" in r.issues[0].problem


def test_a_semicolon_file_with_decimal_points_reads_every_row(tmp_path):
    """Defect: '41.6229' in a ;-separated file was read with '.' as the thousands separator (416229) and every row
    was rejected. Each column now shows its own separator; the revenue column here writes decimal commas."""
    lines = ["id;name;lat;lon;revenue"]
    lines += [f"A{i};{town};{lat};{lon};{i + 1}.250,75" for i, (town, lat, lon) in enumerate(TOWNS)]
    r = read_accounts(write(tmp_path, "points.csv", lines))
    assert (r.accepted, r.rejected) == (12, 0)
    assert r.columns["lat"][-1] == 41.6229 and r.columns["lon"][-1] == -73.5164
    assert r.columns["potential"][0] == 1250.75 and r.columns["potential"][-1] == 12250.75


@pytest.mark.parametrize("cells, expected", [
    (['"1.234,56"', '"12.000,5"', "7", '"2.500"'], [1234.56, 12000.5, 7.0, 2500.0]),  # a German spreadsheet
    (['"1,234.56"', '"12,000.5"', "7", '"2,500"'], [1234.56, 12000.5, 7.0, 2500.0]),  # an American one
])
def test_thousands_and_decimal_separators_are_read_per_column(tmp_path, cells, expected):
    lines = ["id,lat,lon,potential"] + [f"A{i},41.5,-72.5,{cell}" for i, cell in enumerate(cells)]
    r = read_accounts(write(tmp_path, "sep.csv", lines))
    assert r.columns["potential"].tolist() == expected and r.columns["lat"].tolist() == [41.5] * 4


def test_currencies_and_missing_values(tmp_path):
    cells = ['"$1,200"', "1 200 €", "USD 3400", "N/A", "-", "n.a.", ""]
    lines = ["id,lat,lon,potential"] + [f"A{i},41.5,-72.5,{cell}" for i, cell in enumerate(cells)]
    r = read_accounts(write(tmp_path, "money.csv", lines))
    assert (r.accepted, r.rejected) == (7, 0)  # an unknown value is no reason to lose the account
    assert r.columns["potential"].tolist() == [1200.0, 1200.0, 3400.0, 0.0, 0.0, 0.0, 0.0]
    report = r.report()
    assert ("note: potential: 4 of 7 values in 'potential' are missing (1 empty, 3 written as 'N/A', '-', 'n.a.'); "
            "read as 0") in report
    assert "note: potential: 'potential' mixes currencies (EUR, USD); the values are read as written" in report


def test_a_likely_column_left_unused_and_an_empty_column_are_noticed(tmp_path):
    lines = ["id,lat,lon,Revenue 2023,Tier 2024,visits"]
    lines += [f"A{i},{lat},{lon},{1000 * i},{TYPES[i % 3]},0" for i, (_, lat, lon) in enumerate(TOWNS)]
    r = read_accounts(write(tmp_path, "likely.csv", lines))
    assert "potential" not in r.mapping and "segment" not in r.mapping and r.accepted == 12
    report = r.report()
    assert "note: potential: no column feeds it, but 'Revenue 2023' looks like one; map it to potential" in report
    assert "note: segment: no column feeds it, but 'Tier 2024' looks like one" in report
    assert "note: visits_per_year: every value in 'visits' is 0 or empty; is it the right column?" in report


def test_a_zip_code_is_checked_against_the_state(tmp_path):
    path = write(tmp_path, "zips.csv", [
        "Account Number,Account Name,Billing Latitude,Billing Longitude,Billing Zip/Postal Code,Billing State",
        "A1,Little Rock Supply,34.7465,-92.2896,7201,AR",  # 7201 padded is 07201, in NJ: the coordinates place it
        "A2,No Place Ltd,,,7201,Arkansas",  # the same conflict, nothing else to place it by
        "A3,Elizabeth Works,,,7201,NJ",  # the state confirms the lost leading zero: 07201
        "A4,Boston Co,,,2139,",  # no state to check: padded as before
    ])
    r = read_accounts(path)
    assert r.mapping["postcode"] == "Billing Zip/Postal Code" and r.mapping["state"] == "Billing State"
    assert r.columns["external_id"].tolist() == ["A1", "A3", "A4"]
    (issue,) = r.issues
    assert issue.row_number == 3 and "ZIP 7201 (07201) is in NJ, the state is AR" in issue.problem
    assert r.columns["lat"][0] == 34.7465  # Little Rock, not Elizabeth NJ
    assert r.columns["postcode"].tolist() == [None, "07201", "02139"]
    assert json.loads(r.columns["attrs"][0]) == {"Billing State": "AR", "Billing Zip/Postal Code": "7201"}
    assert abs(r.columns["lat"][1] - 40.66) < 0.05 and abs(r.columns["lon"][1] + 74.21) < 0.05  # Elizabeth, NJ
    report = r.report()
    assert "1 ZIP code is in another state than the row's (row 2: ZIP 7201 (07201) is in NJ, the state is AR)" in report
    assert "2 ZIP codes had lost their leading zeros and were padded to five digits (1 confirmed by the row's state)" \
        in report


def test_a_numeric_column_read_by_another_columns_separator(tmp_path):
    """'1.500' alone does not say which separator it uses; the file's latitudes write a decimal point, so it is
    one and a half, not fifteen hundred, even in a semicolon-separated file."""
    r = read_accounts(write(tmp_path, "alone.csv", ["id;lat;lon;visits", "A1;41.5;-72.5;1.500"]))
    assert r.columns["visits_per_year"].tolist() == [1.5]
    assert np.isnan(read_accounts(write(tmp_path, "n.csv", ["id;lat;lon;visits", "A1;41;-72;"]))
                    .columns["visits_per_year"][0])
