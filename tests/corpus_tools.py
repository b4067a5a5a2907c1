"""Edit copies of the recorded sample corpus for tests (keeping manifest hashes honest)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from sources.recorded import SAMPLE_CORPUS


class Corpus:
    def __init__(self, directory: Path):
        self.dir = directory
        shutil.copytree(SAMPLE_CORPUS, directory)
        self.manifest_path = directory / "manifest.json"

    def _manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def _save(self, manifest: dict) -> None:
        self.manifest_path.write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    def page(self, fragment: str) -> Path:
        entry = next(e for e in self._manifest()["responses"] if fragment in e["url"])
        return self.dir / entry["file"]

    def edit(self, fragment: str, old: str, new: str) -> Corpus:
        path = self.page(fragment)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new), encoding="utf-8")
        manifest = self._manifest()
        for entry in manifest["responses"]:
            if entry["file"] == f"pages/{path.name}":
                entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        self._save(manifest)
        return self

    def add_copy(self, fragment: str, new_contract_id: str, replacements: dict[str, str]) -> Corpus:
        source = self.page(fragment)
        text = source.read_text(encoding="utf-8")
        for old, new in replacements.items():
            text = text.replace(old, new)
        name = f"added_{new_contract_id}.html"
        (self.dir / "pages" / name).write_text(text, encoding="utf-8")
        manifest = self._manifest()
        template = next(e for e in manifest["responses"] if fragment in e["url"])
        manifest["responses"].append(
            {
                **template,
                "file": f"pages/{name}",
                "url": template["url"].split("contractId=")[0]
                + f"contractId={new_contract_id}&isHistoric=False",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
        self._save(manifest)
        return self

    def drop(self, fragment: str) -> Corpus:
        manifest = self._manifest()
        manifest["responses"] = [e for e in manifest["responses"] if fragment not in e["url"]]
        self._save(manifest)
        return self
