"""The report rewrites only its own section of the doc."""

from baselines.report import MARK_END, MARK_START, write_section


def test_write_section_replaces_only_between_the_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Title\n\nprose\n\n{MARK_START}\nold\n{MARK_END}\n\nafter\n")
    write_section(doc, "new table")
    text = doc.read_text()
    assert "old" not in text and "new table" in text
    assert text.startswith("# Title\n\nprose\n") and text.endswith("\nafter\n")
    write_section(doc, "newer")
    assert doc.read_text().count(MARK_START) == 1 and "newer" in doc.read_text()


def test_write_section_appends_when_the_doc_has_no_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n")
    write_section(doc, "table")
    text = doc.read_text()
    assert text.startswith("# Title\n") and MARK_START in text and "table" in text
