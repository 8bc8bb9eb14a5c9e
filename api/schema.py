"""drf-spectacular extensions: the API key's security scheme in the schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "itk_<prefix>_<secret>",
                "description": "An API key created by an admin at /api-keys/ (shown once)."}
