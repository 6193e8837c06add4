"""PrairieLearn question folders: each server.py imported and run as PrairieLearn runs it (generate, then grade)."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import uuid
from pathlib import Path

import pytest

from export_support import ROOT, manifest, run, source
from generator.errors import GeneratorError
from generator.export import write
from generator.export.prairielearn import prairielearn_files
from generator.export.write import replace_folder
from generator.grading.kinds import ungraded
from generator.tree import algebra as alg
from generator.tree.text import to_text


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pl")
    for name, data in prairielearn_files(source()).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root / "questions"


def _server(folder: Path):
    spec = importlib.util.spec_from_file_location(f"server_{folder.name.replace('-', '_')}", folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _graded(server, answer) -> dict:
    """PrairieLearn's data dictionary through generate() and, with an answer submitted, grade()."""
    data = {"params": {}, "correct_answers": {}, "submitted_answers": {}, "partial_scores": {}, "score": 0.0,
            "feedback": {}}
    server.generate(data)
    data["submitted_answers"]["answer"] = answer
    server.grade(data)
    return data


def test_every_folder_has_the_files_prairielearn_reads(folders):
    ids = [item.id for item in source().items]
    assert sorted(p.name for p in folders.iterdir()) == sorted(ids)
    uuids = set()
    for item in source().items:
        folder = folders / item.id
        assert sorted(p.name for p in folder.iterdir()) == ["info.json", "question.html", "server.py", "variant.json"]
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
        assert info["type"] == "v3" and info["topic"] and "mcgen" in info["tags"]
        assert str(uuid.UUID(info["uuid"])) == info["uuid"]
        uuids.add(info["uuid"])
        manual = ungraded(item.exercise.derivation, item.entry) is not None
        assert (info.get("gradingMethod") == "Manual") == manual
        html = (folder / "question.html").read_text(encoding="utf-8")
        assert "{{{params.question}}}" in html and not re.search(r"\\\(|\\frac", html)  # maths only via params
    assert len(uuids) == len(ids)


@pytest.mark.parametrize("item", [i for i in source().items if i.kind == "closed-form"], ids=lambda i: i.id)
def test_server_grades_the_key_and_tags_its_transpose(item, folders):
    server = _server(folders / item.id)
    d = item.exercise.derivation
    right = _graded(server, d.answer)
    assert right["score"] == 1.0 and right["partial_scores"]["answer"]["score"] == 1.0
    assert right["correct_answers"]["answer"] == d.answer and right["feedback"]["mistake"] == ""
    flipped = _graded(server, to_text(alg.transpose(d.closed_form), d.layout))
    assert flipped["feedback"]["mistake"] == "layout" and 0 < flipped["score"] < 1
    latex = _graded(server, item.view.answer)  # the key typed in LaTeX is right too
    assert latex["score"] == 1.0


@pytest.mark.parametrize("item", source().items, ids=lambda i: i.id)
def test_server_grades_every_kind_with_mcgen(item, folders):
    """The exported key scores 1; a shape or numeric answer in the other layout is tagged layout."""
    server = _server(folders / item.id)
    key = _graded(server, "")["correct_answers"]["answer"]
    right = _graded(server, key)
    assert right["score"] == 1.0 and right["feedback"]["mistake"] == "", right["feedback"]
    assert _graded(server, "2 +")["score"] < 1.0
    rows, cols = item.exercise.derivation.shape
    if item.kind == "shape":
        assert _graded(server, f"{cols} x {rows}")["feedback"]["mistake"] == "layout"
    if item.kind == "numeric" and rows != cols:
        flipped = "[" + ", ".join("[" + ", ".join(str(item.exercise.value[r][c]) for r in range(len(item.exercise.value)))
                                  + "]" for c in range(len(item.exercise.value[0]))) + "]"
        assert _graded(server, flipped)["feedback"]["mistake"] == "layout"


def test_exporting_again_replaces_the_questions_folder(tmp_path):
    """A second export into the same -o leaves only its own question folders (and nothing staged) behind."""
    first = run("export", manifest(), "--format", "prairielearn", "-o", tmp_path)
    assert first.exit_code == 0, first.output
    questions = tmp_path / "prairielearn" / "questions"
    assert len(list(questions.iterdir())) == len(source().items)
    (questions / "by-hand").mkdir()  # a folder no export wrote goes too: the export owns questions/
    second = run("export", ROOT / "problems" / "sheets" / "trace.toml", "--variants", "2", "--format",
                 "prairielearn", "-o", tmp_path)
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in questions.iterdir()) == ["trace-1", "trace-2"]
    assert sorted(p.name for p in questions.parent.iterdir()) == ["questions"]
    assert sorted(p.name for p in (questions / "trace-1").iterdir()) == \
        ["info.json", "question.html", "server.py", "variant.json"]


def test_a_failed_replacement_keeps_the_old_questions(tmp_path, monkeypatch):
    folder = tmp_path / "questions"
    replace_folder(folder, {"old-1/info.json": b"{}"})
    real = os.replace

    def failing(src, dst):
        if Path(src).name.endswith(".part"):  # the staged folder moving into place
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(write.os, "replace", failing)
    with pytest.raises(GeneratorError, match="No space left on device"):
        replace_folder(folder, {"new-1/info.json": b"{}"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["questions"]
    assert [p.name for p in folder.iterdir()] == ["old-1"] and (folder / "old-1" / "info.json").read_bytes() == b"{}"
