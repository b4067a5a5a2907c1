"""The Data Package's CSV rows checked by DuckDB (`warehouse.datapackage_check`), through
`warehouse.catalogue.validate_datapackage`: each Table Schema rule found broken where it is,
on every row (not the first rows only), and nothing reported on a package that keeps them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from warehouse.catalogue import validate_datapackage

pytestmark = pytest.mark.unit

PARENTS = '\ufeff"code","name"\n"A","Алфа"\n"B","Бета"\n'
# Row 2 000 is past any "first rows" sample: every row is read.
CHILDREN = '\ufeff"code","no","amount","signed","paid_at","ok"\n' + "".join(
    f'"A",{n},12.5,2026-01-0{1 + n % 9},2026-05-24 02:00:00Z,true\n' for n in range(2000)
)


def _package(tmp_path: Path, children: str = CHILDREN, parents: str = PARENTS) -> Path:
    (tmp_path / "parents.csv").write_bytes(parents.encode())
    (tmp_path / "children.csv").write_bytes(children.encode())

    def resource(name: str, fields: list[dict], **schema) -> dict:
        data = (tmp_path / f"{name}.csv").read_bytes()
        return {
            "name": name,
            "path": f"{name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "bytes": len(data),
            "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
            "schema": {"fields": fields, "missingValues": [""], **schema},
        }

    package = {
        "name": "toy",
        "resources": [
            resource(
                "parents",
                [
                    {"name": "code", "type": "string"},
                    {"name": "name", "type": "string", "constraints": {"required": True}},
                ],
                primaryKey=["code"],
            ),
            resource(
                "children",
                [
                    {"name": "code", "type": "string"},
                    {"name": "no", "type": "integer"},
                    {"name": "amount", "type": "number"},
                    {"name": "signed", "type": "date"},
                    {"name": "paid_at", "type": "datetime", "format": "default"},
                    {"name": "ok", "type": "boolean"},
                ],
                primaryKey=["code", "no"],
                foreignKeys=[
                    {"fields": ["code"], "reference": {"resource": "parents", "fields": ["code"]}}
                ],
            ),
        ],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return tmp_path / "datapackage.json"


def _errors(tmp_path: Path, **kwargs) -> list[str]:
    report = validate_datapackage(_package(tmp_path, **kwargs))
    assert report["valid"] is (report["error_count"] == 0)
    return report["errors"]


def test_a_package_that_keeps_its_schema_validates(tmp_path):
    report = validate_datapackage(_package(tmp_path))
    assert report == {
        "valid": True,
        "errors": [],
        "error_count": 0,
        "rows_checked_per_resource": "all",
        "resources_read": 2,
    }


def test_a_bad_cell_far_down_the_file_is_a_type_error(tmp_path):
    children = CHILDREN.replace('"A",1999,12.5', '"A",1999,12,5', 1)  # a cell too many
    assert any("children: source-error" in e for e in _errors(tmp_path, children=children))
    for broken, column, value in [
        ('"A",1999,12.5,', "amount", "12,5"),
        ("2026-01-02,2026-05-24 02:00:00Z,true\n", "signed", "2026-02-30"),
        ("02:00:00Z,true\n", "ok", "yes"),
        ('"A",1999,', "no", "1999.0"),
    ]:
        replacement = {
            "amount": '"A",1999,"12,5",',
            "signed": "2026-02-30,2026-05-24 02:00:00Z,true\n",
            "ok": "02:00:00Z,yes\n",
            "no": '"A",1999.0,',
        }[column]
        where = CHILDREN.rindex(broken)
        children = CHILDREN[:where] + replacement + CHILDREN[where + len(broken) :]
        errors = _errors(tmp_path, children=children)
        assert len(errors) == 1 and "children: type-error" in errors[0], (column, errors)
        assert f"{column} is not a" in errors[0] and value in errors[0], errors


def test_keys_required_fields_header_and_size_are_checked(tmp_path):
    twice = CHILDREN + '"A",5,1,2026-01-01,2026-05-24 02:00:00Z,false\n'
    assert any(
        "children: primary-key: keys more than once" in e for e in _errors(tmp_path, children=twice)
    )
    orphan = CHILDREN + '"Z",7,1,2026-01-01,,\n'
    errors = _errors(tmp_path, children=orphan)
    assert len(errors) == 1 and "children: foreign-key: 1 rows" in errors[0] and "Z" in errors[0]
    nameless = PARENTS + '"C",""\n'
    errors = _errors(tmp_path, parents=nameless)
    assert errors == ["parents: constraint-error: name is missing in 1 rows"]
    relabelled = PARENTS.replace('"name"', '"title"')
    assert any("parents: incorrect-label" in e for e in _errors(tmp_path, parents=relabelled))

    path = _package(tmp_path)
    with open(tmp_path / "parents.csv", "ab") as fh:  # written after its bytes were declared
        fh.write('"D","Делта"\n'.encode())
    errors = validate_datapackage(path)["errors"]
    assert [e.split(":")[:2] for e in errors] == [
        ["parents", " byte-count"],
        ["parents", " hash-count"],
    ]
    assert validate_datapackage(path, hashes=False)["errors"] == errors[:1]


def test_an_invalid_descriptor_is_reported_by_frictionless(tmp_path):
    path = _package(tmp_path)
    package = json.loads(path.read_text(encoding="utf-8"))
    package["resources"][0]["schema"]["fields"][1]["type"] = "text"
    path.write_text(json.dumps(package), encoding="utf-8")
    report = validate_datapackage(path)
    assert not report["valid"] and report["errors"][0].startswith("package: ")
