"""The notice a candidate agrees to before starting, versioned: every attempt stores the version it accepted.

Changing a word of the notice means a new version: add a new entry to NOTICES (keep every past one, since
attempts point at them) and move CONSENT_VERSION to it. tests/assessments/test_consent.py pins each version's
text by its hash, so editing a published version in place fails there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentNotice:
    version: str
    recorded: tuple[str, ...]   # "What is recorded", one item each
    privacy: str                # "Privacy"
    agreement: str              # the check box the candidate ticks

    @property
    def text(self) -> str:
        """The whole notice as one plain text, as the candidate read it (the landing page shows these parts)."""
        items = "\n".join(f"- {item}" for item in self.recorded)
        return f"What is recorded\n{items}\n\nPrivacy\n{self.privacy}\n\n{self.agreement}\n"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


NOTICES: dict[str, ConsentNotice] = {
    notice.version: notice for notice in (
        ConsentNotice(
            version="2026-1",
            recorded=(
                "Your answers, saved automatically as you type (each save is kept with a version number).",
                "For code questions: snapshots of your code at each save, and the results of the tests you run.",
                "When this page loses or regains focus, and the size of text you paste. These are shown to the "
                "interviewers as context; they never stop or change your exam.",
            ),
            privacy="Your name, email and answers are used only to evaluate this application, by the people running "
                    "the interview loop. Interviewers may see an anonymous code instead of your name. We record no "
                    "camera, microphone or screen. Your name, email and answers are erased after the retention period "
                    "of this interview loop; scores are kept without anything that identifies you, for statistics. "
                    "Ask your recruiter for a copy of your data, or to have it erased sooner.",
            agreement="I have read the above and agree that my answers and these signals are recorded.",
        ),
    )
}
CONSENT_VERSION = "2026-1"


def current_notice() -> ConsentNotice:
    return NOTICES[CONSENT_VERSION]


def notice_for(version: str) -> ConsentNotice | None:
    """The notice an attempt accepted (None for attempts started before notices were versioned)."""
    return NOTICES.get(version)
