from textagent_envs.textworld.backend import clean_feedback


def test_clean_feedback_strips_prompts_status_and_banner():
    raw = (
        "\n\n  ________  __\n |        \\|  \\\n  \\$$$$$$$$| $$\n\n"
        "Welcome!\n\n\n\n-= Studio =-\nA room.   \n\n>                       -= Studio =-0/1"
    )
    assert clean_feedback(raw) == "Welcome!\n\n-= Studio =-\nA room."
    end = "You win.\n\n\n*** The End ***\n\nWould you like to RESTART, RESTORE a saved game, QUIT or UNDO the last command?\n> "
    assert clean_feedback(end) == "You win.\n\n*** The End ***"
    assert clean_feedback("") == ""
