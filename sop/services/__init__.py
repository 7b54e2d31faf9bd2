"""SOP writes: steps and their versions, acknowledgements, quiz attempts, the weekly summary."""

from sop.services.handbook import (
    acknowledge_current,
    quiz_submit,
    step_create,
    step_revise,
    target_set,
)

__all__ = ["acknowledge_current", "quiz_submit", "step_create", "step_revise", "target_set"]
