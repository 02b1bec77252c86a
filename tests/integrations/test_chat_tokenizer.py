"""A ChatML tokenizer for integration tests (no model needed)."""


def chatml_tokenizer():
    from baselines.models import build_tokenizer

    return build_tokenizer(["You are in a room. look go north take coin current state your action"] * 4, vocab_size=400)
