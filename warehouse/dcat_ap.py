"""DCAT-AP 3 metadata of a release (`dcat.jsonld`), and its check against the official shapes.

A `dcat:Catalog` (the publisher's releases) holds one `dcat:Dataset` (this release) whose
`dcat:Distribution`s are the release's files. Every URL is absolute, from the base URL
(`--public-url` or `BGFUNDS_PUBLIC_URL`, default `http://127.0.0.1:8000/`, what `bgfunds serve` answers on):
a release's files live at `<base>releases/<id>/<file>`. Media types are IANA IRIs, file
formats and themes EU vocabulary IRIs, licence, publisher and checksums typed nodes, as
the DCAT-AP 3.0.1 SHACL shapes (`quality/shacl/dcat-ap-3.0.1/`, copied with their source)
require. `validate_dcat` runs them with pyshacl (a test dependency).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
SHAPES_DIR = Path(__file__).resolve().parent.parent / "quality" / "shacl" / "dcat-ap-3.0.1"
SHAPE_FILES = ("dcat-ap-SHACL.ttl", "shapes.ttl", "range.ttl")
EU = "http://publications.europa.eu/resource/authority/"
# File types (EU vocabulary) and IANA media types, by file suffix.
FORMATS = {
    ".parquet": ("PARQUET", "application/vnd.apache.parquet"),
    ".csv": ("CSV", "text/csv"),
    ".json": ("JSON", "application/json"),
    ".jsonld": ("JSON_LD", "application/ld+json"),
    ".md": ("MARKDOWN", "text/markdown"),
    ".html": ("HTML", "text/html"),
    ".xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".duckdb": ("BIN", "application/octet-stream"),
    "": ("TXT", "text/plain"),
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
}


def base_url(value: str | None = None) -> str:
    """The configured base URL, always ending with '/'."""
    url = (
        value
        or os.environ.get("BGFUNDS_PUBLIC_URL")
        or os.environ.get("BGFUNDS_BASE_URL")  # its name before --public-url
        or DEFAULT_BASE_URL
    )
    return url if url.endswith("/") else url + "/"


def _lang(bg: str, en: str) -> list[dict]:
    return [{"@value": bg, "@language": "bg"}, {"@value": en, "@language": "en"}]


def _distribution(release_root: str, name: str, info: dict, licence: dict) -> dict:
    """One file of the release: its URL, media type, file type, size and sha256."""
    file_type, media = FORMATS.get(Path(name).suffix, FORMATS[""])
    return {
        "@id": f"{release_root}{name}#distribution",
        "@type": "dcat:Distribution",
        "dct:title": name,
        "dcat:accessURL": {"@id": f"{release_root}{name}"},
        "dcat:downloadURL": {"@id": f"{release_root}{name}"},
        "dcat:mediaType": {
            "@id": f"http://www.iana.org/assignments/media-types/{media}",
            "@type": "dct:MediaType",
        },
        "dct:format": {
            "@id": f"{EU}file-type/{file_type}",
            "@type": "dct:MediaTypeOrExtent",
        },
        "dcat:byteSize": {"@value": str(info["bytes"]), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {
                "@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
                "@type": "spdx:ChecksumAlgorithm",
            },
            "spdx:checksumValue": {"@value": info["sha256"], "@type": "xsd:hexBinary"},
        },
        "dct:license": licence,
    }


def _themes() -> list[dict]:
    return [
        {
            "@id": f"{EU}data-theme/{t}",
            "@type": "skos:Concept",
            "skos:prefLabel": _lang(bg, en),
            "skos:inScheme": {
                "@id": f"{EU}data-theme",
                "@type": "skos:ConceptScheme",
                "dct:title": _lang("Теми на данните", "Data theme"),
            },
        }
        for t, bg, en in (
            ("ECON", "Икономика и финанси", "Economy and finance"),
            ("GOVE", "Правителство и публичен сектор", "Government and public sector"),
        )
    ]


def _dataset(release_root, release_id, issued, title_bg, title_en, publisher, distributions):
    """This release as a `dcat:Dataset` holding its files."""
    return {
        "@id": f"{release_root}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"bgfunds-isun/{release_id}",
        "dct:title": _lang(title_bg, title_en),
        "dct:description": _lang(
            "Договори, дейности и суми от ИСУН 2020, нормализирани и проверени.",
            "Contracts, activities and amounts from ИСУН 2020, normalised and validated.",
        ),
        "dct:issued": {"@value": issued, "@type": "xsd:dateTime"},
        "dct:modified": {"@value": issued, "@type": "xsd:dateTime"},
        "owl:versionInfo": release_id,
        "dct:publisher": publisher,
        "dct:spatial": {"@id": f"{EU}country/BGR", "@type": "dct:Location"},
        "dcat:theme": _themes(),
        "dcat:landingPage": {"@id": f"{release_root}index.html", "@type": "foaf:Document"},
        "dct:accessRights": {"@id": f"{EU}access-right/PUBLIC", "@type": "dct:RightsStatement"},
        "dcat:distribution": distributions,
    }


def dcat_ap(
    *,
    release_id: str,
    issued: str,
    files: dict[str, dict],
    title_bg: str,
    title_en: str,
    licence_url: str,
    source_url: str,
    base: str | None = None,
) -> dict:
    """The release as DCAT-AP 3 JSON-LD; `files` maps each file name to bytes, sha256 and mediatype."""
    root = base_url(base)
    release_root = f"{root}releases/{release_id}/"
    licence = {"@id": licence_url, "@type": "dct:LicenseDocument"}
    publisher = {"@id": f"{root}#publisher", "@type": "foaf:Agent", "foaf:name": "bgfunds"}
    distributions = [
        _distribution(release_root, name, info, licence) for name, info in sorted(files.items())
    ]
    dataset = _dataset(
        release_root, release_id, issued, title_bg, title_en, publisher, distributions
    )
    return {
        "@context": CONTEXT,
        "@graph": [
            {
                "@id": f"{root}#catalog",
                "@type": "dcat:Catalog",
                "dct:title": _lang("bgfunds: издания", "bgfunds: releases"),
                "dct:description": _lang(
                    f"Изданията на bgfunds; източник: {source_url}",
                    f"The bgfunds releases; source: {source_url}",
                ),
                "dct:publisher": publisher,
                "dcat:dataset": dataset,
            }
        ],
    }


def validate_dcat(path: Path) -> dict:
    """Run the official DCAT-AP 3.0.1 shapes over a JSON-LD file: conforms, violations and their messages."""
    from pyshacl import validate
    from rdflib import Graph, URIRef

    data = Graph().parse(str(path), format="json-ld")
    shapes = Graph()
    for name in SHAPE_FILES:
        shapes.parse(str(SHAPES_DIR / name), format="turtle")
    conforms, report, text = validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False
    )
    sh = "http://www.w3.org/ns/shacl#"
    results = list(report.subjects(URIRef(sh + "resultSeverity"), URIRef(sh + "Violation")))
    messages = sorted(
        {str(m) for r in results for m in report.objects(r, URIRef(sh + "resultMessage"))}
    )
    return {
        "conforms": bool(conforms),
        "violations": len(results),
        "messages": messages,
        "text": text,
    }
