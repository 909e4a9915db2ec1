"""Column headers as CRM, ERP and HR exports write them, in English and the usual other languages.

A header is compared by its key: accents dropped, case folded, camelCase and snake_case split into words, all
punctuation a single space ("BillingLatitude", "billing_latitude" and "Billing Latitude" are one key). A header
also matches without a bracketed unit or currency ("Annual Revenue (USD)" is "annual revenue") and without an
address qualifier ("Billing Latitude" is "latitude"): Salesforce, HubSpot and Dynamics prefix every address field
with the address it belongs to. A plain name beats a qualified one, and the billing address beats the others,
so a file with both billing and shipping coordinates is placed by the billing address, for latitude and
longitude alike.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Mapping, Sequence

# Concept -> header keys, the most specific first. Other importers build their field tables from these (a rep's
# home latitude is ("home latitude", ...) + SYNONYMS["lat"]) so that every file of a project reads the same names.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # The CRM's record id first: a Salesforce "Account ID" is what its territory loader needs back.
    "external_id": ("id", "account id", "accountid", "record id", "account number", "accountnumber", "account no",
                    "account nr", "customer id", "customer number", "customer no", "crm id", "external id",
                    "company id", "account", "kundennummer", "kunden nr", "kundennr", "kunden id", "debitor",
                    "debitorennummer", "numero client", "n client", "id client", "code client", "numero de cliente",
                    "id cliente", "codigo cliente", "codigo de cliente", "klantnummer", "klant nr", "klantnr",
                    "klant id", "relatienummer"),
    "name": ("name", "account name", "company", "company name", "customer", "customer name", "business name",
             "organization", "organisation", "firma", "firmenname", "kundenname", "name 1", "unternehmen",
             "raison sociale", "nom", "nom du client", "nom client", "societe", "entreprise", "nombre",
             "nombre del cliente", "empresa", "razon social", "bedrijf", "bedrijfsnaam", "naam", "klantnaam"),
    "lat": ("lat", "latitude", "geo lat", "lat dd", "y", "breitengrad", "breite", "geo breite", "latitud",
            "breedtegraad", "breedte"),
    "lon": ("lon", "lng", "long", "longitude", "geo lon", "geo lng", "lon dd", "x", "langengrad", "laengengrad",
            "lange", "laenge", "geo lange", "longitud", "lengtegraad", "lengte"),
    "postcode": ("zip", "zipcode", "zip code", "postcode", "postal code", "postalcode", "post code", "zip postal code",
                 "postal zip code", "zip5", "plz", "postleitzahl", "code postal", "cp", "codigo postal", "cod postal",
                 "postcodigo"),
    "state": ("state", "state code", "state province", "state or province", "stateorprovince", "state region",
              "province", "st", "bundesland", "provinz", "etat", "region etat", "provincia", "estado", "provincie"),
    "country": ("country", "country code", "country region", "country name", "land", "landcode", "pays",
                "code pays", "pais", "codigo pais"),
    "potential": ("potential", "annual revenue", "annualrevenue", "revenue", "arr", "sales potential",
                  "market potential", "annual sales", "turnover", "sales", "value", "opportunity", "potenzial",
                  "umsatz", "jahresumsatz", "umsatzpotenzial", "potentiel", "chiffre d affaires", "ca",
                  "chiffre d affaires annuel", "potencial", "ingresos", "ingresos anuales", "facturacion", "ventas",
                  "potentieel", "omzet", "jaaromzet"),
    "visits_per_year": ("visits", "visits per year", "visit frequency", "call frequency", "calls per year",
                        "frequency", "besuche", "besuche pro jahr", "besuchsfrequenz", "visites", "visites par an",
                        "visitas", "visitas por ano", "bezoeken", "bezoeken per jaar"),
    "visit_minutes": ("minutes", "visit minutes", "visit duration", "call duration", "duration", "minutes per visit",
                      "besuchsdauer", "minuten", "duree", "duree visite", "duree de visite", "duracion",
                      "duracion visita", "bezoekduur", "duur"),
    # Salesforce and HubSpot call an account's class its Type; Dynamics its Relationship Type or Category.
    "segment": ("segment", "customer segment", "account segment", "tier", "account tier", "customer tier", "type",
                "account type", "customer type", "company type", "relationship type", "category", "class", "size",
                "kundensegment", "kundentyp", "kundenklasse", "klasse", "kategorie", "abc klasse", "type de client",
                "categorie", "segmento", "tipo", "tipo de cliente", "categoria", "klanttype", "klantsegment"),
    "industry": ("industry", "sector", "vertical", "sic description", "naics description", "branche", "industrie",
                 "secteur d activite", "industria", "sector industrial", "sector economico", "sparte"),
    # The account's owner, which a reps or alignment file calls the rep.
    "owner": ("owner", "account owner", "owner name", "company owner", "account manager", "sales rep", "rep",
              "betreuer", "kundenbetreuer", "aussendienst", "verantwortlicher", "commercial", "responsable",
              "propietario", "vendedor", "eigenaar", "accountmanager"),
    "owner_id": ("owner id", "ownerid", "account owner id", "hubspot owner id", "owner user id", "user id"),
    "owner_email": ("owner email", "account owner email", "owner e mail", "email", "e mail", "email address"),
    "territory": ("territory", "territory name", "sales territory", "gebiet", "vertriebsgebiet", "territoire",
                  "territorio", "zona", "gebied", "rayon"),
}

# Address qualifiers, in order of preference: the billing address is where a CRM keeps an account's main place.
ADDRESS_PREFIXES = ("billing", "primary", "main", "mailing", "physical", "hq", "headquarters", "address 1",
                    "address1", "address", "shipping", "other", "address 2", "address2", "rechnungs",
                    "rechnungsadresse", "lieferadresse", "facturation", "livraison", "facturacion", "envio")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PREFIXES = sorted(((p, rank) for rank, p in enumerate(ADDRESS_PREFIXES, start=1)), key=lambda pr: -len(pr[0]))


def header_key(header: str) -> str:
    """A header as SYNONYMS writes it: 'Längengrad' -> 'langengrad', 'BillingPostalCode' -> 'billing postal code',
    'Chiffre d'affaires' -> 'chiffre d affaires', 'address1_latitude' -> 'address1 latitude'."""
    text = _CAMEL.sub(" ", str(header)).casefold()  # casefold first: 'ß' -> 'ss', which NFKD would drop
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def bracket_note(header: str) -> str | None:
    """The bracketed part of a header ('Annual Revenue (USD)' -> 'USD'), or None."""
    match = re.search(r"\(([^)]*)\)|\[([^\]]*)\]", str(header))
    return None if match is None else (match.group(1) or match.group(2) or "").strip() or None


