"""Change Clothes AI's documented error codes: the error each raises, what each means.

The codes come in the body's ``code`` or as the HTTP status; see
``ChangeClothesBackend.parse_response``. Our own codes (90001...) are in
``tryon.exceptions``.
"""

from __future__ import annotations

from ..exceptions import (
    HarmfulContentError,
    InsufficientCreditsError,
    ProviderConfigurationError,
    ProviderError,
    ProviderInvalidInputError,
    TransientProviderError,
    TrialLimitError,
)

#: The code the provider answers with on success.
SUCCESS_CODE = 200

# Documented codes -> exception class. Unknown codes: see ChangeClothesBackend.
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
}
