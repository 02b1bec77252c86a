from textagent_envs.docsections import read_section, replace_section, write_section


def test_a_block_is_replaced_between_its_markers_and_appended_when_absent(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nprose\n")
    write_section(doc, "<!-- a -->", "<!-- /a -->", "| t |", heading="## Table")
    assert doc.read_text() == "# Title\n\nprose\n\n## Table\n\n<!-- a -->\n| t |\n<!-- /a -->\n"
    write_section(doc, "<!-- a -->", "<!-- /a -->", "| u |\n", heading="## Table")
    assert doc.read_text().count("## Table") == 1 and "| u |" in doc.read_text() and "| t |" not in doc.read_text()
    assert read_section(doc.read_text(), "<!-- a -->", "<!-- /a -->") == "| u |"
    assert read_section("no markers", "<!-- a -->", "<!-- /a -->") is None
    text = "x\n<!-- a -->\nold\n<!-- /a -->\ny\n"
    assert replace_section(text, "<!-- a -->", "<!-- /a -->", "new") == "x\n<!-- a -->\nnew\n<!-- /a -->\ny\n"
