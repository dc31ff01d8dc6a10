"""The one shape of a refused step: DomainError, the base of every rule error of the panel."""


class DomainError(ValueError):
    """A rule refused the step and nothing was saved.

    `errors` maps a form field (or a row, or "" for the whole step) to a Russian message; str(error) is all of
    them in one line. Pages show them next to the fields or as one message, the CLI prints them."""

    def __init__(self, errors=""):
        self.errors = dict(errors) if isinstance(errors, dict) else {"": str(errors)}
        super().__init__(" ".join(message for message in self.errors.values() if message))
