"""Validates the server's OpenAPI document with openapi-spec-validator, as
API tooling (code generators, schemathesis) would read it."""
import json
import sys
import urllib.request

from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

base = sys.argv[1]
with urllib.request.urlopen(base + "/api/v1/openapi.json") as r:
    doc = json.load(r)
validate(doc, cls=OpenAPIV31SpecValidator)
print("valid OpenAPI", doc["openapi"], "with", len(doc["paths"]), "paths")
