import ast

import pytest

from textagent_envs.swe.mutations import MUTATION_KINDS, apply_mutation, find_mutations

SOURCE = '''def f(a, b):
    if a < b and b != 0:
        return a + b * 2
    return a // b  # a comment that must survive


def g(xs):
    if not xs:
        raise ValueError("é empty")
    return xs[len(xs) - 1]
'''


def test_finds_every_kind_in_source_order():
    found = find_mutations(SOURCE, "m.py")
    assert {m.kind for m in found} == set(MUTATION_KINDS)
    assert [m.lineno for m in found] == sorted(m.lineno for m in found)
    assert all(m.file == "m.py" and m.original != m.replacement for m in found)


@pytest.mark.parametrize("index", range(len(find_mutations(SOURCE, "m.py"))))
def test_each_mutation_changes_one_place_and_keeps_the_rest(index):
    mutation = find_mutations(SOURCE, "m.py")[index]
    mutated = apply_mutation(SOURCE, mutation)
    ast.parse(mutated)
    lines = SOURCE.split("\n")
    start = sum(len(line) + 1 for line in lines[: mutation.lineno - 1]) + mutation.col
    end = start + len(mutation.replacement)
    assert mutated[start:end] == mutation.replacement
    assert mutated[:start] + mutation.original + mutated[end:] == SOURCE  # nothing else changed
    assert "# a comment that must survive" in mutated  # no segment holds a comment
    if not mutation.lineno <= 9 <= mutation.end_lineno:  # only dropping the `if not xs:` branch removes line 9
        assert '"é empty"' in mutated


def test_examples():
    by_kind = {}
    for m in find_mutations(SOURCE, "m.py"):
        by_kind.setdefault(m.kind, []).append((m.original, m.replacement))
    assert ("a < b", "a <= b") in by_kind["comparison_swap"]
    assert ("a < b and b != 0", "a < b or b != 0") in by_kind["boolean_swap"]
    assert ("b * 2", "b // 2") in by_kind["operator_swap"]
    assert ("2", "1") in by_kind["off_by_one"]
    assert any(r == "pass" and o.startswith("if not xs") for o, r in by_kind["dropped_branch"])


def test_a_stale_mutation_is_refused():
    mutation = find_mutations(SOURCE, "m.py")[0]
    with pytest.raises(ValueError, match="no longer matches"):
        apply_mutation(SOURCE.replace("a < b", "a >  b"), mutation)


def test_columns_count_characters_not_bytes():
    source = 'def h(x):\n    return "é☃" + str(x - 1)\n'
    for mutation in find_mutations(source, "h.py"):
        mutated = apply_mutation(source, mutation)
        ast.parse(mutated)
        assert '"é☃"' in mutated or mutation.original.startswith('"é☃"')
    swapped = [m for m in find_mutations(source, "h.py") if m.original == "x - 1"]
    assert apply_mutation(source, swapped[0]) == 'def h(x):\n    return "é☃" + str(x + 1)\n'
