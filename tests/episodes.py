"""Playing a list of actions in a test, shared by the tests of every family."""


def transcript(env, actions):
    """Every step's full result ``(obs, reward, terminated, truncated, info)``; stops at
    the end of the episode."""
    out = []
    for action in actions:
        out.append(env.step(action))
        if out[-1][2] or out[-1][3]:
            break
    return out
