"""Demo SOP: load the starting handbook (sop.handbook_id), its targets and quizzes, and some staff progress."""

from __future__ import annotations


def seed(ctx) -> None:
    from sop.handbook_id import handbook_load

    steps, targets, questions = handbook_load()
    ctx.say(f"SOP handbook: {steps} steps, {targets} targets, {questions} quiz questions")
