"""Every error the app raises, one hierarchy.

Provider errors carry the provider's ``code``, its ``msg``, the HTTP status and a
``user_message`` a shopper can be shown. None of them ever holds the API key. Which code
means which error is each provider's business: its table lives with its backend (for
Change Clothes AI, ``tryon.backends.changeclothes_codes``). This module imports nothing
of the app, so every other module may import it.
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


# -- django-tryon's own codes: refusals before any provider call ------------------------

#: The code stored for a job refused by the store-wide daily cap.
DAILY_LIMIT_CODE = 90001
#: The code stored for a job that found no free provider-call slot in time.
PROVIDER_BUSY_CODE = 90002
#: The code stored for a job whose worker stopped with a paid request out (``tryon.abandoned``).
UNANSWERED_REQUEST_CODE = 90003

#: What a code no table documents is called, wherever it is shown.
UNDOCUMENTED_ERROR = "The provider returned an undocumented error."


class LimitExceededError(TryOnError):
    """A shop-side cap (the store-wide daily limit) refuses a new paid call."""

    code = DAILY_LIMIT_CODE
    user_message = _("Try-on is unavailable today. Please come back tomorrow.")
    description = (
        "The shop's daily cap on paid calls (TRYON['DAILY_PAID_CALL_LIMIT']) was reached; "
        "no provider call was made."
    )


class DailyCapReached(LimitExceededError):
    """The store-wide daily cap refuses a shopper's try-on that would need a paid call."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("The store-wide daily cap on paid provider calls is reached.")
        #: Seconds until the cap resets (the API's ``Retry-After``).
        self.retry_after = retry_after


class ProviderBusyError(TryOnError):
    """No provider-call slot came free within ``TRYON["PROVIDER_SLOT_WAIT"]`` seconds."""

    code = PROVIDER_BUSY_CODE
    user_message = TransientProviderError.user_message
    description = (
        "No provider-call slot came free in time (TRYON['MAX_CONCURRENT_CALLS'], "
        "TRYON['PROVIDER_SLOT_WAIT']); no provider call was made."
    )


class RequestUnansweredError(TryOnError):
    """A paid request went out and its worker stopped before the answer was recorded.

    Not a refusal: the provider may have done, and charged for, the work, so the request
    is not sent again automatically; staff retry it knowingly.
    """

    code = UNANSWERED_REQUEST_CODE
    user_message = TransientProviderError.user_message
    description = (
        "A paid request was sent, then its worker stopped before the answer was recorded: "
        "the provider may have charged for it. Not re-sent automatically; retry it if "
        "paying again is acceptable."
    )


#: django-tryon's own codes -> the error that stores them. Provider codes live with each
#: provider (``tryon.backends.changeclothes_codes``); ``tryon.backends.codes`` reads both.
SHOP_ERROR_CLASSES: dict[
    int, type[LimitExceededError] | type[ProviderBusyError] | type[RequestUnansweredError]
] = {
    DAILY_LIMIT_CODE: LimitExceededError,
    PROVIDER_BUSY_CODE: ProviderBusyError,
    UNANSWERED_REQUEST_CODE: RequestUnansweredError,
}
