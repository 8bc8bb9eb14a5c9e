"""drf-spectacular extensions: the API key's security scheme in the schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "itk_<prefix>_<secret>",
                "description": "An API key created by an admin at /api-keys/ (shown once)."}


class GreenhouseBasicScheme(OpenApiAuthenticationExtension):
    target_class = "api.greenhouse.GreenhouseBasicAuthentication"
    name = "greenhouseBasic"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "Greenhouse's convention: the API key as the user name, an empty password."}


ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "fields": {"type": "object", "additionalProperties": True}}}}}
GREENHOUSE_ERROR = {"type": "object", "required": ["errors"],
                    "properties": {"errors": {"type": "array", "items": {"type": "string"}}}}
ERROR_STATUSES = {
    "400": "Invalid input: the fields say what", "401": "No valid API key", "403": "The key lacks the scope",
    "404": "No such object for this key (another track's objects do not exist for it)",
    "409": "Refused by the rules (e.g. the candidate has started: the link stays)",
    "422": "Idempotency-Key reused for a different request", "429": "Rate limit per key exceeded",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error bodies it can answer with, so a
    client (and the schema-driven tests) can rely on one shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["GreenhouseError"] = GREENHOUSE_ERROR
    for path, operations in result.get("paths", {}).items():
        ref = "#/components/schemas/" + ("GreenhouseError" if "/greenhouse/" in path else "Error")
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description,
                                              "content": {"application/json": {"schema": {"$ref": ref}}}})
    return result