def _variants(header: str) -> list[tuple[str, int]]:
    """(key, rank) the header answers to; rank 0 is its plain name, higher ranks are weaker readings."""
    found: list[tuple[str, int]] = []
    full, bare = header_key(header), header_key(_BRACKETS.sub(" ", str(header)))
    for bracketless, key in ((0, full), (1, bare)):
        if not key:
            continue
        found.append((key, bracketless))
        for prefix, rank in _PREFIXES:
            if key.startswith(prefix + " "):
                found.append((key[len(prefix) + 1:], 2 * rank + bracketless))
                break
    return found


def match_columns(header: Sequence[str], fields: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Field -> position of its column, for every field one of whose keys a header answers to. Fields are served
    in the order given and a column feeds one field only; among a field's candidates the plainest name wins (rank),
    then the earlier key, then the earlier column. Linear in the header, so 100,000 columns are fine."""
    by_key: dict[str, list[tuple[int, int]]] = {}
    for position, column in enumerate(header):
        for key, rank in _variants(column):
            by_key.setdefault(key, []).append((rank, position))
    taken: set[int] = set()
    result: dict[str, int] = {}
    for field, keys in fields.items():
        best = None
        for order, key in enumerate(keys):
            for rank, position in by_key.get(key, ()):
                if position not in taken and (best is None or (rank, order, position) < best):
                    best = (rank, order, position)
        if best is not None:
            result[field] = best[2]
            taken.add(best[2])
    return result


def describe_mapping(mapping: Mapping[str, str], width: int = 40) -> str:
    """"field <- 'column'" for each field, in the mapping's order: how a report says where each value came from."""
    return ", ".join(f"{field} <- {column if len(column) <= width else column[:width] + '…'!r}"
                     for field, column in mapping.items())
