"""How the OpenAPI schema (drf-spectacular) describes our token authentication: the same
``Authorization: Token <key>`` header as DRF's authtoken, which spectacular knows by itself."""

from drf_spectacular.authentication import TokenScheme


class HashedTokenScheme(TokenScheme):
    target_class = "accounts.tokens.TokenAuthentication"
