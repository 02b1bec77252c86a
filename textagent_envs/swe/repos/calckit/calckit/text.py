"""Text helpers."""


def word_count(text):
    return len(text.split())


def is_palindrome(text):
    letters = [c.lower() for c in text if c.isalnum()]
    return letters == letters[::-1]


def chunk(items, size):
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


def title_case(text):
    words = text.split(" ")
    return " ".join(w[:1].upper() + w[1:].lower() if len(w) > 0 else w for w in words)


def truncate(text, limit, marker="..."):
    if len(text) <= limit:
        return text
    return text[: max(limit - len(marker), 0)] + marker
