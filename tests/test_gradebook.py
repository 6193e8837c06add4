"""Grading a class at once: a submissions CSV against a sheet's manifest, bad rows kept, output atomic."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator
from generator import GeneratorError, grade_file
from generator.cli import main
from generator.grading.report import COLOURS
from generator.grading.summary import OUTCOMES

MANIFEST = Path(__file__).parent / "fixtures" / "manifest.json"

SUBMISSIONS = [  # (student, variant, answer, score, mistake, error)
    ("s01", "wx-1", "W^T", "1", "", ""),
    ("s02", "wx-1", r"\mathbf{W}", "0.5", "layout", ""),
    ("s03", "wx-2", r"\mathbf{W}", "1", "", ""),
    ("s04", "quad-1", "(A + A^T) x", "1", "", ""),
    ("s05", "quad-1", "2 A x", "0.5", "transpose", ""),  # (A + A)x: the transpose forgotten
    ("s06", "quad-2", r"2\mathbf{M}\mathbf{u}", "1", "", ""),
    ("s07", "net-1", r"\mathbf{a}\boldsymbol{\delta}^\top", "1", "", ""),
    ("s08", "net-1", "-a delta^T", "0.5", "sign", ""),
    ("s09", "quad-1", "q x", "0", "unknown-symbol", ""),
    ("s10", "quad-1", "(A + A^T x", "0", "parse", ""),
    ("s11", "nope", "W", "", "", "unknown variant 'nope'"),  # not scored: reported, left out of the mean
    ("s12", "quad-1", "", "0", "parse", "empty answer"),
    ("s13", "bilin-1", "n×m", "1", "", ""),
    ("s14", "bilin-1", "m x n", "0.5", "layout", ""),
    ("s15", "bilinear", "n x m", "1", "", ""),  # a question id with one variant names it
    ("s16", "wx", "W^T", "", "", "unknown variant 'wx'"),  # two variants: ambiguous
]


def write_csv(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = ("student", "variant", "answer")):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def graded(tmp_path):
    submissions = write_csv(tmp_path / "submissions.csv", [row[:3] for row in SUBMISSIONS])
    summary = grade_file(submissions, MANIFEST, tmp_path / "out" / "grades.csv")
    return summary, tmp_path


def test_every_submission_gets_a_row_in_order(graded):
    summary, tmp = graded
    rows = read_csv(tmp / "out" / "grades.csv")
    assert [(r["student"], r["variant"], r["answer"], r["score"], r["mistake"], r["error"]) for r in rows] \
        == [tuple(row) for row in SUBMISSIONS]
    assert all(r["feedback"] for r in rows)
    assert [r["line"] for r in rows] == [str(k) for k in range(2, 2 + len(SUBMISSIONS))]
    assert summary.submissions == len(SUBMISSIONS) - 2  # the unknown variants do not count
    assert [r["counted"] for r in rows] == ["no" if row[3] == "" else "yes" for row in SUBMISSIONS]


def test_summary_counts_mistakes_per_tag_and_question(graded):
    summary, tmp = graded
    assert summary.by_tag == {"correct": 7, "layout": 2, "transpose": 1, "sign": 1, "unknown-symbol": 1, "parse": 2}
    assert summary.by_question["quad"] == {"correct": 2, "transpose": 1, "unknown-symbol": 1, "parse": 2}
    table = {r["question"]: r for r in read_csv(Path(summary.summary))}
    assert Path(summary.summary) == tmp / "out" / "grades-summary.csv"
    assert list(table) == ["bilinear", "net", "quad", "wx", "all"]  # an unknown id never becomes a question
    assert (table["net"]["correct"], table["net"]["sign"], table["net"]["mean_score"]) == ("1", "1", "0.750")
    assert table["all"]["submissions"] == str(len(SUBMISSIONS) - 2)
    assert float(table["all"]["mean_score"]) == pytest.approx(summary.mean_score, abs=5e-4)


def test_bad_rows_are_reported_with_file_and_line(graded):
    summary, tmp = graded
    where = f"{tmp / 'submissions.csv'}: line"
    assert summary.problems == (f"{where} 12: unknown variant 'nope'", f"{where} 13: empty answer",
                                f"{where} 17: unknown variant 'wx'")
    text = summary.text().splitlines()
    scored = [float(row[3]) for row in SUBMISSIONS if row[3]]
    output = tmp / "out" / "grades.csv"
    assert text[0] == f"graded {len(scored)} submission(s) into {output} (mean score {sum(scored) / len(scored):.3f})"
    assert text[1].startswith("outcomes: correct 7, layout 2, transpose 1, sign 1, unknown-symbol 1, parse 2;")
    assert text[2:] == ["3 row(s) need a look:", *(f"  {p}" for p in summary.problems)]


def test_rows_missing_or_splitting_fields_are_kept(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("student,variant,answer\ns1,wx-1\ns2,wx-1,A x, b\n\ns3,quad-1,\"A x + A^T x\"\n",
                    encoding="utf-8")
    summary = grade_file(path, MANIFEST, tmp_path / "g.csv")
    rows = read_csv(tmp_path / "g.csv")
    assert [(r["student"], r["score"], r["counted"]) for r in rows] == [("s1", "", "no"), ("s2", "", "no"),
                                                                         ("s3", "1", "yes")]
    assert rows[0]["error"] == "missing column(s): answer"
    assert "quote answers that contain ','" in rows[1]["error"]
    assert [p.split(": ")[1] for p in summary.problems] == ["line 2", "line 3"]


@pytest.mark.parametrize("header", [("Student", "Question", "Answer"), ("student", "variant_id", "answer", "time"),
                                    ("email", "id", "answer")])
def test_header_names_are_flexible(tmp_path, header):
    rows = [("s1", "wx-1", "W^T") + ("",) * (len(header) - 3)]
    grade_file(write_csv(tmp_path / "s.csv", rows, header), MANIFEST, tmp_path / "g.csv")
    assert read_csv(tmp_path / "g.csv")[0]["score"] == "1"


def test_formulas_in_cells_are_made_inert(tmp_path):
    rows = [("=HYPERLINK(\"http://x\")", "wx-1", "W^T"), ("s2", "wx-1", "@SUM(A1)"), ("s3", "wx-1", "-W^T"),
            ("s4", "wx-1", "-2+3+cmd|' /C calc'!A0")]
    grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "g.csv")
    out = read_csv(tmp_path / "g.csv")
    assert [r["student"] for r in out][:2] == ["'=HYPERLINK(\"http://x\")", "s2"]
    assert [r["answer"] for r in out] == ["W^T", "'@SUM(A1)", "-W^T", "'-2+3+cmd|' /C calc'!A0"]
    assert [r["mistake"] for r in out] == ["", "parse", "sign", "parse"]


def test_same_input_gives_identical_files(tmp_path):
    submissions = write_csv(tmp_path / "s.csv", [row[:3] for row in SUBMISSIONS])
    grade_file(submissions, MANIFEST, tmp_path / "a.csv")
    grade_file(submissions, MANIFEST, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a-summary.csv").read_bytes() == (tmp_path / "b-summary.csv").read_bytes()
    assert (tmp_path / "a-students.csv").read_bytes() == (tmp_path / "b-students.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-students.csv", "a-summary.csv", "a.csv", "b-students.csv",
                                                          "b-summary.csv", "b.csv", "s.csv"]


@pytest.mark.parametrize("text, message", [
    (b"", "line 1: the file is empty"),
    (b"who,answer\ns1,W\n", "line 1: missing column(s) student, variant"),
    (b"student,variant,answer\ns1,wx-1,\"W^T\n", "line 2: unexpected end of data"),
    (b"student,variant,answer\ns1,wx-1,W\ns2,wx-1,\"W\"^T\n", "line 3: ',' expected after '\"'"),
    (b"student,variant,answer\ns1,wx-1,W\n\xff\xfe,x,y\n", "line 3: the file is not UTF-8 text"),
])
def test_malformed_submissions_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_bytes(text)
    with pytest.raises(GeneratorError) as err:
        grade_file(path, MANIFEST, tmp_path / "g.csv")
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert not (tmp_path / "g.csv").exists()


def manifest_with(tmp_path: Path, change) -> Path:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda m: m["variants"][1].update(answer="W^T"), "variant wx-2: the stored answer 'W^T' disagrees"),
    (lambda m: m["variants"][0].pop("expr"), "variants[0] (wx-1): missing expr"),
    (lambda m: m["variants"][0].update(expr="z = W x +"), "variant wx-1:"),
    (lambda m: m["variants"][0].update(shapes={"W": ["n"]}), "variant wx-1:"),
    (lambda m: m["variants"][2].update(id="wx-1"), "the id 'wx-1' is used twice"),
    (lambda m: m.pop("variants"), "line 1: expected an object with a list of \"variants\""),
    (lambda m: m.update(version=2), "manifest version 2 is not supported"),
])
def test_malformed_manifest_names_file_and_line(tmp_path, change, message):
    manifest = manifest_with(tmp_path, change)
    submissions = write_csv(tmp_path / "s.csv", [("s1", "wx-1", "W^T"), ("s2", "wx-2", "W")])
    (tmp_path / "g.csv").write_text("previous run\n", encoding="utf-8")
    with pytest.raises(GeneratorError) as err:
        grade_file(submissions, manifest, tmp_path / "g.csv")
    assert str(err.value).startswith(f"{manifest}: line ") and message in str(err.value)
    assert (tmp_path / "g.csv").read_text(encoding="utf-8") == "previous run\n"  # untouched
    assert not (tmp_path / "g-summary.csv").exists()


def test_manifest_lines_point_at_the_variant(tmp_path):
    manifest = manifest_with(tmp_path, lambda m: m["variants"][3].update(answer="-2 M u"))
    line = next(k for k, text in enumerate(manifest.read_text().splitlines(), 1) if '"quad-2"' in text)
    with pytest.raises(GeneratorError, match=f"line {line}: variant quad-2"):
        grade_file(write_csv(tmp_path / "s.csv", [("s1", "quad-2", "2 M u")]), manifest, tmp_path / "g.csv")


def test_broken_json_names_line_and_column(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text('{"version": 1,\n "variants": [\n  {"id": "a",}\n]}', encoding="utf-8")
    with pytest.raises(GeneratorError, match=r"manifest.json: line 3, column 14: "):
        grade_file(write_csv(tmp_path / "s.csv", []), path, tmp_path / "g.csv")


def test_unwritable_output_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(GeneratorError, match="cannot write"):
        grade_file(write_csv(tmp_path / "s.csv", [("s1", "wx-1", "W^T")]), MANIFEST, blocker / "g.csv")


def test_missing_files_are_named(tmp_path):
    with pytest.raises(GeneratorError, match="cannot read the file"):
        grade_file(tmp_path / "none.csv", MANIFEST, tmp_path / "g.csv")
    shutil.copy(MANIFEST, tmp_path / "m.json")
    with pytest.raises(GeneratorError, match="none.json: cannot read the file"):
        grade_file(write_csv(tmp_path / "s.csv", []), tmp_path / "none.json", tmp_path / "g.csv")


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ";"), ("utf-8-sig", "\t"), ("utf-16", ","), ("utf-16", ";")])
def test_delimiters_and_encodings(tmp_path, encoding, delimiter):
    path = tmp_path / "s.csv"
    lines = [delimiter.join(("student", "variant", "answer")), delimiter.join(("s1", "quad-2", "2 M u")),
             delimiter.join(("s2", "wx-1", "W^T"))]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    grade_file(path, MANIFEST, tmp_path / "g.csv")
    rows = read_csv(tmp_path / "g.csv")
    assert [(r["student"], r["answer"], r["score"]) for r in rows] == [("s1", "2 M u", "1"), ("s2", "W^T", "1")]


@pytest.mark.parametrize("not_owned, score", [("zero", "0"), ("flag", "1")])
def test_a_roster_gives_sheet_k_to_its_kth_student(tmp_path, not_owned, score):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada\nemmy,Emmy\n", encoding="utf-8")
    rows = [("ada", "wx-1", "W^T"), ("emmy", "wx-1", "W^T"), ("emmy", "wx-2", "W"), ("zoe", "wx-2", "W")]
    summary = grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "g.csv", roster=roster,
                         not_owned=not_owned)
    out = read_csv(tmp_path / "g.csv")
    assert [r["score"] for r in out] == ["1", score, "1", score]
    assert [bool(r["flag"]) for r in out] == [False, True, False, True]
    assert summary.flagged == 2
    totals = {r["student"]: r for r in read_csv(tmp_path / "g-students.csv")}
    assert (totals["ada"]["exercises"], totals["emmy"]["flagged"], totals["zoe"]["flagged"]) == ("1", "1", "1")


@pytest.mark.parametrize("option, value, message", [("policy", "average", "--policy 'average'"),
                                                    ("not_owned", "ignore", "not_owned 'ignore'")])
def test_unknown_options_are_refused(tmp_path, option, value, message):
    with pytest.raises(GeneratorError, match=message):
        grade_file(write_csv(tmp_path / "s.csv", [("s1", "wx-1", "W^T")]), MANIFEST, tmp_path / "g.csv",
                   **{option: value})


def test_every_outcome_has_a_colour_in_the_report_and_on_the_dashboard():
    css = (Path(generator.__file__).parent / "serve" / "static" / "app.css").read_text(encoding="utf-8")
    assert set(COLOURS) == set(OUTCOMES)
    assert all(f".o-{tag} {{" in css for tag in OUTCOMES)


def test_a_repeated_id_is_reported_at_the_repeat(tmp_path):
    manifest = manifest_with(tmp_path, lambda m: m["variants"][2].update(id="wx-1"))
    lines = [k for k, text in enumerate(manifest.read_text().splitlines(), 1) if '"wx-1"' in text]
    with pytest.raises(GeneratorError, match=f"line {lines[1]}: variants\\[2\\]: the id 'wx-1' is used twice"):
        grade_file(write_csv(tmp_path / "s.csv", [("s1", "wx-1", "W^T")]), manifest, tmp_path / "g.csv")


# ---------------------------------------------------------------- the submissions file: cells and header

def test_a_line_break_in_an_answer_is_a_space(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('student,variant,answer\ns1,quad-1,"(A + A^T)\nx"\ns2,quad-2,"2 M\r\nu"\n', encoding="utf-8")
    grade_file(path, MANIFEST, tmp_path / "g.csv")
    rows = read_csv(tmp_path / "g.csv")
    assert [(r["line"], r["answer"], r["score"], r["mistake"]) for r in rows] \
        == [("3", "(A + A^T) x", "1", ""), ("5", "2 M u", "1", "")]


@pytest.mark.parametrize("header, column", [
    ("student,variant,answer,answer", "answer"),
    ("student,Answer,variant, answer ", "answer"),
    ("student;variant;answer;Student", "student"),
    ("student,variant,answer,variant", "variant"),
])
def test_a_required_column_twice_is_refused(tmp_path, header, column):
    path = tmp_path / "s.csv"
    delimiter = ";" if ";" in header else ","
    path.write_text(header + "\n" + delimiter.join(["s1", "wx-1", "W^T", "W"]) + "\n", encoding="utf-8")
    with pytest.raises(GeneratorError) as err:
        grade_file(path, MANIFEST, tmp_path / "g.csv")
    assert str(err.value) == f"{path}: line 1: the column '{column}' appears twice in the header"
    assert not (tmp_path / "g.csv").exists()


def test_an_id_and_a_name_column_are_not_a_duplicate(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("student,name,variant,answer\ns1,Ada,wx-1,W^T\n", encoding="utf-8")
    grade_file(path, MANIFEST, tmp_path / "g.csv")
    assert read_csv(tmp_path / "g.csv")[0]["student"] == "s1"


# ---------------------------------------------------------------- who answered: the roster and the credit

def test_a_student_not_on_the_roster_is_reported_as_such(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada\nemmy,Emmy\n", encoding="utf-8")
    rows = [("zoe", "wx-2", "W"), ("Emmy", "wx-2", "W"), ("emmy", "wx-1", "W^T"), ("zoe", "quad-2", "2 M u")]
    summary = grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "g.csv", roster=roster)
    flags = [r["flag"] for r in read_csv(tmp_path / "g.csv")]
    assert flags[0] == "variant wx-2 is answered by 'zoe', who is not on the roster (the variant belongs to emmy)"
    assert flags[1] == ("variant wx-2 is answered by 'Emmy', who is not on the roster: ids are case-sensitive and "
                        "the roster has 'emmy' (the variant belongs to emmy)")
    assert flags[2] == "variant wx-1 belongs to ada"  # on the roster: another student's variant
    assert all(r["score"] == "0" for r in read_csv(tmp_path / "g.csv"))
    assert any("line 3: variant wx-2 is answered by 'Emmy', who is not on the roster" in p for p in summary.problems)


def test_a_copied_answer_scored_zero_is_not_counted_correct(tmp_path):
    """The summary's `correct` counts credited answers: a right answer to another student's variant scored 0 is not."""
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada\nemmy,Emmy\n", encoding="utf-8")
    rows = [("ada", "wx-1", "W^T"), ("emmy", "wx-1", "W^T"), ("emmy", "wx-2", "W")]
    summary = grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "g.csv", roster=roster)
    table = {r["question"]: r for r in read_csv(tmp_path / "g-summary.csv")}
    assert (table["wx"]["submissions"], table["wx"]["correct"], table["wx"]["mean_score"]) == ("3", "2", "0.667")
    assert table["all"]["correct"] == "2" and summary.by_tag["correct"] == 2
    flagged = grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "f.csv", roster=roster,
                         not_owned="flag")  # only flagged: credited, so correct
    assert flagged.by_tag["correct"] == 3 and read_csv(tmp_path / "f-summary.csv")[-1]["correct"] == "3"


def test_an_output_that_is_a_directory_is_named(tmp_path, monkeypatch):
    submissions = write_csv(tmp_path / "s.csv", [("s1", "wx-1", "W^T")])
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GeneratorError) as err:
        grade_file(submissions, MANIFEST, Path("adir"))
    assert str(err.value).startswith("adir: ") and "is a directory" in str(err.value)
    result = CliRunner().invoke(main, ["grade", str(submissions), "--manifest", str(MANIFEST), "-o", "adir"])
    assert result.exit_code == 1 and result.output.startswith("mcgen: adir: ") and "mcgen: .:" not in result.output
    assert list((tmp_path / "adir").iterdir()) == []


def test_more_students_than_sheets_share_them_in_turn_as_the_web_app_does(tmp_path):
    """Three students, two sheets: the third takes sheet 1 again (as mcgen serve hands links out), so their
    answers to sheet 1 are theirs, not flagged."""
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada\nemmy,Emmy\nkurt,Kurt\n", encoding="utf-8")
    rows = [("kurt", "wx-1", "W^T"), ("kurt", "wx-2", "W"), ("ada", "wx-1", "W^T")]
    grade_file(write_csv(tmp_path / "s.csv", rows), MANIFEST, tmp_path / "g.csv", roster=roster)
    out = read_csv(tmp_path / "g.csv")
    assert [(r["student"], r["variant"], r["score"], bool(r["flag"])) for r in out] == [
        ("kurt", "wx-1", "1", False), ("kurt", "wx-2", "0", True), ("ada", "wx-1", "1", False)]
    assert "belongs to emmy" in out[1]["flag"]
