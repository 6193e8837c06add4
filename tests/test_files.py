"""Every file a person hands mcgen is read one way: UTF-8 with or without a byte-order mark, one-line errors."""
from __future__ import annotations

import pytest

from generator import load
from generator.errors import GeneratorError
from generator.files import read_text
from generator.sheets.plan import read_roster

PROBLEM = 'title = "t"\nexpr = "z = W x"\nwrt = "x"\n[shapes]\nW = ["n", "m"]\nx = ["m", 1]\n'


def test_a_problem_file_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + PROBLEM.encode())
    assert load(path).wrt == "x"


def test_a_roster_that_is_not_utf8_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"id,name\ns1,Ann\ns2,B\xe9a\n")
    with pytest.raises(GeneratorError, match=r"roster.csv: line 3: the roster is not UTF-8 text$"):
        read_roster(path)


def test_utf16_is_read_only_where_asked(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("student,answer\n".encode("utf-16"))
    assert read_text(path, utf16=True) == "student,answer\n"
    with pytest.raises(GeneratorError, match="line 1: the file is not UTF-8 text"):
        read_text(path)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(GeneratorError, match=r"none.toml: cannot read the file \(No such file or directory\)$"):
        read_text(tmp_path / "none.toml")
