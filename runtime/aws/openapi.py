"""Print the chat API's OpenAPI document: ``python -m runtime.aws.openapi > docs/api/openapi.json``.

A test fails when the committed document differs from what the routes and models produce."""

from __future__ import annotations

import json

from runtime.aws.api import openapi_document

if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2))
