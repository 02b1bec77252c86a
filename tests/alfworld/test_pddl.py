import pytest

from textagent_envs.alfworld.pddl import PddlError, holds, index_facts, parse_problem

PROBLEM = """
(define (problem p) (:domain alfred)
 (:objects agent1 - agent l1 l2 - location a1 a2 - object r1 r2 - receptacle AppleType - otype FridgeType - rtype)
 (:init (atLocation agent1 l1) (receptacleAtLocation r1 l1) (receptacleAtLocation r2 l2)
        (objectType a1 AppleType) (objectType a2 AppleType) (receptacleType r2 FridgeType)
        (inReceptacle a1 r1) (= (distance l1 l2) 3))
 ; a comment (with parentheses)
 (:goal (and (exists (?r # receptacle ?o - object) (and (inReceptacle ?o ?r) (objectType ?o AppleType) (receptacleType ?r FridgeType)))))
)
"""


def test_parses_objects_facts_and_goal_lower_cased():
    problem = parse_problem(PROBLEM)
    assert problem.types["appletype"] == "otype" and problem.by_type["object"] == ["a1", "a2"]
    assert ("inreceptacle", "a1", "r1") in problem.init
    assert not any(fact[0] == "=" for fact in problem.init), "numeric initialisations are skipped"
    assert problem.goal[0] == "and"


def test_goal_needs_an_apple_in_a_fridge():
    problem = parse_problem(PROBLEM)
    facts = index_facts(problem.init)
    assert not holds(problem.goal, facts, problem)
    facts["inreceptacle"].add(("a2", "r2"))
    assert holds(problem.goal, facts, problem)


@pytest.mark.parametrize(
    "goal, expected",
    [
        (["forall", ["?o", "-", "object"], ["objecttype", "?o", "appletype"]], True),
        (["forall", ["?o", "-", "object"], ["inreceptacle", "?o", "r1"]], False),
        (["exists", ["?x", "-", "object", "?y", "-", "object"], ["and", ["not", ["=", "?x", "?y"]], ["objecttype", "?x", "appletype"], ["objecttype", "?y", "appletype"]]], True),
        (["or", ["inreceptacle", "a2", "r1"], ["not", ["inreceptacle", "a1", "r1"]]], False),
        (["imply", ["inreceptacle", "a2", "r1"], ["inreceptacle", "a2", "r2"]], True),
        (["exists", ["?l", "-", "location"], ["not", ["atlocation", "agent1", "?l"]]], True),
    ],
)
def test_quantifiers_connectives_and_equality(goal, expected):
    problem = parse_problem(PROBLEM)
    assert holds(goal, index_facts(problem.init), problem) is expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("(define (problem p)", "never closed"),
        ("(define (problem p)) )", "closes nothing"),
        ("(domain x)", "must start with \\(define"),
        ("(define (problem p) (:init (at x)))", "no \\(:goal"),
        ("(define (problem p) (:init (at x)) (:goal (at x)))", "not declared"),
        ("(define (problem p) (:objects a -) (:goal (at a)))", "type is missing"),
    ],
)
def test_unreadable_problems_say_why(text, message):
    with pytest.raises(PddlError, match=message):
        parse_problem(text)
