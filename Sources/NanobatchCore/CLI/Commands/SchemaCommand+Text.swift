/// `nanobatch schema`'s text: manifests/nanobatch.schema.json, embedded so the tool needs no repository.
/// SchemaCommandTests hold the two byte-identical: after editing the file, paste it between the quotes and
/// run `swift format -i` (the indentation up to the closing quotes is not part of the text).
extension SchemaCommand {
    static let text = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "https://nanobatch.dev/nanobatch.schema.json",
          "title": "nanobatch manifest",
          "description": "Prompts × aspect ratios × models × reference images, plus chained steps, for nanobatch. The file is JSON with comments: // and /* */ are allowed.",
          "type": "object",
          "additionalProperties": false,
          "required": [
            "version",
            "name",
            "providers",
            "matrix"
          ],
          "properties": {
            "$schema": {
              "type": "string",
              "description": "Path or URL of this schema, for editors; nanobatch ignores it."
            },
            "version": {
              "const": 1
            },
            "name": {
              "type": "string",
              "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
              "description": "Names the manifest's folder under the output root."
            },
            "output": {
              "type": "string",
              "description": "Output root, relative to the manifest's folder (default: output, next to the manifest)."
            },
            "concurrency": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1024,
              "default": 16,
              "description": "Global limit on jobs in flight."
            },
            "providers": {
              "type": "object",
              "minProperties": 1,
              "propertyNames": {
                "type": "string",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
                "description": "Letters, digits, '.', '_' and '-'; no '..'."
              },
              "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "dialect"
                ],
                "properties": {
                  "dialect": {
                    "enum": [
                      "offline",
                      "openai-images",
                      "mountsea",
                      "image-tasks",
                      "evolink",
                      "gemini"
                    ]
                  },
                  "baseURL": {
                    "type": "string",
                    "pattern": "^https?://"
                  },
                  "apiKeyEnv": {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "description": "Name of the environment variable holding the API key."
                  },
                  "concurrency": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 256,
                    "default": 4
                  },
                  "requestsPerMinute": {
                    "type": "number",
                    "exclusiveMinimum": 0
                  },
                  "spendPerTenMinutes": {
                    "description": "USD: the most this provider's jobs may reserve in any rolling ten minutes; new jobs wait for the window.",
                    "type": "number",
                    "exclusiveMinimum": 0
                  },
                  "latencyMs": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 600000,
                    "description": "Offline dialect only: simulated latency."
                  },
                  "referenceURLs": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "string",
                      "pattern": "^https?://"
                    },
                    "description": "Public URLs for local reference files, for dialects that only take URLs."
                  },
                  "deadlineSeconds": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 604800,
                    "default": 600,
                    "description": "How long one job may take, polling included (at most a week)."
                  },
                  "retry": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "maxAttempts": { "type": "integer", "minimum": 1, "maximum": 20, "default": 4 },
                      "initialDelaySeconds": { "type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 1 },
                      "maximumDelaySeconds": { "type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 60 }
                    },
                    "description": "Requests per job step (create, poll, download) and exponential backoff with jitter; Retry-After is honoured."
                  },
                  "pollSeconds": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 3600,
                    "description": "Async dialects, and gemini in batch mode: first wait between polls (grows x1.5, to 30 s for tasks and 2 min for batches)."
                  },
                  "responseFormat": {
                    "enum": [
                      "url",
                      "b64_json"
                    ],
                    "description": "openai-images only."
                  },
                  "callbackURL": {
                    "type": "string",
                    "pattern": "^https://",
                    "maxLength": 2048,
                    "description": "evolink only: public HTTPS address called when a task ends."
                  },
                  "mode": {
                    "enum": [
                      "sync",
                      "batch"
                    ],
                    "default": "sync",
                    "description": "gemini only: batch sends jobs through Google's Batch API at half the price, usually within hours, at most 24 h."
                  }
                }
              }
            },
            "matrix": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "prompts",
                "aspectRatios",
                "models"
              ],
              "properties": {
                "prompts": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": [
                      "id",
                      "text"
                    ],
                    "properties": {
                      "id": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
                        "description": "Letters, digits, '.', '_' and '-'; no '..'."
                      },
                      "text": {
                        "type": "string",
                        "minLength": 1
                      },
                      "aspectRatios": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                          "enum": [
                            "1:1",
                            "2:3",
                            "3:2",
                            "3:4",
                            "4:3",
                            "4:5",
                            "5:4",
                            "9:16",
                            "16:9",
                            "21:9",
                            "1:4",
                            "4:1",
                            "1:8",
                            "8:1"
                          ]
                        },
                        "description": "Narrows matrix.aspectRatios."
                      },
                      "models": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                          "type": "string",
                          "pattern": "^[^:]+:.+$",
                          "description": "\"provider:model\", e.g. \"gw:nano-banana-2\"."
                        },
                        "description": "Narrows matrix.models."
                      },
                      "addReferences": {
                        "type": "array",
                        "items": {
                          "type": "string",
                          "description": "An http(s) URL or a file path relative to the manifest."
                        },
                        "description": "Added to every reference set for this prompt."
                      },
                      "imageSize": {
                        "description": "Only for models that offer sizes; a model with one fixed size refuses it.",
                        "enum": [
                          "0.5K",
                          "1K",
                          "2K",
                          "4K"
                        ]
                      },
                      "variants": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 1000
                      },
                      "variables": {
                        "type": "object",
                        "additionalProperties": {
                          "type": "array",
                          "minItems": 1,
                          "items": { "type": "string" }
                        },
                        "description": "Narrows matrix.variables: name → the values this prompt uses. Only variables its text uses."
                      }
                    }
                  }
                },
                "aspectRatios": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "enum": [
                      "1:1",
                      "2:3",
                      "3:2",
                      "3:4",
                      "4:3",
                      "4:5",
                      "5:4",
                      "9:16",
                      "16:9",
                      "21:9",
                      "1:4",
                      "4:1",
                      "1:8",
                      "8:1"
                    ]
                  }
                },
                "models": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": "string",
                    "pattern": "^[^:]+:.+$",
                    "description": "\"provider:model\", e.g. \"gw:nano-banana-2\"."
                  }
                },
                "references": {
                  "type": "array",
                  "minItems": 1,
                  "items": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "description": "An http(s) URL or a file path relative to the manifest."
                    }
                  },
                  "default": [
                    []
                  ],
                  "description": "Reference sets; [] means none. Each file must be a PNG, JPEG, WebP or GIF image; a set listed twice is a warning."
                },
                "variants": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 1000,
                  "default": 1
                },
                "imageSize": {
                  "description": "Only for models that offer sizes; a model with one fixed size refuses it.",
                  "enum": [
                    "0.5K",
                    "1K",
                    "2K",
                    "4K"
                  ]
                },
                "format": {
                  "enum": [
                    "png",
                    "jpeg",
                    "jpg",
                    "webp"
                  ],
                  "default": "png"
                },
                "variables": {
                  "type": "object",
                  "propertyNames": {
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                    "not": { "enum": ["prompt", "step", "ratio", "model", "variant", "take"] }
                  },
                  "additionalProperties": {
                    "type": "array",
                    "minItems": 1,
                    "items": { "type": "string", "minLength": 1 }
                  },
                  "description": "Template variables: {{name}} in prompt and step text. A prompt's jobs multiply by the values of the variables its own text uses; a step uses its source's values. Every variable must be used."
                }
              }
            },
            "steps": {
              "type": "array",
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "from",
                  "prompt"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$",
                    "description": "Letters, digits, '.', '_' and '-'; no '..'."
                  },
                  "from": {
                    "type": "string",
                    "description": "A prompt id or another step's id. The step's models and aspectRatios must keep at least one of its jobs."
                  },
                  "prompt": {
                    "type": "string",
                    "minLength": 1
                  },
                  "models": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "type": "string",
                      "pattern": "^[^:]+:.+$",
                      "description": "\"provider:model\", e.g. \"gw:nano-banana-2\"."
                    }
                  },
                  "aspectRatios": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "enum": [
                        "1:1",
                        "2:3",
                        "3:2",
                        "3:4",
                        "4:3",
                        "4:5",
                        "5:4",
                        "9:16",
                        "16:9",
                        "21:9",
                        "1:4",
                        "4:1",
                        "1:8",
                        "8:1"
                      ]
                    }
                  },
                  "addReferences": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "description": "An http(s) URL or a file path relative to the manifest."
                    }
                  },
                  "variants": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 1000,
                    "default": 1
                  }
                }
              }
            },
            "pricing": {
              "type": "object",
              "propertyNames": {
                "pattern": "^[^:@]+:[^@]+(@(0\\.5K|1K|2K|4K))?$"
              },
              "additionalProperties": {
                "type": "number",
                "minimum": 0
              },
              "description": "USD per image: \"provider:model\" or \"provider:model@size\"."
            },
            "budget": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "maxCost"
              ],
              "properties": {
                "maxCost": {
                  "type": "number",
                  "minimum": 0,
                  "description": "USD for the whole run. 0 spends nothing: only cached images are used and every job that would cost is skipped for budget."
                }
              }
            },
            "exports": {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "files"
              ],
              "properties": {
                "root": {
                  "type": "string",
                  "minLength": 1,
                  "description": "Folder the export paths are relative to, relative to the manifest's folder (default: the output root)."
                },
                "files": {
                  "type": "object",
                  "additionalProperties": {
                    "type": "string",
                    "description": "A prompt or step id: each of its pick groups (one ratio and variable values) gets one file, its pick or its only image."
                  },
                  "description": "Path template → prompt or step id. Placeholders: {{prompt}}, {{ratio}} (as 16x9) and the source's variables (slugged). No '..'; never under .nanobatch or the manifest's folder."
                }
              },
              "description": "Stable asset paths: run and report copy each group's picked image there (a real copy, written atomically); clean never removes them."
            },
            "store": {
              "type": "object",
              "additionalProperties": false,
              "description": "A remote store shared by machines (Bazel's HTTP remote-cache protocol: GET/HEAD/PUT {url}/cas/{sha256} and {url}/ac/{key}). --store URL and NANOBATCH_STORE take precedence over url.",
              "properties": {
                "url": {
                  "type": "string",
                  "pattern": "^https?://",
                  "description": "The store's base URL, http:// or https://, without credentials."
                },
                "authorizationEnv": {
                  "type": "string",
                  "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                  "description": "Name of the environment variable whose value is sent as the Authorization header (e.g. \"Bearer …\"), only to the store. Default: NANOBATCH_STORE_AUTHORIZATION when set."
                }
              }
            }
          }
        }

        """#
}
