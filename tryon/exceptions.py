"""Every error the app raises, one hierarchy.

Provider errors carry the documented ``code``, the provider's ``msg``, the HTTP status
and a ``user_message`` a shopper can be shown. None of them ever holds the API key.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class TryOnError(Exception):
    """Base class of everything django-tryon raises."""


class TryOnConfigurationError(TryOnError, ImproperlyConfigured):
    """The shop's settings are wrong; the message names the setting to fix."""


class InvalidImageError(TryOnError, ValueError):
    """Bytes that are not an acceptable image (not an image, a bomb, too small...)."""


class DownloadError(TryOnError):
    """A provider result URL could not be fetched or was not an image."""


class ProviderError(TryOnError):
    """The provider answered with an error, or could not be reached."""

    code: int | None = None
    transient = False
    #: How many paid requests were sent before this error (0: refused before sending).
    attempts: int = 0
    user_message = _("The try-on could not be generated.")

    def __init__(
        self,
        message: str = "",
        *,
        code: int | None = None,
        provider_msg: str = "",
        status_code: int | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.provider_msg = provider_msg
        self.status_code = status_code
        super().__init__(message or provider_msg or self.__class__.__name__)

    def describe(self) -> str:
        """One line for a log or a command's error: ``insufficient credits (10003): ...``."""
        label = self.label
        code = f" ({self.code})" if self.code is not None else ""
        return f"{label}{code}: {self}"

    @property
    def label(self) -> str:
        return "provider error"


class ProviderConfigurationError(ProviderError):
    """10001, 10002, 30001, 30002: the key or account is wrong; the shop must fix it."""

    user_message = _("Try-on is unavailable right now.")

    @property
    def label(self) -> str:
        return "provider configuration error"


class InsufficientCreditsError(ProviderError):
    """10003: the shop's account is out of credits."""

    code = 10003
    user_message = _("Try-on is unavailable right now.")

    @property
    def label(self) -> str:
        return "insufficient credits"


class TrialLimitError(InsufficientCreditsError):
    """10006: the trial usage limit is spent; the shop must upgrade."""

    code = 10006

    @property
    def label(self) -> str:
        return "trial limit exceeded"


class ProviderInvalidInputError(ProviderError, ValueError):
    """10004, or our own check of a parameter before anything was sent."""

    code = 10004
    user_message = _("These pictures could not be used for a try-on. Please try another photo.")

    @property
    def label(self) -> str:
        return "invalid parameters"


class HarmfulContentError(ProviderError):
    """10005: the provider refused the images or prompt."""

    code = 10005
    user_message = _("Sorry, we can't create a try-on from this photo. Please choose another one.")

    @property
    def label(self) -> str:
        return "content refused"


class TransientProviderError(ProviderError):
    """500, 20001, a connection error, a timeout or a non-JSON 5xx: worth retrying."""

    transient = True
    user_message = _("The try-on service is busy. Please try again in a moment.")

    @property
    def label(self) -> str:
        return "temporary provider failure"


class ProviderNoAnswerError(ProviderError):
    """The request was sent but no answer came (a read timeout, a dropped connection).

    Not retried: the provider may have done (and charged for) the work.
    """

    user_message = TransientProviderError.user_message

    @property
    def label(self) -> str:
        return "no answer from the provider"


class ProviderResponseError(ProviderError):
    """An answer that breaks the documented format (say, a 200 with no result URL)."""

    @property
    def label(self) -> str:
        return "unexpected provider response"


#: django-tryon's own code (not the provider's) for a job refused by the daily cap.
DAILY_LIMIT_CODE = 90001
#: Ours too: a paid request went out and its worker stopped before the answer was
#: recorded; the provider may have charged, so it is not re-sent (``tryon.abandoned``).
UNANSWERED_REQUEST_CODE = 90003


class LimitExceededError(TryOnError):
    """A shop-side cap (the store-wide daily limit) refuses a new paid call."""

    code = DAILY_LIMIT_CODE
    user_message = _("Try-on is unavailable today. Please come back tomorrow.")


# Documented codes -> exception class. Unknown codes become ProviderError.
ERROR_CLASSES: dict[int, type[ProviderError]] = {
    500: TransientProviderError,
    10001: ProviderConfigurationError,
    10002: ProviderConfigurationError,
    10003: InsufficientCreditsError,
    10004: ProviderInvalidInputError,
    10005: HarmfulContentError,
    10006: TrialLimitError,
    20001: TransientProviderError,
    30001: ProviderConfigurationError,
    30002: ProviderConfigurationError,
}

# What each documented code means, in words a shop owner reads in the admin.
ERROR_DESCRIPTIONS: dict[int, str] = {
    500: "The provider had an internal error.",
    10001: "The provider says the request is not authenticated: check TRYON['API_KEY'].",
    10002: "The provider account does not exist: check TRYON['API_KEY'].",
    10003: "The provider account is out of credits: buy credits in its dashboard.",
    10004: "The provider rejected the parameters or images as invalid.",
    10005: "The provider refused the images or prompt as harmful content.",
    10006: "The provider's trial usage limit is spent: upgrade the account.",
    20001: "The provider failed to process the try-on.",
    30001: "The provider says the API key is invalid: check TRYON['API_KEY'].",
    30002: "The provider says the request signature is invalid: check TRYON['API_KEY'].",
    DAILY_LIMIT_CODE: "The shop's daily cap on paid calls (TRYON['DAILY_PAID_CALL_LIMIT']) "
    "was reached; no provider call was made.",
    UNANSWERED_REQUEST_CODE: "A paid request was sent, then its worker stopped before the "
    "answer was recorded: the provider may have charged for it. Not re-sent automatically; "
    "retry it if paying again is acceptable.",
}


def user_message_for(code: int | None) -> str:
    """What a shopper is told about a try-on that failed with ``code``."""
    if code == DAILY_LIMIT_CODE:
        return str(LimitExceededError.user_message)
    return str(ERROR_CLASSES.get(code or 0, ProviderError).user_message)


def error_for_code(
    code: int, provider_msg: str = "", status_code: int | None = None
) -> ProviderError:
    """The typed exception for a documented error code (``ProviderError`` if unknown)."""
    cls = ERROR_CLASSES.get(code)
    if cls is None:
        # Any other 5xx-range code is treated as transient; anything else is final.
        cls = TransientProviderError if 500 <= code < 600 else ProviderError
    description = ERROR_DESCRIPTIONS.get(code, "The provider returned an undocumented error.")
    message = f"{description} Provider said: {provider_msg}" if provider_msg else description
    return cls(message, code=code, provider_msg=provider_msg, status_code=status_code)
